import { describe, expect, it } from 'vitest';
import { logMatcher, scrollAnchor, visibleLogs } from '../../components/log-window.js';
import { parseFilter } from '../../src/dev/log-filter.js';
import { RingBuffer } from '../../src/dev/ring-buffer.js';
import type { LogEntry } from '../../src/dev/session-store.js';

function buffer(texts: string[], capacity = 100): RingBuffer<LogEntry> {
  const logs = new RingBuffer<LogEntry>(capacity);
  for (const text of texts)
    logs.push({
      seq: logs.total,
      at: 0,
      kind: 'pod',
      resource: text.startsWith('w') ? 'worker' : 'api',
      name: text.startsWith('w') ? 'worker' : 'api',
      prefix: 'p',
      colorKey: 'p',
      text,
      level: text.includes('err') ? 'error' : 'info',
    });
  return logs;
}

const all = () => true;
const texts = (entries: LogEntry[]) => entries.map((e) => e.text);
// a0 w1 a2 w3 ... a18 w19
const twenty = Array.from({ length: 20 }, (_, i) => `${i % 2 ? 'w' : 'a'}${i}`);

describe('visibleLogs', () => {
  it.each<[string, string[], number | undefined, number, (e: LogEntry) => boolean, string[]]>([
    ['following shows the newest lines', twenty, undefined, 3, all, ['w17', 'a18', 'w19']],
    ['an anchor ends the window at that line', twenty, 10, 3, all, ['a8', 'w9', 'a10']],
    [
      'a filter skips lines while filling the pane',
      twenty,
      undefined,
      3,
      (e) => e.resource === 'worker',
      ['w15', 'w17', 'w19'],
    ],
    ['an anchor before the buffer clamps to the oldest line', twenty, -5, 3, all, ['a0']],
    ['fewer lines than the pane shows them all', ['a0', 'w1'], undefined, 5, all, ['a0', 'w1']],
    ['nothing matches: empty', twenty, undefined, 3, () => false, []],
  ])('%s', (_case, lines, anchor, count, match, expected) => {
    expect(texts(visibleLogs(buffer(lines), match, anchor, count))).toEqual(expected);
  });

  it('anchors on sequence numbers after the buffer wrapped', () => {
    const logs = buffer(twenty, 8); // holds a12 .. w19 (seq 12..19)
    expect(texts(visibleLogs(logs, all, 14, 2))).toEqual(['w13', 'a14']);
  });

  it('looks at only as many lines as it shows when everything matches', () => {
    const logs = buffer(
      Array.from({ length: 5000 }, (_, i) => `a${i}`),
      5000,
    );
    let looked = 0;
    visibleLogs(logs, () => ++looked > 0, undefined, 10);
    expect(looked).toBe(10);
  });
});

describe('scrollAnchor', () => {
  it.each<[string, number | undefined, number, number, (e: LogEntry) => boolean, number | undefined]>([
    ['one line back from the tail anchors on the line before the newest', undefined, -1, 3, all, 18],
    ['a page back from the tail', undefined, -5, 3, all, 14],
    ['back past the start stops at the oldest full page', 5, -10, 3, all, 2],
    ['-Infinity goes to the oldest full page', undefined, -Infinity, 3, all, 2],
    ['forward from an anchor', 10, 2, 3, all, 12],
    ['forward onto the newest line follows again', 17, 2, 3, all, undefined],
    ['forward past the end follows again', 17, 50, 3, all, undefined],
    ['forward while following stays following', undefined, 3, 3, all, undefined],
    ['back counts only matching lines', undefined, -1, 3, (e) => e.resource === 'worker', 17],
    ['everything fits in one page: nothing to scroll', undefined, -1, 30, all, undefined],
  ])('%s', (_case, anchor, delta, page, match, expected) => {
    expect(scrollAnchor(buffer(twenty), match, anchor, delta, page)).toBe(expected);
  });
});

describe('logMatcher', () => {
  const e = (over: Partial<LogEntry>): LogEntry => ({
    seq: 0,
    at: 0,
    kind: 'pod',
    resource: 'example.com/m/cmd/api',
    name: 'api',
    prefix: 'api-1/api',
    colorKey: 'k',
    text: 'hello',
    level: 'info',
    ...over,
  });
  it.each<[string, Parameters<typeof logMatcher>[0], LogEntry, boolean]>([
    ['no query matches', { filter: {}, level: 'all' }, e({}), true],
    [
      'text filter matches the prefix too',
      { filter: parseFilter('api-1').filter, level: 'all' },
      e({}),
      true,
    ],
    ['text filter rejects', { filter: parseFilter('nope').filter, level: 'all' }, e({}), false],
    ['level warn keeps errors', { filter: {}, level: 'warn' }, e({ level: 'error' }), true],
    ['level warn drops info', { filter: {}, level: 'warn' }, e({}), false],
    ['level error drops warnings', { filter: {}, level: 'error' }, e({ level: 'warn' }), false],
    [
      'scope keeps the resource',
      { filter: {}, level: 'all', resource: 'example.com/m/cmd/api' },
      e({}),
      true,
    ],
    [
      'scope drops session events',
      { filter: {}, level: 'all', resource: 'example.com/m/cmd/api' },
      e({ resource: '' }),
      false,
    ],
  ])('%s', (_case, query, entry, expected) => {
    expect(logMatcher(query)(entry)).toBe(expected);
  });
});
