/**
 * The non-interactive view of the dev loop (non-TTY, CI, `--once`): one plain
 * line per event. Program output goes to stdout prefixed with where it came
 * from; progress goes to stderr. `--json` prints every event as one JSON line
 * on stdout instead.
 */
import { DEPLOY_FAILED } from './engine.js';
import type { DevEvent } from './events.js';

/** Where lines go. */
export interface PlainSinks {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** Formats events as plain lines (or JSON lines). */
export function plainLogger(sinks: PlainSinks, json: boolean): (e: DevEvent) => void {
  if (json) return (e) => sinks.stdout(`${JSON.stringify({ time: new Date().toISOString(), ...e })}\n`);
  return (e) => {
    const line = formatEvent(e);
    if (line === undefined) return;
    if (e.type === 'log') sinks.stdout(`${line}\n`);
    else sinks.stderr(`${line}\n`);
  };
}

/** One event as a line, or undefined for events that say nothing new in plain output. */
export function formatEvent(e: DevEvent): string | undefined {
  switch (e.type) {
    case 'session':
      return `kodev up: ${e.images.length} image(s), ${e.runtime} runtime (${e.target})`;
    case 'watching':
      return `watching ${e.roots.join(', ')}`;
    case 'cycle-start':
      return `cycle ${e.cycle}: ${e.reason === 'start' ? 'building' : 'rebuilding'} ${e.images.join(', ')}${e.files.length ? ` (changed: ${e.files.slice(0, 5).join(', ')}${e.files.length > 5 ? ', ...' : ''})` : ''}`;
    case 'image-state':
      // A failed deploy is told by the cycle's end line; the state says so for the UI.
      if (e.state !== 'failed' || e.detail?.startsWith(DEPLOY_FAILED)) return undefined;
      return `${e.image}: build failed: ${e.detail ?? ''}`;
    case 'build-output':
      return `${e.image} | ${e.line}`;
    case 'image-skipped':
      return `${e.image}: ${e.why}, nothing to do`;
    case 'published':
      return `${e.image}: ${e.reference}`;
    case 'applied':
      return e.objects.map((o) => `applied ${o}`).join('\n');
    case 'workload':
      return `${e.name} ${e.ready ? 'ready' : 'not ready'} (${e.summary})`;
    case 'log': {
      const where = [e.source.resource, e.source.pod, e.source.container].filter(Boolean).join('/');
      return `[${where}] ${e.line}`;
    }
    case 'problem':
      return [`${e.resource}: ${e.reason}: ${e.message}`, ...(e.lines ?? []).map((l) => `  ${l}`)].join('\n');
    case 'cycle-end': {
      const phases = Object.entries(e.timings)
        .map(([k, v]) => `${k} ${v} ms`)
        .join(', ');
      return `cycle ${e.cycle} ${e.ok ? 'done' : 'failed'} in ${e.totalMs} ms (${phases})${e.error ? `: ${e.error}` : ''}`;
    }
    case 'first-log':
      return `${e.resource}: first log line ${e.ms} ms after apply`;
    case 'error':
      return `error: ${e.message}${e.retrying ? ' (retrying)' : ''}`;
    case 'pending':
      return `paused: ${e.images.join(', ')} pending`;
    case 'stopped':
      return `stopped${e.cleanedUp ? ' (cleaned up)' : ''}`;
    default:
      return undefined;
  }
}
