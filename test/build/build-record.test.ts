import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  inputStatus,
  inputsUnchanged,
  readRecord,
  recordFile,
  requestKey,
  FILE_TIME_SLACK_MS,
  settledBefore,
  treePaths,
  writeRecord,
} from '../../src/build/build-record.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kodev-record-'));
  await mkdir(join(dir, 'kodata/sub'), { recursive: true });
  await writeFile(join(dir, 'a.go'), 'package main\n');
  await writeFile(join(dir, 'kodata/sub/x.txt'), 'x');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('build records', () => {
  it.each<[string, (d: string) => Promise<void>, boolean]>([
    ['nothing touched', async () => undefined, true],
    [
      'a file rewritten with the same bytes (ctime moves)',
      (d) => writeFile(join(d, 'a.go'), 'package main\n'),
      false,
    ],
    ['a file edited', (d) => writeFile(join(d, 'a.go'), 'package main // edited\n'), false],
    ['a file added to a recorded directory', (d) => writeFile(join(d, 'b.go'), 'package main\n'), false],
    ['a missing path appears', (d) => writeFile(join(d, 'go.work'), 'go 1.22\n'), false],
  ])('%s: unchanged is %s', async (_name, change, expected) => {
    const case_ = await mkdtemp(join(dir, 'case-'));
    await writeFile(join(case_, 'a.go'), 'package main\n');
    const recorded = await inputStatus([join(case_, 'a.go'), case_, join(case_, 'go.work')]);
    await new Promise((r) => setTimeout(r, 20));
    await change(case_);
    expect(await inputsUnchanged(recorded)).toBe(expected);
  });

  it('settledBefore refuses inputs changed at or after the build started, or a clock tick before', async () => {
    const file = join(dir, 'late.go');
    await writeFile(file, 'package main\n');
    const [status] = await inputStatus([file]);
    const changedAt = Number(BigInt(status?.ctimeNs ?? '0') / 1_000_000n);
    expect(settledBefore(status ? [status] : [], changedAt + FILE_TIME_SLACK_MS + 5)).toBe(true);
    // A file time can lag the clock by a tick: a change just before the start is not trusted.
    expect(settledBefore(status ? [status] : [], changedAt + 5)).toBe(false);
    expect(settledBefore(status ? [status] : [], changedAt - 5)).toBe(false);
  });

  it('lists a kodata tree with its directories, and just the path when it does not exist', async () => {
    expect((await treePaths(join(dir, 'kodata'))).sort()).toEqual(
      [join(dir, 'kodata'), join(dir, 'kodata/sub'), join(dir, 'kodata/sub/x.txt')].sort(),
    );
    expect(await treePaths(join(dir, 'nope'))).toEqual([join(dir, 'nope')]);
  });

  it('keys runs by command line, relevant environment, directory and .ko.yaml, and stores records atomically', async () => {
    const cwd = join(dir, 'module');
    await mkdir(cwd, { recursive: true });
    const run = {
      argv: ['build', './cmd/app'],
      env: { KO_DOCKER_REPO: 'r', TERM: 'xterm' },
      cwd,
      hostArch: 'x64',
      version: '1.0.0',
    };
    const key = await requestKey(run);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(await requestKey({ ...run, env: { KO_DOCKER_REPO: 'r' } })).toBe(key);
    // Where the extra CA certificates come from changes no build.
    expect(await requestKey({ ...run, env: { ...run.env, KODEV_EXTRA_CA_CERTS: '/ca.pem' } })).toBe(key);
    for (const other of [
      { argv: ['build', '--bare', './cmd/app'] },
      { env: { KO_DOCKER_REPO: 'other' } },
      { env: { ...run.env, GOFLAGS: '-tags=x' } },
      { cwd: dir },
      { hostArch: 'arm64' },
      { version: '1.0.1' },
    ])
      expect(await requestKey({ ...run, ...other })).not.toBe(key);
    await writeFile(join(cwd, '.ko.yaml'), 'defaultBaseImage: a\n');
    const withKoYaml = await requestKey(run);
    expect(withKoYaml).not.toBe(key);
    await writeFile(join(cwd, '.ko.yaml'), 'defaultBaseImage: b\n');
    expect(await requestKey(run)).not.toBe(withKoYaml);
    await writeFile(join(cwd, 'kodev.config.ts'), 'export default {};\n');
    expect(await requestKey(run)).toBeUndefined();

    const file = recordFile(join(dir, 'cache'), key ?? '');
    expect(await readRecord(file)).toBeUndefined();
    const record = {
      version: 2 as const,
      stdout: 'r@sha256:1\n',
      insecure: false,
      inputs: [],
      facts: [],
    };
    await writeRecord(file, record);
    expect(await readRecord(file)).toEqual(record);
    await writeFile(file, '{"version":1,"printed":[],"inputs":[],"facts":[]}');
    expect(await readRecord(file)).toBeUndefined();
  });
});
