/**
 * A framed pane with a title in its top border and an optional note in its
 * bottom border. The focused pane gets a heavy frame, which reads without
 * colour too.
 */
import { Box } from 'ink';
import type { ReactNode } from 'react';
import type { Color, Segment } from './format.js';
import { segmentsWidth, truncateSegments } from './format.js';
import { Line } from './Line.js';

/** Props of {@link Panel}. */
export interface PanelProps {
  title: readonly Segment[];
  /** Shown in the bottom border (e.g. a "new lines" hint). */
  note?: readonly Segment[];
  /** Total width in cells, frame included. */
  width: number;
  /** Content lines, frame excluded. */
  height: number;
  focused: boolean;
  color: boolean;
  children?: ReactNode;
}

const FRAMES = {
  single: { tl: '┌', tr: '┐', bl: '└', br: '┘', h: '─' },
  bold: { tl: '┏', tr: '┓', bl: '┗', br: '┛', h: '━' },
} as const;

/** Content width inside a panel `width` cells wide (frame and one space of padding each side). */
export function panelInnerWidth(width: number): number {
  return Math.max(1, width - 4);
}

/** A border line with segments embedded after the left corner. */
function borderLine(
  left: string,
  right: string,
  fill: string,
  inner: readonly Segment[],
  width: number,
  frameColor: Color | undefined,
): Segment[] {
  const room = Math.max(0, width - 6);
  const body = inner.length ? truncateSegments(inner, room) : [];
  // left corner, fill and space before the body, a space after it, the fill, the right corner
  const rest = body.length ? width - segmentsWidth(body) - 5 : width - 2;
  const frame = (text: string): Segment => ({ text, ...(frameColor ? { color: frameColor } : {}) });
  return [
    frame(body.length ? `${left}${fill} ` : left),
    ...body,
    frame(`${body.length ? ' ' : ''}${fill.repeat(Math.max(0, rest))}${right}`),
  ];
}

/** A framed pane; children are its content lines (at most `height` are shown). */
export function Panel({ title, note, width, height, focused, color, children }: PanelProps) {
  const f = focused ? FRAMES.bold : FRAMES.single;
  const frameColor: Color | undefined = color ? (focused ? 'cyan' : 'gray') : undefined;
  const titleSegs = title.map((s) => (focused ? { ...s, bold: true } : s));
  return (
    <Box flexDirection="column" width={width}>
      <Line segments={borderLine(f.tl, f.tr, f.h, titleSegs, width, frameColor)} color={color} />
      <Box
        // Ink re-applies only changed style keys, so switching borderStyle alone would turn the
        // disabled top and bottom borders back on; a fresh box per frame style avoids that.
        key={focused ? 'bold' : 'single'}
        flexDirection="column"
        borderStyle={focused ? 'bold' : 'single'}
        borderTop={false}
        borderBottom={false}
        paddingX={1}
        height={height}
        overflow="hidden"
        {...(frameColor ? { borderColor: frameColor } : {})}
      >
        {children}
      </Box>
      <Line segments={borderLine(f.bl, f.br, f.h, note ?? [], width, frameColor)} color={color} />
    </Box>
  );
}
