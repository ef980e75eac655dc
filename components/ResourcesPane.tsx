/**
 * The resources pane: one row per image (or workload without an image) with
 * its state at a glance, its digest, the last cycle's phases and, when
 * something is wrong or changing, why.
 */
import type { ResourceView, RowState } from '../src/dev/session-store.js';
import type { Color, Segment } from './format.js';
import { cellWidth, fit, seconds, segmentsWidth, shortDigest, truncateSegments } from './format.js';
import { firstVisibleRow } from './layout.js';
import { Line } from './Line.js';
import { Panel, panelInnerWidth } from './Panel.js';

/** Props of {@link ResourcesPane}. */
export interface ResourcesPaneProps {
  resources: readonly ResourceView[];
  selected: number;
  focused: boolean;
  /** Total width, frame included. */
  width: number;
  /** Content rows, frame excluded. */
  height: number;
  color: boolean;
}

/** Column widths shared by all rows so they line up. */
export interface RowColumns {
  name: number;
  readiness: number;
  digest: boolean;
}

const STATE_WIDTH = 11; // 'rolling out'
const DIGEST_WIDTH = 14; // 'sha256:3f1c9a…'

/** Column widths for these rows at this content width. */
export function rowColumns(rows: readonly ResourceView[], width: number): RowColumns {
  const name = Math.min(18, Math.max(4, ...rows.map((r) => cellWidth(r.name))));
  const readiness = Math.min(10, Math.max(0, ...rows.map((r) => cellWidth(r.readiness ?? ''))));
  return { name, readiness, digest: width >= 64 && rows.some((r) => r.digest) };
}

/** The glyph before the state: a spinner while busy. */
function glyph(state: RowState, busy: boolean): Segment {
  if (busy) return { text: '', spinner: true, color: 'yellow' };
  switch (state) {
    case 'ready':
    case 'completed':
    case 'unchanged':
      return { text: '✓', color: 'green' };
    case 'failed':
      return { text: '✗', color: 'red', bold: true };
    case 'paused':
    case 'pending':
      return { text: '‖', color: 'yellow' };
    default:
      return { text: '·', dim: true };
  }
}

function stateColor(r: ResourceView): Color | undefined {
  if (r.busy || r.state === 'pending' || r.state === 'paused') return 'yellow';
  if (r.state === 'failed') return 'red';
  return r.state === 'ready' || r.state === 'completed' ? 'green' : undefined;
}

const PHASE_LABELS = [
  ['compile', 'compile'],
  ['publish', 'push'],
  ['apply', 'apply'],
  ['ready', 'rollout'],
] as const;

/** `compile 0.8s push 0.2s  1.9s` (phases, then the total), dropping the shortest phases until it fits `width`. */
export function phaseSummary(r: ResourceView, width: number): string {
  const last = r.cycles[0];
  if (!last) return '';
  const total = `${seconds(last.totalMs)}s`;
  const items = PHASE_LABELS.flatMap(([phase, label]) => {
    const ms = last.timings[phase];
    return ms ? [{ ms, text: `${label} ${seconds(ms)}s` }] : [];
  });
  const line = () => [items.map((i) => i.text).join(' '), total].filter(Boolean).join('  ');
  while (items.length && cellWidth(line()) > width) {
    let low = 0;
    items.forEach((it, i) => {
      if (it.ms < items[low]!.ms) low = i;
    });
    items.splice(low, 1);
  }
  return line();
}

/** The segments of one row, `width` cells wide at most. */
export function resourceRow(
  r: ResourceView,
  cols: RowColumns,
  selected: boolean,
  focused: boolean,
  width: number,
): Segment[] {
  const seg: Segment[] = [
    { text: selected ? '▸ ' : '  ', bold: true, color: 'cyan' },
    { text: fit(r.name, cols.name), bold: selected, inverse: selected && focused },
    { text: ' ' },
    glyph(r.state, r.busy),
    { text: ' ' },
    { text: fit(r.state, STATE_WIDTH), ...colorOf(stateColor(r)) },
    { text: ' ' },
  ];
  if (cols.readiness) seg.push({ text: `${fit(r.readiness ?? '', cols.readiness)} ` });
  if (cols.digest) seg.push({ text: `${fit(shortDigest(r.digest), DIGEST_WIDTH)} `, dim: true });
  const room = width - segmentsWidth(seg);
  const tail: Segment[] = [];
  if (r.restarts > 0) tail.push({ text: `restarts ${r.restarts} `, color: 'yellow' });
  const detail = r.detail ?? '';
  if (r.state === 'failed') tail.push({ text: detail, color: 'red' });
  else if (r.state === 'ready' || r.state === 'completed') {
    const used = segmentsWidth(tail) + (detail ? cellWidth(detail) + 2 : 0);
    tail.push({ text: phaseSummary(r, Math.max(0, room - used)), dim: true });
    if (detail) tail.push({ text: `  ${detail}`, dim: true });
  } else tail.push({ text: detail, dim: true });
  return truncateSegments([...seg, ...tail], width);
}

function colorOf(color: Color | undefined): { color?: Color } {
  return color ? { color } : {};
}

/** The resources pane, scrolled so the selected row is visible. */
export function ResourcesPane({ resources, selected, focused, width, height, color }: ResourcesPaneProps) {
  const inner = panelInnerWidth(width);
  const cols = rowColumns(resources, inner);
  const top = firstVisibleRow(selected, height, resources.length);
  const shown = resources.slice(top, top + height);
  const more = resources.length > height ? ` ${selected + 1}/${resources.length}` : '';
  return (
    <Panel
      title={[{ text: `resources${more}` }]}
      width={width}
      height={height}
      focused={focused}
      color={color}
    >
      {shown.length === 0 ? (
        <Line segments={[{ text: 'waiting for the first cycle…', dim: true }]} color={color} />
      ) : (
        shown.map((r, i) => (
          <Line
            key={r.key}
            segments={resourceRow(r, cols, top + i === selected, focused, inner)}
            color={color}
          />
        ))
      )}
    </Panel>
  );
}
