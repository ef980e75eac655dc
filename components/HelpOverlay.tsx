/**
 * The help screen: every key and what it does, in two columns when the
 * terminal is wide enough. Any key closes it.
 */
import { KEY_HELP } from './keys.js';
import type { Segment } from './format.js';
import { fit } from './format.js';
import { Line } from './Line.js';
import { Panel, panelInnerWidth } from './Panel.js';

/** Props of {@link HelpOverlay}. */
export interface HelpOverlayProps {
  /** Total width, frame included. */
  width: number;
  /** Content rows, frame excluded. */
  height: number;
  color: boolean;
}

const KEYS = 15;

/** The help lines for a content width: one binding per cell, two cells a line when wide. */
export function helpLines(width: number, height: number): Segment[][] {
  const columns = width >= 110 || KEY_HELP.length > height ? 2 : 1;
  const cell = Math.floor(width / columns);
  const perColumn = Math.ceil(KEY_HELP.length / columns);
  const lines: Segment[][] = [];
  for (let i = 0; i < perColumn; i++) {
    const line: Segment[] = [];
    for (let c = 0; c < columns; c++) {
      const h = KEY_HELP[c * perColumn + i];
      if (!h) continue;
      line.push({ text: fit(h.keys, KEYS), bold: true, color: 'cyan' });
      line.push({ text: c < columns - 1 ? fit(h.description, cell - KEYS) : h.description });
    }
    lines.push(line);
  }
  return lines;
}

/** The help overlay. */
export function HelpOverlay({ width, height, color }: HelpOverlayProps) {
  const lines = helpLines(panelInnerWidth(width), height - 1);
  return (
    <Panel title={[{ text: 'help' }]} width={width} height={height} focused color={color}>
      {lines.map((segs, i) => (
        <Line key={i} segments={segs} color={color} />
      ))}
      <Line segments={[{ text: 'press any key to close', dim: true }]} color={color} />
    </Panel>
  );
}
