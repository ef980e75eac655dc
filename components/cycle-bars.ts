/**
 * Timing bars of a resource's last cycles: one line per cycle, one bar
 * segment per phase, proportional to its time and on one scale for every
 * line so cycles compare at a glance. Labels of the shortest phases are
 * dropped first when the line is narrow.
 */
import type { Phase } from '../src/dev/events.js';
import { formatMs, type CycleRecord } from '../src/dev/session-store.js';
import type { Color, Segment } from './format.js';
import { bar, cellWidth, seconds } from './format.js';

/** The phases drawn, in the order a cycle runs them. */
export const BAR_PHASES = ['detect', 'compile', 'layer', 'publish', 'apply', 'ready'] as const;

/** What a phase is called on screen. */
export const PHASE_NAMES: Readonly<Record<Phase, string>> = {
  detect: 'detect',
  compile: 'compile',
  layer: 'layer',
  publish: 'push',
  apply: 'apply',
  ready: 'rollout',
  firstLog: 'first log',
};

const PHASE_COLORS: Readonly<Record<(typeof BAR_PHASES)[number], Color>> = {
  detect: 'gray',
  compile: 'blue',
  layer: 'cyan',
  publish: 'magenta',
  apply: 'yellow',
  ready: 'green',
};

interface Plan {
  c: CycleRecord;
  /** `#7` padded, then (after the ok glyph) the total time. */
  id: string;
  time: string;
  /** `first log +0.1`, dropped before any label when the line is narrow. */
  tail: string;
  parts: { phase: (typeof BAR_PHASES)[number]; ms: number; label?: string }[];
}

function fixedWidth(p: Plan): number {
  let w = cellWidth(p.id) + 4 + cellWidth(p.time) + (p.tail ? cellWidth(p.tail) + 1 : 0);
  for (const part of p.parts) if (part.label) w += cellWidth(part.label) + 3;
  return w;
}

/**
 * One line of segments per cycle (most recent first, as given), each at
 * most `width` cells: `#7 ✓ 1.9s ▎████ compile 0.8  ██ push 0.2 … first log +0.1`.
 */
export function cycleBars(cycles: readonly CycleRecord[], width: number): Segment[][] {
  if (!cycles.length) return [];
  const idWidth = Math.max(...cycles.map((c) => String(c.cycle).length)) + 1;
  const minBar = Math.max(8, Math.floor(width / 5));
  const plans: Plan[] = cycles.map((c) => {
    const parts = BAR_PHASES.flatMap((phase) => {
      const ms = c.timings[phase] ?? 0;
      return ms > 0 ? [{ phase, ms, label: `${PHASE_NAMES[phase]} ${seconds(ms)}` }] : [];
    });
    const first = c.timings.firstLog;
    const tail = first !== undefined ? `first log +${seconds(first)}` : '';
    const plan: Plan = {
      c,
      id: `#${c.cycle}`.padEnd(idWidth),
      time: formatMs(c.totalMs).padStart(5),
      tail,
      parts,
    };
    if (width - fixedWidth(plan) < minBar) plan.tail = '';
    const labelled = () => plan.parts.filter((p) => p.label);
    while (width - fixedWidth(plan) < minBar && labelled().length) {
      const smallest = labelled().reduce((a, b) => (b.ms < a.ms ? b : a));
      delete smallest.label;
    }
    if (tail && !plan.tail && width - fixedWidth(plan) - cellWidth(tail) >= minBar) plan.tail = tail;
    return plan;
  });
  // A partial block takes a whole cell: leave one per segment for rounding up.
  const room = Math.max(1, Math.min(...plans.map((p) => width - fixedWidth(p) - p.parts.length)));
  const longest = Math.max(1, ...plans.map((p) => p.parts.reduce((n, x) => n + x.ms, 0)));
  const scale = room / longest;
  return plans.map((p) => {
    const out: Segment[] = [
      { text: `${p.id} `, bold: true },
      p.c.ok ? { text: '✓', color: 'green' } : { text: '✗', color: 'red', bold: true },
      { text: ` ${p.time} ` },
    ];
    for (const part of p.parts) {
      out.push({ text: bar(part.ms * scale), color: PHASE_COLORS[part.phase] });
      if (part.label) out.push({ text: ` ${part.label}  ` });
    }
    if (p.tail) out.push({ text: ` ${p.tail}`, dim: true });
    if (!p.c.ok && p.c.error) out.push({ text: `  ${p.c.error}`, color: 'red' });
    return out;
  });
}
