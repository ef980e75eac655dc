import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { binaryTar, kodataTar } from '../../src/build/layers.js';
import { sha256Digest } from '../../src/oci/digest.js';
import { gunzip, gzipDeterministic } from '../../src/oci/gzip.js';

// A fixed 1 MiB input: bytes from a simple LCG, so it compresses but not trivially.
function sample(): Buffer {
  const b = Buffer.alloc(1 << 20);
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

async function listTar(tar: Buffer): Promise<string[]> {
  const { stdout } = await execa('tar', ['--numeric-owner', '-tvf', '-'], { input: tar, env: { TZ: 'UTC' } });
  return stdout.split('\n').map((l) => l.replace(/\s+/g, ' ').trim());
}

const GOLDEN_GZIP = 'sha256:dd61195c190948869fcf2b1081565909e4b9b7fe19dba44d411c75dba7112154';
