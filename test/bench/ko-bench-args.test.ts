/**
 * The ko benchmark's arguments are checked before it installs or starts
 * anything: a bad one is a one-line error and exit code 1.
 */
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/kodev.js';

async function koBench(args: string[]) {
  const r = await execa(process.execPath, [join(REPO_ROOT, 'bench/ko-bench.mjs'), ...args], {
    reject: false,
  });
  return { exitCode: r.exitCode, stderr: String(r.stderr), stdout: String(r.stdout) };
}

describe('ko-bench arguments', () => {
  it.each([
    [
      ['--scenarios', '7'],
      'ko-bench: --scenarios must list scenario numbers 1-6, e.g. --scenarios 1,5; got "7"',
    ],
    [
      ['--scenarios=1,x'],
      'ko-bench: --scenarios must list scenario numbers 1-6, e.g. --scenarios 1,5; got "1,x"',
    ],
    [['--scenarios'], "ko-bench: Option '--scenarios <value>' argument missing"],
    [['--rounds', '0'], 'ko-bench: --rounds must be a positive integer, got "0"'],
  ])('%j is refused with one line', async (args, message) => {
    const r = await koBench(args);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe(message);
  });

  it('an unknown option is refused with one line', async () => {
    const r = await koBench(['--bogus']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^ko-bench: Unknown option '--bogus'/);
  });
});
