import { describe, expect, it } from 'vitest';
import { detectLevel, isEmptyFilter, matchesFilter, parseFilter } from '../../src/dev/log-filter.js';
import { RingBuffer } from '../../src/dev/ring-buffer.js';

const line = (
  text: string,
  over: Partial<{ level: 'info' | 'warn' | 'error'; resource: string; prefix: string }> = {},
) => ({
  text,
  level: over.level ?? detectLevel(text),
  resource: over.resource ?? 'api',
  prefix: over.prefix ?? 'api-7d9f…x2x9k/api',
});

describe('detectLevel', () => {
  it.each([
    ['a plain line is info', 'listening on :8080', 'info'],
    ['JSON level error', '{"level":"error","msg":"boom"}', 'error'],
    ['JSON severity WARNING', '{"severity":"WARNING","msg":"slow"}', 'warn'],
    ['JSON level info with the word error in the message', '{"level":"info","msg":"no error here"}', 'info'],
    ['logfmt level=warn', 'time=1 level=warn msg="disk 91%"', 'warn'],
    ['logfmt lvl=debug', 'lvl=debug msg=x', 'info'],
    ['klog error prefix', 'E1122 12:01:07.123456 1 main.go:10] oops', 'error'],
    ['klog warning prefix', 'W1122 12:01:07.123456 1 main.go:10] hmm', 'warn'],
    ['a Go panic', 'panic: runtime error: index out of range', 'error'],
    ['the word WARNING', 'WARNING: deprecated flag', 'warn'],
    ['failed', 'request failed after 3 tries', 'error'],
    ['error inside a word is not an error', 'terrorist novel', 'info'],
  ] as const)('%s', (_name, text, level) => {
    expect(detectLevel(text)).toBe(level);
  });
});

describe('parseFilter and matchesFilter', () => {
  it.each([
    ['empty text is no filter', '', 'anything', true],
    ['substring, case-insensitive', 'LISTEN', 'listening on :8080', true],
    ['substring not present', 'draining', 'listening on :8080', false],
    ['text also matches the prefix', 'x2x9k', 'listening', true],
    ['regex matches', '/err(or)?|warn/', 'a warn line', true],
    ['regex does not match', '/^panic/', 'no panic here', false],
    ['regex flags', '/LISTEN/i', 'listening', true],
    ['level:warn keeps warnings', 'level:warn', 'WARNING: slow', true],
    ['level:warn drops info', 'level:warn', 'all good', false],
    ['level:error drops warnings', 'level:error', 'WARNING: slow', false],
    ['level:error keeps errors', 'level:error', 'panic: boom', true],
    ['res: matches the resource name', 'res:ap', 'x', true],
    ['res: other resource', 'res:worker', 'x', false],
    ['tokens and words combine', 'level:error boom', 'panic: boom', true],
    ['tokens and words combine, word missing', 'level:error bang', 'panic: boom', false],
  ] as const)('%s', (_name, input, text, expected) => {
    const { filter, error } = parseFilter(input);
    expect(error).toBeUndefined();
    expect(matchesFilter(filter, line(text))).toBe(expected);
  });

  it.each([
    ['an unclosed group', '/(abc/', /bad regular expression/],
    ['an unknown level', 'level:debug', /level: takes warn or error/],
  ])('reports %s', (_name, input, message) => {
    const { filter, error } = parseFilter(input);
    expect(error).toMatch(message);
    expect(isEmptyFilter(filter)).toBe(true);
  });

  it('a global regex matches every line, not every other one', () => {
    const { filter } = parseFilter('/a/g');
    expect([1, 2, 3].map(() => matchesFilter(filter, line('a')))).toEqual([true, true, true]);
  });
});

describe('RingBuffer', () => {
  it('keeps the newest items, oldest first, and counts every push', () => {
    const r = new RingBuffer<number>(3);
    for (let i = 0; i < 5; i++) r.push(i);
    expect([r.size, r.total]).toEqual([3, 5]);
    expect([0, 1, 2].map((i) => r.at(i))).toEqual([2, 3, 4]);
    expect(r.at(3)).toBeUndefined();
    r.clear();
    expect([r.size, r.total, r.at(0)]).toEqual([0, 5, undefined]);
    r.push(9);
    expect([r.size, r.at(0)]).toEqual([1, 9]);
  });

  it('refuses a capacity below one', () => {
    expect(() => new RingBuffer(0)).toThrow(RangeError);
  });
});
