/**
 * Proves the test helpers against the real tools: the run's private dockerd,
 * and base images made by umoci/skopeo as seen by skopeo, umoci and Docker.
 * A missing tool fails these tests with a hint to run
 * scripts/install-test-deps.sh; nothing is skipped.
 */
import { lstat, mkdtemp, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  makeDockerArchiveBase,
  makeMultiArchBase,
  makeOciBase,
  type OciBaseOptions,
  skopeoInspect,
  umociUnpack,
} from './base-images.js';
import { docker } from './dockerd.js';

const host = inject('dockerHost');
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kodev-services-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('dockerd', () => {
  it('answers on its own socket with the vfs storage driver', async () => {
    expect(host).toMatch(/^unix:\/\/\//);
    const { stdout } = await docker(host, ['info', '--format', '{{.Driver}}']);
    expect(stdout.trim()).toBe('vfs');
  });
});

describe('makeOciBase', () => {
  const cases: Array<{ name: string; options: OciBaseOptions; arch: string; os: string }> = [
    { name: 'defaults to linux/amd64', options: {}, arch: 'amd64', os: 'linux' },
    { name: 'sets arm64', options: { arch: 'arm64', tag: 'arm64' }, arch: 'arm64', os: 'linux' },
    { name: 'sets windows', options: { os: 'windows', tag: 'windows' }, arch: 'amd64', os: 'windows' },
  ];
  it.each(cases)('$name, as skopeo sees it', async ({ options, arch, os }) => {
    const base = await makeOciBase(join(work, 'oci'), options);
    expect(base.ref).toBe(`oci:${join(work, 'oci')}:${options.tag ?? 'latest'}`);
    const summary = await skopeoInspect(base.ref);
    expect(summary).toMatchObject({ Digest: base.digest, Architecture: arch, Os: os });
    expect(summary.Env).toEqual(['PATH=/usr/local/bin:/usr/bin:/bin']);
    expect(summary.Layers).toHaveLength(1);
  });

  it('writes user, env and cmd into the image config', async () => {
    const base = await makeOciBase(join(work, 'configured'), {
      user: '65532',
      env: { GREETING: 'hi' },
      cmd: ['/bin/sh', '-c', 'echo hi'],
    });
    const config = await skopeoInspect(base.ref, 'config');
    expect(config.config).toMatchObject({
      User: '65532',
      Env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'GREETING=hi'],
      Cmd: ['/bin/sh', '-c', 'echo hi'],
    });
  });

  it('returns the cached image for the same arguments', async () => {
    const first = await makeOciBase(join(work, 'oci'));
    const second = await makeOciBase(join(work, 'oci'));
    expect(second).toBe(first);
  });

  it('refuses to remake a tag with other options', async () => {
    await expect(makeOciBase(join(work, 'oci'), { arch: 'arm64' })).rejects.toThrow(
      /already made with other options/,
    );
  });

  it('unpacks with umoci to a busybox rootfs with a nonroot user', async () => {
    const base = await makeOciBase(join(work, 'oci'));
    const rootfs = await umociUnpack(base.ref, join(work, 'unpacked'));
    expect((await lstat(join(rootfs, 'bin', 'busybox'))).isFile()).toBe(true);
    for (const link of ['sh', 'cat', 'ls']) {
      expect(await readlink(join(rootfs, 'bin', link))).toBe('busybox');
    }
    expect(await readFile(join(rootfs, 'etc', 'passwd'), 'utf8')).toContain('nonroot:x:65532:65532:');
  });
});

describe('makeDockerArchiveBase', () => {
  it('loads into dockerd and runs busybox with no network', async () => {
    const base = await makeOciBase(join(work, 'for-docker'), { user: 'nonroot' });
    const archive = await makeDockerArchiveBase(base.ref, join(work, 'base.tar'), 'kodev-test/base:v1');
    const raw = await skopeoInspect(archive.ref, 'raw');
    expect(raw.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');

    const load = await docker(host, ['load', '-i', archive.file]);
    expect(load.stdout).toContain('kodev-test/base:v1');
    // No bridge exists (--bridge=none), so containers get --network=none.
    const run = (...command: string[]) =>
      docker(host, ['run', '--rm', '--network=none', archive.tag, ...command]);
    expect((await run('/bin/busybox', 'echo', 'hi')).stdout.trim()).toBe('hi');
    expect((await run('sh', '-c', 'id -u')).stdout.trim()).toBe('65532');
  });
});

describe('makeMultiArchBase', () => {
  it('makes an index with one image per platform plus an attestation-like entry', async () => {
    const platforms = ['linux/amd64', 'linux/arm64', 'linux/arm/v7', 'unknown/unknown'];
    const base = await makeMultiArchBase(join(work, 'multi'), platforms);
    expect(base.ref).toBe(`oci:${join(work, 'multi')}:multi`);

    const index = await skopeoInspect(base.ref, 'raw');
    expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    const listed = (index.manifests ?? []).map((d) =>
      [d.platform?.os, d.platform?.architecture, d.platform?.variant].filter(Boolean).join('/'),
    );
    expect(listed).toEqual(platforms);
    expect(index.manifests?.map((d) => d.digest)).toEqual(base.manifests.map((m) => m.digest));
    expect(index.manifests?.[3]?.annotations).toEqual({
      'vnd.docker.reference.type': 'attestation-manifest',
      'vnd.docker.reference.digest': base.manifests[0]?.digest,
    });

    const layoutIndex = JSON.parse(await readFile(join(base.layout, 'index.json'), 'utf8'));
    expect(layoutIndex.manifests).toEqual([
      expect.objectContaining({ digest: base.digest, mediaType: 'application/vnd.oci.image.index.v1+json' }),
    ]);

    // The children survived umoci gc: skopeo resolves the index per platform
    // (its summary's Digest stays the index's own digest).
    const native = await skopeoInspect(base.ref);
    expect(native).toMatchObject({ Digest: base.digest, Architecture: 'amd64', Os: 'linux' });
    const arm = await skopeoInspect(base.ref, 'config', 'linux/arm/v7');
    expect(arm.architecture).toBe('arm');
  });
});
