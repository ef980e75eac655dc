/**
 * Details of one resource: why it last rebuilt (files -> packages -> image),
 * the timing bars of its last cycles, its pods, applied objects, the current
 * problem and files waiting while paused.
 */
import type { ResourceView } from '../src/dev/session-store.js';
import { cycleBars } from './cycle-bars.js';
import type { Segment } from './format.js';
import { fit, shortDigest } from './format.js';
import { Line } from './Line.js';
import { Panel, panelInnerWidth } from './Panel.js';

/** Props of {@link DetailView}. */
export interface DetailViewProps {
  row?: ResourceView;
  /** Total width, frame included. */
  width: number;
  /** Content rows, frame excluded. */
  height: number;
  color: boolean;
}

const LABEL = 9;

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function list(items: readonly string[], max: number, map: (s: string) => string = (s) => s): string {
  const shown = items.slice(0, max).map(map).join(', ');
  return items.length > max ? `${shown} (+${items.length - max})` : shown;
}

/** `last rebuild: a.go changed -> example.com/m/pkg -> api (cycle #7)`, from the row's `why`. */
export function whyLine(r: ResourceView): string {
  const why = r.why;
  if (!why) return 'not rebuilt yet';
  const chain = [why.files.length ? `${list(why.files, 3, baseName)} changed` : why.reason];
  if (why.packages.length) chain.push(list(why.packages, 2));
  chain.push(r.name);
  return `last rebuild: ${chain.join(' -> ')}  (cycle #${why.cycle}, ${why.reason})`;
}

/**
 * The detail lines, in the order they are worth the space; as many cycles
 * (at least two, at most eight) as leave room for the rest in `height`.
 */
export function detailLines(r: ResourceView, width: number, height: number): Segment[][] {
  const label = (text: string, first: boolean): Segment => ({
    text: fit(first ? text : '', LABEL),
    bold: true,
  });
  const lines: Segment[][] = [];
  const state: Segment[] = [
    label('state', true),
    { text: r.state, bold: true, ...(r.state === 'failed' ? { color: 'red' as const } : {}) },
  ];
  if (r.readiness) state.push({ text: `  ${r.readiness}` });
  if (r.restarts) state.push({ text: `  restarts ${r.restarts}`, color: 'yellow' });
  if (r.detail) state.push({ text: `  ${r.detail}`, dim: true });
  lines.push(state);
  lines.push([label('why', true), { text: whyLine(r) }]);
  if (r.pending.length)
    lines.push([label('pending', true), { text: list(r.pending, 5, baseName), color: 'yellow' }]);
  if (r.problem) {
    const p = r.problem;
    lines.push([label('problem', true), { text: `${p.reason}: ${p.message}`, color: 'red', bold: true }]);
    p.lines.slice(0, 5).forEach((l) => lines.push([label('', false), { text: l, color: 'red' }]));
  }
  const cycleAt = lines.length;
  r.pods.slice(0, 4).forEach((p, i) => {
    const name = p.container ? `${p.name}/${p.container}` : p.name;
    const ok = p.status === 'running';
    lines.push([
      label('pods', i === 0),
      { text: `${name}  ` },
      { text: p.status, color: ok ? 'green' : 'red' },
      { text: p.message ? `  ${p.message}` : '', dim: true },
    ]);
  });
  r.objects.forEach((o, i) => lines.push([label('objects', i === 0), { text: o }]));
  const image = [r.reference ?? r.image ?? '', r.reference ? '' : shortDigest(r.digest)].filter(Boolean);
  if (image.length) lines.push([label('image', true), { text: image.join('  '), dim: true }]);
  const cycles = Math.min(8, Math.max(2, height - lines.length));
  const bars = cycleBars(r.cycles.slice(0, cycles), width - LABEL);
  lines.splice(cycleAt, 0, ...bars.map((segs, i) => [label('cycles', i === 0), ...segs]));
  return lines;
}

/** The details pane of the selected resource. */
export function DetailView({ row, width, height, color }: DetailViewProps) {
  const inner = panelInnerWidth(width);
  const all = row ? detailLines(row, inner, height) : [[{ text: 'nothing selected', dim: true }]];
  const shown = all.length > height ? [...all.slice(0, height - 1), [{ text: '…', dim: true }]] : all;
  return (
    <Panel
      title={[
        { text: `details  ${row?.name ?? ''}` },
        { text: row?.image ? `  ${row.image}` : '', dim: true },
      ]}
      width={width}
      height={height}
      focused
      color={color}
    >
      {shown.map((segs, i) => (
        <Line key={i} segments={segs} color={color} />
      ))}
    </Panel>
  );
}
