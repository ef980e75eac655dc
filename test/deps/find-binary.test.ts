/**
 * Finding an image's entrypoint binary in its layers: top layer first,
 * whiteouts, one symlink, gzip and plain tar. Layers are written with
 * tar-stream and node:zlib directly, not with kodev's own tar writer.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entrypointPath, extractEntrypoint } from '../../src/deps/find-binary.js';
import type { Image, Layer } from '../../src/oci/image.js';
import type { ContainerConfig } from '../../src/oci/types.js';

/** One tar entry: a file with content, a directory, or a symlink / hard link. */
type Entry =
  | { name: string; data: string }
  | { name: string; dir: true }
  | { name: string; symlink: string }
  | { name: string; hardlink: string };

async function tarOf(entries: readonly Entry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    p.on('data', (c: unknown) => chunks.push(c as Buffer));
    p.on('end', resolve);
    p.on('error', reject);
  });
  for (const e of entries) {
    if ('data' in e) p.entry({ name: e.name, mode: 0o755 }, e.data);
    else if ('dir' in e) p.entry({ name: e.name, type: 'directory', mode: 0o755 });
    else if ('symlink' in e) p.entry({ name: e.name, type: 'symlink', linkname: e.symlink });
    else p.entry({ name: e.name, type: 'link', linkname: e.hardlink });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** An image whose layers are listed bottom first; every second layer is gzipped. */
async function imageOf(layers: readonly (readonly Entry[])[], config: ContainerConfig): Promise<Image> {
  const built: Layer[] = await Promise.all(
    layers.map(async (entries, i) => {
      const tar = await tarOf(entries);
      const gz = i % 2 === 0;
      const bytes = gz ? gzipSync(tar) : tar;
      const digest = `sha256:${String(i).padStart(64, '0')}`;
      return {
        descriptor: {
          mediaType: `application/vnd.oci.image.layer.v1.tar${gz ? '+gzip' : ''}`,
          digest,
          size: bytes.byteLength,
        },
        diffId: digest,
        blob: {
          digest,
          size: bytes.byteLength,
          read: async () => bytes,
          open: async () => Readable.from([bytes]),
        },
      };
    }),
  );
  return {
    kind: 'image',
    manifest: { schemaVersion: 2, config: { mediaType: '', digest: '', size: 0 }, layers: [] },
    manifestBytes: Buffer.alloc(0),
    digest: `sha256:${'ab'.repeat(32)}`,
    config: {
      architecture: 'amd64',
      os: 'linux',
      config,
      rootfs: { type: 'layers', diff_ids: [] },
    },
    configBytes: Buffer.alloc(0),
    layers: built,
  };
}

const APP = { Entrypoint: ['/ko-app/app'] };
const BASE: Entry[] = [
  { name: 'bin/', dir: true },
  { name: 'bin/sh', data: 'shell' },
];
let dir: string;
let files = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kodev-find-binary-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('extractEntrypoint finds the binary', () => {
  it.each<[string, Entry[][], ContainerConfig, string, string]>([
    ['in the top layer (gzip)', [BASE, [], [{ name: 'ko-app/app', data: 'top' }]], APP, '/ko-app/app', 'top'],
    [
      'in a lower layer below unrelated ones (plain tar)',
      [BASE, [{ name: 'ko-app/app', data: 'low' }], [{ name: 'etc/x', data: '' }]],
      APP,
      '/ko-app/app',
      'low',
    ],
    [
      'the upper copy when two layers hold it',
      [[{ name: 'ko-app/app', data: 'old' }], [{ name: 'ko-app/app', data: 'new' }]],
      APP,
      '/ko-app/app',
      'new',
    ],
    ['under ./ entry names', [[{ name: './ko-app/app', data: 'dot' }]], APP, '/ko-app/app', 'dot'],
    [
      'next to its own whiteout in the same layer',
      [
        [{ name: 'ko-app/app', data: 'old' }],
        [
          { name: 'ko-app/.wh.app', data: '' },
          { name: 'ko-app/app', data: 'same' },
        ],
      ],
      APP,
      '/ko-app/app',
      'same',
    ],
    [
      'through a relative symlink into a lower layer',
      [[{ name: 'usr/bin/real', data: 'real' }], [{ name: 'ko-app/app', symlink: '../usr/bin/real' }]],
      APP,
      '/usr/bin/real',
      'real',
    ],
    [
      'through an absolute symlink',
      [
        [
          { name: 'ko-app/app', symlink: '/opt/app' },
          { name: 'opt/app', data: 'abs' },
        ],
      ],
      APP,
      '/opt/app',
      'abs',
    ],
    [
      'through a hard link',
      [
        [
          { name: 'opt/app', data: 'hard' },
          { name: 'ko-app/app', hardlink: 'opt/app' },
        ],
      ],
      APP,
      '/opt/app',
      'hard',
    ],
    [
      'from a relative entrypoint in the working directory',
      [[{ name: 'srv/app', data: 'wd' }]],
      { Entrypoint: ['app'], WorkingDir: '/srv' },
      'app',
      'wd',
    ],
    [
      'under Files/ for a Windows entrypoint',
      [[{ name: 'Files/ko-app/app.exe', data: 'win' }]],
      { Entrypoint: ['C:\\ko-app\\app.exe'] },
      'C:\\ko-app\\app.exe',
      'win',
    ],
  ])('%s', async (_name, layers, config, wantPath, wantData) => {
    const dest = join(dir, `found-${++files}`);
    const image = await imageOf(layers, config);
    expect(await extractEntrypoint(image, 'img', dest)).toBe(wantPath);
    expect(await readFile(dest, 'utf8')).toBe(wantData);
  });
});

describe('extractEntrypoint fails with one clear error', () => {
  it.each<[string, Entry[][], ContainerConfig, RegExp]>([
    ['when no layer holds it', [BASE], APP, /^entrypoint \/ko-app\/app of img is in none of its layers$/],
    [
      'when an upper layer whites it out',
      [[{ name: 'ko-app/app', data: 'x' }], [{ name: 'ko-app/.wh.app', data: '' }]],
      APP,
      /is in none of its layers/,
    ],
    [
      'when an upper layer whites out its directory',
      [[{ name: 'ko-app/app', data: 'x' }], [{ name: '.wh.ko-app', data: '' }]],
      APP,
      /is in none of its layers/,
    ],
    [
      'when an upper layer makes its directory opaque',
      [[{ name: 'ko-app/app', data: 'x' }], [{ name: 'ko-app/.wh..wh..opq', data: '' }]],
      APP,
      /is in none of its layers/,
    ],
    ['when it is a directory', [[{ name: 'ko-app/app/', dir: true }]], APP, /is not a regular file$/],
    [
      'when a symlink points at another symlink',
      [
        [
          { name: 'ko-app/app', symlink: 'b' },
          { name: 'ko-app/b', symlink: 'c' },
        ],
      ],
      APP,
      /is a link to a link \(ko-app\/c\); kodev follows one \(at \/ko-app\/b\)$/,
    ],
    ['when there is no entrypoint', [BASE], {}, /^img has no entrypoint/],
    ['when the entrypoint is empty', [BASE], { Entrypoint: [] }, /^img has no entrypoint/],
  ])('%s', async (_name, layers, config, message) => {
    const image = await imageOf(layers, config);
    await expect(extractEntrypoint(image, 'img', join(dir, `failed-${++files}`))).rejects.toThrow(message);
  });

  it('with the file system error itself when the destination cannot be written', async () => {
    const image = await imageOf([[{ name: 'ko-app/app', data: 'x' }]], APP);
    await expect(extractEntrypoint(image, 'img', join(dir, 'no-such-dir', 'app'))).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });

  it('when a layer is not a tar archive', async () => {
    const image = await imageOf([BASE], APP);
    const junk = Buffer.from('not gzip at all');
    const layer = image.layers[0] as Layer;
    layer.blob = { ...layer.blob, open: async () => Readable.from([junk]) };
    await expect(extractEntrypoint(image, 'img', join(dir, 'junk'))).rejects.toThrow(
      /^img: cannot read layer sha256:0+: /,
    );
  });
});

describe('entrypointPath', () => {
  it.each<[string, ContainerConfig, string]>([
    ['an absolute path loses its leading slash', { Entrypoint: ['/ko-app/app', '-v'] }, 'ko-app/app'],
    ['dot segments are resolved', { Entrypoint: ['/ko-app/../bin/./app'] }, 'bin/app'],
    ['a relative path without WorkingDir starts at the root', { Entrypoint: ['app'] }, 'app'],
    ['Windows drive paths map to Files/', { Entrypoint: ['C:\\ko-app\\x.exe'] }, 'Files/ko-app/x.exe'],
  ])('%s', async (_name, config, entryName) => {
    expect(entrypointPath(await imageOf([], config), 'img').entryName).toBe(entryName);
  });
});
