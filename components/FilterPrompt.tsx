/**
 * The log filter prompt on the bottom line. It only shows the text: the App
 * edits it from key presses, applies it on Enter (when it parses) and closes
 * it on Esc. A malformed filter shows parseFilter's error beside the input.
 */
import { Box, Text } from 'ink';
import { parseFilter } from '../src/dev/log-filter.js';
import { truncate } from './format.js';

/** Props of {@link FilterPrompt}. */
export interface FilterPromptProps {
  value: string;
  width: number;
  color: boolean;
}

/** The filter prompt line. */
export function FilterPrompt({ value, width, color }: FilterPromptProps) {
  const error = parseFilter(value).error;
  const room = Math.max(0, width - value.length - 12);
  return (
    <Box width={width} height={1} overflow="hidden">
      <Text bold>{' / '}</Text>
      <Box flexShrink={0}>
        <Text>{value}</Text>
        <Text inverse> </Text>
      </Box>
      <Box flexGrow={1} paddingLeft={2} overflow="hidden">
        <Text wrap="truncate-end" {...(color ? { color: error ? 'red' : 'gray' } : {})} dimColor={!error}>
          {error ? truncate(error, room) : 'enter apply · esc cancel'}
        </Text>
      </Box>
    </Box>
  );
}
