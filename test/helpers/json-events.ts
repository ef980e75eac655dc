/** Reads `kodev up --json` output as it arrives, for tests that wait on the dev loop's events. */
import type { Readable } from 'node:stream';

/** One event line of `--json` output. */
export interface JsonEvent {
  type: string;
  [key: string]: unknown;
}

/** The events seen so far, and a bounded wait for the first one matching a predicate. */
export interface JsonEvents {
  events: JsonEvent[];
  until(pred: (e: JsonEvent) => boolean, ms: number): Promise<JsonEvent>;
}

/** Collects every JSON line `stdout` prints. */
export function collectJsonEvents(stdout: Readable | null | undefined): JsonEvents {
  const events: JsonEvent[] = [];
  let buf = '';
  stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const l of lines) if (l.trim()) events.push(JSON.parse(l) as JsonEvent);
  });
  return {
    events,
    async until(pred, ms) {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = events.find(pred);
        if (found) return found;
        if (Date.now() > deadline)
          throw new Error(`timed out; events:\n${events.map((e) => JSON.stringify(e)).join('\n')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}
