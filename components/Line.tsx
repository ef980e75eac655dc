/**
 * One terminal line made of styled segments. It truncates instead of
 * wrapping, so every view can promise a fixed number of lines.
 */
import { Text } from 'ink';
import Spinner from 'ink-spinner';
import type { Segment } from './format.js';
import { textProps } from './format.js';

/** Props of {@link Line}. */
export interface LineProps {
  segments: readonly Segment[];
  /** False for NO_COLOR: no colour props are passed to Ink at all. */
  color: boolean;
}

/** A single line of segments, cut at the end when wider than its box. */
export function Line({ segments, color }: LineProps) {
  return (
    <Text wrap="truncate-end">
      {segments.length === 0
        ? ' '
        : segments.map((s, i) =>
            s.spinner ? (
              <Text key={i} {...textProps(s, color)}>
                <Spinner type="dots" />
              </Text>
            ) : (
              <Text key={i} {...textProps(s, color)}>
                {s.text}
              </Text>
            ),
          )}
    </Text>
  );
}
