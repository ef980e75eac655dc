/**
 * The top line: what runs where, whether saves rebuild, the last cycle and
 * how many resources are ready, busy or failed. Parts are dropped from the
 * least important up when the terminal is narrow.
 */
import { formatMs, type SessionView } from '../src/dev/session-store.js';
import type { Part, Segment } from './format.js';
import { fitParts } from './format.js';
import { Line } from './Line.js';

/** Props of {@link StatusBar}. */
export interface StatusBarProps {
  session: SessionView;
  width: number;
  color: boolean;
}

/** The parts of the status line, in display order, with the priority that decides which survive. */
export function statusParts(s: SessionView): Part[] {
  const parts: Part[] = [{ segments: [{ text: ' kodev up', bold: true }], priority: 100 }];
  if (s.target) {
    const where = s.runtime ? `${s.runtime} ${s.target}` : s.target;
    parts.push({ segments: [{ text: where }], priority: 40 });
  }
  parts.push({
    segments: [{ text: s.watching ? `watching ${s.watchedRoots} roots` : 'starting', dim: true }],
    priority: 30,
  });
  parts.push({ segments: mode(s), priority: 90 });
  if (s.cycle > 0) {
    const cycle: Segment[] = [{ text: `cycle #${s.cycle} ` }];
    if (s.cycleRunning) cycle.push({ text: '', spinner: true, color: 'yellow' });
    else if (s.lastCycleMs !== undefined) cycle.push({ text: formatMs(s.lastCycleMs) });
    parts.push({ segments: cycle, priority: 70 });
  }
  parts.push({ segments: counts(s), priority: 80 });
  if (s.lastError)
    parts.push({
      segments: [
        { text: `✗ ${s.lastError.message}${s.lastError.retrying ? ' (retrying)' : ''}`, color: 'red' },
      ],
      priority: 20,
    });
  return parts;
}

function mode(s: SessionView): Segment[] {
  if (s.stopped) return [{ text: '■ stopped', bold: true }];
  if (s.stopping) return [{ text: '■ stopping…', color: 'yellow', bold: true }];
  if (!s.paused) return [{ text: '● auto', color: 'green' }];
  const pending = new Set(s.resources.flatMap((r) => r.pending)).size;
  return [{ text: `‖ paused${pending ? ` (${pending} pending)` : ''}`, color: 'yellow', bold: true }];
}

function counts(s: SessionView): Segment[] {
  let ready = 0;
  let busy = 0;
  let failed = 0;
  for (const r of s.resources) {
    if (r.busy) busy++;
    else if (r.state === 'failed') failed++;
    else if (r.state === 'ready' || r.state === 'completed') ready++;
  }
  const out: Segment[] = [{ text: `${ready} ready`, color: 'green' }];
  if (busy) out.push({ text: ` ${busy} busy`, color: 'yellow' });
  if (failed) out.push({ text: ` ${failed} failed`, color: 'red', bold: true });
  return out;
}

/** The status line. */
export function StatusBar({ session, width, color }: StatusBarProps) {
  return <Line segments={fitParts(statusParts(session), width)} color={color} />;
}
