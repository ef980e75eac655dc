import { describe, expect, it } from 'vitest';
import { podName } from '../../src/commands/run.js';
import { parseDuration } from '../../src/options/kube-options.js';

describe('parseDuration', () => {
  const ok: [string, number][] = [
    ['300ms', 300],
    ['90s', 90_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
  ];
  for (const [text, ms] of ok)
    it(`${text} is ${ms} ms`, () => expect(parseDuration(text, '--timeout')).toBe(ms));
  for (const bad of ['', '5', 'm', '5x', '-1s', '0s', '5m extra'])
    it(`rejects ${JSON.stringify(bad)}`, () =>
      expect(() => parseDuration(bad, '--timeout')).toThrow(
        `--timeout ${JSON.stringify(bad)}: expected a duration`,
      ));
});

describe('podName', () => {
  const cases: [string, string][] = [
    ['./cmd/migrate', 'migrate-abcde'],
    ['ko://example.com/app/cmd/My_Server', 'my-server-abcde'],
    ['example.com/app/', 'app-abcde'],
    ['./cmd/___', 'kodev-run-abcde'],
  ];
  for (const [ref, name] of cases)
    it(`${ref} runs as ${name}`, () => expect(podName(ref, 'abcde')).toBe(name));
});
