import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/kodev.js';
import { binaryTar, kodataTar } from '../../src/build/layers.js';
import { sha256Digest } from '../../src/oci/digest.js';
import {
  GZIP_COMPRESSOR,
  GZIP_FORMAT,
  GZIP_PIECE,
  GzipPool,
  gunzip,
  gzipDeterministic,
} from '../../src/oci/gzip.js';

// A fixed input (1 MiB unless told): bytes from a simple LCG, so it compresses but not trivially.
function sample(size = 1 << 20): Buffer {
  const b = Buffer.alloc(size);
  let x = 12345;
  for (let i = 0; i < b.length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    b[i] = (x >> 16) % 64;
  }
  return b;
}

describe('deterministic gzip', () => {
  it('compresses the same input to the same bytes, recorded here (guards the pinned deflate)', async () => {
    const input = sample();
    const a = await gzipDeterministic(input);
    expect((await gzipDeterministic(input)).equals(a)).toBe(true);
    expect(gunzip(a).equals(input)).toBe(true);
    // Recorded once; a change means layer digests would change between machines or upgrades.
    expect(sha256Digest(a)).toBe(GOLDEN_GZIP);
  });

  it('compresses a large input as one gzip member per piece, the same bytes on any number of threads', async () => {
    const input = sample(2 * GZIP_PIECE + 12345);
    const a = await gzipDeterministic(input);
    // Recorded once, like the golden above: the piece size and the compressor decide these bytes.
    expect(sha256Digest(a)).toBe(GOLDEN_GZIP_PIECES);
    for (const workers of [0, 1, 3]) {
      const pool = new GzipPool(workers);
      expect((await pool.compress(input, 1)).equals(a)).toBe(true);
      await Promise.all(pool.threads.map((t) => t.terminate()));
    }
    // Three members, each starting with the gzip magic number and header kodev writes.
    const header = a.subarray(0, 10);
    expect(countOf(a, header)).toBe(3);
    expect(gunzip(a).equals(input)).toBe(true);
  });

  it('finishes a large input on this thread when a worker dies under a piece', async () => {
    const input = sample(6 * GZIP_PIECE);
    const want = await new GzipPool(0).compress(input, 1);
    const pool = new GzipPool(2);
    await pool.compress(sample(GZIP_PIECE + 1), 1); // starts the workers
    await waitFor(() => pool.counts.ready === 2);
    const done = pool.compress(input, 1);
    await new Promise((r) => setImmediate(r));
    // Both workers hold a piece; the first is terminated with it.
    expect(pool.counts.busy).toBe(2);
    await pool.threads[0]?.terminate();
    expect((await done).equals(want)).toBe(true);
    expect(pool.threads.length).toBe(1);
    await Promise.all(pool.threads.map((t) => t.terminate()));
  });

  it("never touches fetch, Request or Response (their first use loads Node's HTTP client)", async () => {
    // A fresh Node process running the built module, with those globals watched.
    const script = `
      const touched = [];
      for (const name of ['fetch', 'Request', 'Response', 'Headers']) {
        const d = Object.getOwnPropertyDescriptor(globalThis, name);
        Object.defineProperty(globalThis, name, { configurable: true, get() { touched.push(name); return d.get ? d.get.call(this) : d.value; } });
      }
      const { gzipDeterministic, gunzip } = await import(${JSON.stringify(join(REPO_ROOT, 'dist/src/oci/gzip.js'))});
      const input = Buffer.alloc(3 << 20, 7);
      const ok = gunzip(await gzipDeterministic(input)).equals(input);
      console.log(JSON.stringify({ ok, touched }));
      process.exit(0);`;
    const { stdout } = await execa('node', ['--input-type=module', '-e', script]);
    expect(JSON.parse(stdout)).toEqual({ ok: true, touched: [] });
  });

  it('is readable by the system gzip, every member of it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kodev-gz-'));
    const big = join(dir, 'big.gz');
    const input = sample(GZIP_PIECE * 2 + 7);
    await writeFile(big, await gzipDeterministic(input));
    const { stdout } = await execa('gzip', ['-dc', big], { encoding: 'buffer' });
    expect(Buffer.from(stdout).equals(input)).toBe(true);
  });

  it('names the installed compressor in GZIP_FORMAT, which keys the layer cache', async () => {
    const installed = JSON.parse(
      await readFile(join(REPO_ROOT, 'node_modules/@hazae41/foras/package.json'), 'utf8'),
    ) as { name: string; version: string };
    expect(GZIP_COMPRESSOR).toBe(`${installed.name}@${installed.version}`);
    const pinned = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(pinned.dependencies[installed.name]).toBe(installed.version);
    expect(GZIP_FORMAT).toContain(GZIP_COMPRESSOR);
    expect(GZIP_FORMAT).toContain(`piece=${GZIP_PIECE}`);
  });

  it('is readable by the system gzip', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kodev-gz-'));
    const f = join(dir, 'x.gz');
    await writeFile(f, await gzipDeterministic(Buffer.from('hello gzip\n')));
    const { stdout } = await execa('gzip', ['-dc', f]);
    expect(stdout).toBe('hello gzip');
  });
});

describe('layer tars as GNU tar sees them', () => {
  it('kodata layer: ko parent dirs, 0555 files, fixed owner and mtime', async () => {
    const tar = await kodataTar([{ path: 'a/b.txt', data: Buffer.from('b') }], 'linux', 1700000000);
    const listing = await listTar(tar);
    expect(listing).toEqual([
      'dr-xr-xr-x 0/0 0 2023-11-14 22:13 /var',
      'dr-xr-xr-x 0/0 0 2023-11-14 22:13 /var/run',
      'dr-xr-xr-x 0/0 0 2023-11-14 22:13 /var/run/ko',
      '-r-xr-xr-x 0/0 1 2023-11-14 22:13 /var/run/ko/a/b.txt',
    ]);
  });

  it('binary layer for windows: Hives, Files/ko-app and the security descriptor', async () => {
    const tar = await binaryTar('/ko-app/app', Buffer.from('MZ'), 'windows');
    expect(await listTar(tar)).toEqual([
      'dr-xr-xr-x 0/0 0 1970-01-01 00:00 Hives',
      'dr-xr-xr-x 0/0 0 1970-01-01 00:00 Files',
      'dr-xr-xr-x 0/0 0 1970-01-01 00:00 Files/ko-app',
      '-r-xr-xr-x 0/0 2 1970-01-01 00:00 Files/ko-app/app',
    ]);
    expect(tar.toString('latin1')).toContain('MSWINDOWS.rawsd=');
  });
});

function countOf(haystack: Buffer, needle: Buffer): number {
  let n = 0;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) n++;
  return n;
}

async function waitFor(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
}

async function listTar(tar: Buffer): Promise<string[]> {
  const { stdout } = await execa('tar', ['--numeric-owner', '-tvf', '-'], { input: tar, env: { TZ: 'UTC' } });
  return stdout.split('\n').map((l) => l.replace(/\s+/g, ' ').trim());
}

const GOLDEN_GZIP = 'sha256:dd61195c190948869fcf2b1081565909e4b9b7fe19dba44d411c75dba7112154';
const GOLDEN_GZIP_PIECES = 'sha256:24a19da572032751591f7bdc2c06a48db9821f36d4a5713d41b3e052fcb03878';
