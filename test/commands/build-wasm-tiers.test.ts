/**
 * Which WebAssembly kodev lets V8 optimize (system/wasm-tiers.ts): in a real
 * two-platform build against a real registry, V8's own trace
 * (`--trace-wasm-compilation-times`, printed on stdout) shows the compressor's
 * functions optimized (TurboFan) and undici's HTTP parser, the largest
 * WebAssembly function kodev runs, left at the baseline tier (Liftoff).
 */
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeMultiArchBase } from '../helpers/base-images.js';
import { CLI, copyFixture, kodevEnv, tempDir } from '../helpers/kodev.js';
import { type Registry, startRegistry } from '../helpers/registry.js';

let work: string;
let registry: Registry;

beforeAll(async () => {
  work = await tempDir();
  registry = await startRegistry();
  const base = await makeMultiArchBase(join(work, 'base'), ['linux/amd64', 'linux/arm64']);
  await execa('skopeo', [
    'copy',
    '--quiet',
    '--all',
    '--dest-tls-verify=false',
    base.ref,
    `docker://${registry.host}/bases/multi:1`,
  ]);
});

afterAll(async () => {
  await registry?.stop();
});

/** One line of V8's trace: which module (its address), which function, which compiler, the body's size. */
interface Compiled {
  module: string;
  fn: number;
  tier: string;
  bodySize: number;
}

function parseTrace(stdout: string): { compiled: Compiled[]; other: string[] } {
  const compiled: Compiled[] = [];
  const other: string[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^Compiled function (0x[0-9a-f]+)#(\d+) using (\w+),.* bodysize (\d+)/.exec(line);
    if (m) compiled.push({ module: m[1]!, fn: Number(m[2]), tier: m[3]!, bodySize: Number(m[4]) });
    else if (line && !line.startsWith('Compiled ')) other.push(line);
  }
  return { compiled, other };
}

describe('WebAssembly tiers in a build', () => {
  it('optimizes the compressor and leaves the HTTP parser at the baseline tier', async () => {
    const example = await copyFixture('example', join(work, 'example'));
    const r = await execa(
      process.execPath,
      ['--trace-wasm-compilation-times', CLI, 'build', './cmd/worker', '--platform=linux/amd64,linux/arm64'],
      {
        cwd: example,
        env: kodevEnv({
          KOCACHE: join(work, 'kocache'),
          KO_DOCKER_REPO: `${registry.host}/tiers`,
          KO_DEFAULTBASEIMAGE: `${registry.host}/bases/multi:1`,
        }),
        extendEnv: false,
        reject: false,
        timeout: 300_000,
      },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const { compiled, other } = parseTrace(r.stdout);
    // Besides the trace, stdout holds the one image reference.
    expect(other).toEqual([
      expect.stringMatching(new RegExp(`^${registry.host}/tiers/worker-[0-9a-f]+@sha256:`)),
    ]);
    // undici's llhttp: the largest function compiled, run for every response, and never optimized.
    const parser = compiled.reduce((a, b) => (b.bodySize > a.bodySize ? b : a));
    expect(parser.bodySize).toBeGreaterThan(20_000);
    const parserModule = compiled.filter((c) => c.module === parser.module);
    expect(parserModule.filter((c) => c.tier === 'Liftoff').length).toBeGreaterThan(0);
    expect(parserModule.filter((c) => c.tier !== 'Liftoff')).toEqual([]);
    // The compressor's hot functions are optimized.
    const optimized = compiled.filter((c) => c.tier === 'TurboFan');
    expect(optimized.length).toBeGreaterThan(0);
    expect(new Set(optimized.map((c) => c.module)).size).toBe(1);
  });
});
