/**
 * `kodev build` end to end: real Go toolchain, bases made by umoci/skopeo,
 * results checked with skopeo, umoci, GNU tar and Docker (never kodev's reader).
 */
import { lstat, mkdir, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import {
  makeDockerArchiveBase,
  makeMultiArchBase,
  makeOciBase,
  type OciBase,
  type RawManifest,
  skopeoInspect,
  umociUnpack,
} from '../helpers/base-images.js';
import { docker } from '../helpers/dockerd.js';
import { copyFixture, runKodev, tempDir } from '../helpers/kodev.js';

const HELLO = 'example.com/kodev-example/cmd/hello';
const HELLO_NAME = 'hello-02517e9b69e5e762885ffb14a4585f1b'; // md5 of the import path, as ko names it

let work: string;
let example: string;
let busybox: OciBase;

beforeAll(async () => {
  work = await tempDir();
  example = await copyFixture('example', join(work, 'example'));
  busybox = await makeOciBase(join(work, 'bases'), {
    env: { HOME: '/root' },
    cmd: ['sh'],
    user: 'nonroot',
    tag: 'busybox',
  });
});

describe('kodev build --push=false --oci-layout-path (scratch base)', () => {
  it('writes an image skopeo and umoci read, laid out like ko', async () => {
    const out = join(work, 'layout-scratch');
    const r = await runKodev(['build', './cmd/hello', '--push=false', '--oci-layout-path', out], {
      cwd: example,
      env: { KO_DEFAULTBASEIMAGE: 'scratch' },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    // stdout carries only the reference; progress is on stderr.
    expect(r.stdout).toMatch(new RegExp(`^ko\\.local/${HELLO_NAME}@sha256:[a-f0-9]{64}\\n$`));
    expect(r.stderr).toContain(`Building ${HELLO} for linux/`);
    const digest = r.stdout.trim().split('@')[1];

    const info = await skopeoInspect(`oci:${out}:${HELLO_NAME}`);
    expect(info.Digest).toBe(digest);
    expect(info.Layers).toHaveLength(2);
    const config = await skopeoInspect(`oci:${out}:${HELLO_NAME}`, 'config');
    expect(config.config?.Entrypoint).toEqual(['/ko-app/hello']);
    expect(config.config?.Cmd ?? null).toBeNull();
    expect(config.config?.Env).toEqual(['PATH=/ko-app', 'KO_DATA_PATH=/var/run/ko']);
    const raw = await skopeoInspect(`oci:${out}:${HELLO_NAME}`, 'raw');
    expect(raw.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(raw.layers?.map((l) => l.mediaType)).toEqual(
      Array(2).fill('application/vnd.oci.image.layer.v1.tar+gzip'),
    );
    expect(raw.annotations?.['org.opencontainers.image.base.name']).toBe('scratch');
    expect(raw.annotations?.['org.opencontainers.image.base.digest']).toMatch(/^sha256:/);

    const rootfs = await umociUnpack(`${out}:${HELLO_NAME}`, join(work, 'unpack-scratch'));
    const bin = await stat(join(rootfs, 'ko-app/hello'));
    expect(bin.mode & 0o777).toBe(0o555);
    expect(bin.mtimeMs).toBe(0);
    for (const [file, content] of [
      ['greeting.txt', 'greetings from kodata\n'],
      ['static/nested/page.html', '<p>nested page</p>\n'],
      // A symlink inside the repository is followed: the image holds the file itself.
      ['motd.txt', 'message of the day (through a symlink)\n'],
    ]) {
      const p = join(rootfs, 'var/run/ko', file as string);
      expect((await lstat(p)).isFile()).toBe(true);
      expect(await readFile(p, 'utf8')).toBe(content);
      expect((await stat(p)).mode & 0o777).toBe(0o555);
      expect((await stat(p)).mtimeMs).toBe(0);
    }
  });

  it('KO_DATA_DATE_EPOCH sets kodata mtimes and SOURCE_DATE_EPOCH the config created time', async () => {
    const out = join(work, 'layout-epoch');
    const r = await runKodev(['build', './cmd/hello', '--push=false', '--oci-layout-path', out], {
      cwd: example,
      env: {
        KO_DEFAULTBASEIMAGE: 'scratch',
        KO_DATA_DATE_EPOCH: '1700000000',
        SOURCE_DATE_EPOCH: '1600000000',
      },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const rootfs = await umociUnpack(`${out}:${HELLO_NAME}`, join(work, 'unpack-epoch'));
    expect((await stat(join(rootfs, 'var/run/ko/greeting.txt'))).mtimeMs).toBe(1700000000 * 1000);
    const config = await skopeoInspect(`oci:${out}:${HELLO_NAME}`, 'config');
    expect(config.created).toBe('2020-09-13T12:26:40Z');
  });
});

describe('kodev build on an umoci-made busybox base', () => {
  it('keeps base layers and user, appends to PATH, clears Cmd, sets labels and annotations', async () => {
    const out = join(work, 'layout-busybox');
    const r = await runKodev(
      [
        'build',
        './cmd/hello',
        '--push=false',
        '--oci-layout-path',
        out,
        '--image-label',
        'team=core',
        '--image-annotation',
        'org.example/note=hi',
      ],
      { cwd: example, env: { KO_DEFAULTBASEIMAGE: busybox.ref } },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const ref = `oci:${out}:${HELLO_NAME}`;
    const base = await skopeoInspect(busybox.ref);
    const info = await skopeoInspect(ref);
    expect(info.Layers.slice(0, base.Layers.length)).toEqual(base.Layers);
    expect(info.Layers).toHaveLength(base.Layers.length + 2);
    const config = await skopeoInspect(ref, 'config');
    expect(config.config?.User).toBe('nonroot');
    expect(config.config?.Cmd ?? null).toBeNull();
    expect(config.config?.Entrypoint).toEqual(['/ko-app/hello']);
    expect(config.config?.Env).toEqual([
      'PATH=/usr/local/bin:/usr/bin:/bin:/ko-app',
      'HOME=/root',
      'KO_DATA_PATH=/var/run/ko',
    ]);
    expect(config.config?.Labels).toMatchObject({ team: 'core' });
    const raw = await skopeoInspect(ref, 'raw');
    expect(raw.annotations).toMatchObject({
      'org.opencontainers.image.base.name': busybox.ref,
      'org.opencontainers.image.base.digest': busybox.digest,
      'org.example/note': 'hi',
    });
  });

  it('--image-user overrides the base user', async () => {
    const out = join(work, 'layout-user');
    const r = await runKodev(
      ['build', './cmd/hello', '--push=false', '--oci-layout-path', out, '--image-user', '1234:1234'],
      {
        cwd: example,
        env: { KO_DEFAULTBASEIMAGE: busybox.ref },
      },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect((await skopeoInspect(`oci:${out}:${HELLO_NAME}`, 'config')).config?.User).toBe('1234:1234');
  });

  it('--tarball loads into Docker and the container prints the program output and its kodata', async () => {
    const host = inject('dockerHost');
    const tarball = join(work, 'hello.tar');
    const r = await runKodev(
      ['build', './cmd/hello', '--push=false', '--tarball', tarball, '-t', 'v1,latest', '-B'],
      {
        cwd: example,
        env: { KO_DEFAULTBASEIMAGE: busybox.ref, KO_DOCKER_REPO: 'kodev.test/e2e' },
      },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^kodev\.test\/e2e\/hello:v1@sha256:[a-f0-9]{64}\n$/);
    const load = await docker(host, ['load', '-i', tarball]);
    expect(load.stdout).toContain('kodev.test/e2e/hello:v1');
    expect(load.stdout).toContain('kodev.test/e2e/hello:latest');
    const run = await docker(host, ['run', '--rm', '--network=none', 'kodev.test/e2e/hello:v1']);
    expect(run.stdout).toBe(
      [
        'Hello, world, from a kodev image!',
        'version dev, linux/amd64',
        'greeting.txt: greetings from kodata',
        'motd.txt: message of the day (through a symlink)',
        'static/nested/page.html: <p>nested page</p>',
      ].join('\n'),
    );
    // The base's shell is still there, and the binary is on PATH.
    const which = await docker(host, [
      'run',
      '--rm',
      '--network=none',
      '--entrypoint',
      '/bin/sh',
      'kodev.test/e2e/hello:v1',
      '-c',
      'command -v hello',
    ]);
    expect(which.stdout.trim()).toBe('/ko-app/hello');
  });

  it('a docker-archive base gives Docker media types, and the image runs', async () => {
    const host = inject('dockerHost');
    const archive = await makeDockerArchiveBase(
      busybox.ref,
      join(work, 'bases/busybox.tar'),
      'kodev-test/busybox:v1',
    );
    const out = join(work, 'layout-docker');
    const tarball = join(work, 'docker-base.tar');
    const r = await runKodev(
      ['build', './cmd/hello', '--push=false', '--oci-layout-path', out, '--tarball', tarball],
      {
        cwd: example,
        env: { KO_DEFAULTBASEIMAGE: `docker-archive:${archive.file}` },
      },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    // skopeo's oci: transport only lists OCI-typed entries, so read the layout's files directly
    // (sha256sum checks the blob) rather than through kodev's reader.
    const raw = await rawFromLayout(out, HELLO_NAME);
    expect(raw.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(raw.config?.mediaType).toBe('application/vnd.docker.container.image.v1+json');
    expect(new Set(raw.layers?.map((l) => l.mediaType))).toEqual(
      new Set(['application/vnd.docker.image.rootfs.diff.tar.gzip']),
    );
    await docker(host, ['load', '-i', tarball]);
    const run = await docker(host, ['run', '--rm', '--network=none', `ko.local/${HELLO_NAME}:latest`]);
    expect(run.stdout.split('\n')[0]).toBe('Hello, world, from a kodev image!');
  });
});

describe('multi-platform builds against a base index', () => {
  let multi: Awaited<ReturnType<typeof makeMultiArchBase>>;
  beforeAll(async () => {
    multi = await makeMultiArchBase(join(work, 'multi'), [
      'linux/amd64',
      'linux/arm64',
      'linux/arm/v7',
      'unknown/unknown',
    ]);
  });

  it('two platforms give an OCI index with one image per platform', async () => {
    const out = join(work, 'layout-multi');
    const r = await runKodev(
      [
        'build',
        './cmd/worker',
        '--push=false',
        '--oci-layout-path',
        out,
        '--platform',
        'linux/amd64,linux/arm64',
      ],
      {
        cwd: example,
        env: { KO_DEFAULTBASEIMAGE: multi.ref },
      },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const name = r.stdout.trim().split('@')[0]?.split('/').pop() as string;
    const raw = await skopeoInspect(`oci:${out}:${name}`, 'raw');
    expect(raw.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(raw.manifests?.map((m) => `${m.platform?.os}/${m.platform?.architecture}`)).toEqual([
      'linux/amd64',
      'linux/arm64',
    ]);
    const arm = await skopeoInspect(`oci:${out}:${name}`, 'config', 'linux/arm64');
    expect(arm.architecture).toBe('arm64');
    const armRaw = await skopeoInspect(`oci:${out}:${name}`, undefined, 'linux/arm64');
    expect(armRaw.Architecture).toBe('arm64');
  });

  it('--platform=all builds every platform except unknown/unknown', async () => {
    const out = join(work, 'layout-all');
    const r = await runKodev(
      ['build', './cmd/worker', '--push=false', '--oci-layout-path', out, '--platform=all'],
      {
        cwd: example,
        env: { KO_DEFAULTBASEIMAGE: multi.ref },
      },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const name = r.stdout.trim().split('@')[0]?.split('/').pop() as string;
    const raw = await skopeoInspect(`oci:${out}:${name}`, 'raw');
    expect(raw.manifests?.map((m) => [m.platform?.architecture, m.platform?.variant ?? ''])).toEqual([
      ['amd64', ''],
      ['arm64', ''],
      ['arm', 'v7'],
    ]);
    // The arm/v7 binary was built with GOARM=7: `go version -m` of the binary from the image says so.
    const armDigest = raw.manifests?.find((m) => m.platform?.variant === 'v7')?.digest ?? '';
    const armManifest = JSON.parse(
      await readFile(join(out, 'blobs/sha256', armDigest.slice(7)), 'utf8'),
    ) as RawManifest;
    const binLayer = join(out, 'blobs/sha256', (armManifest.layers?.at(-1)?.digest ?? '').slice(7));
    const dest = join(work, 'arm-bin');
    await mkdir(dest);
    await execa('tar', ['-xzf', binLayer, '-C', dest]);
    const { stdout } = await execa('go', ['version', '-m', join(dest, 'ko-app/worker')]);
    expect(stdout).toMatch(/^\tbuild\tGOARCH=arm$/m);
    expect(stdout).toMatch(/^\tbuild\tGOARM=7$/m);
  });

  it('one matching platform gives a plain image whose base digest is the matched child', async () => {
    const out = join(work, 'layout-one');
    const r = await runKodev(
      ['build', './cmd/worker', '--push=false', '--oci-layout-path', out, '--platform', 'linux/arm64'],
      {
        cwd: example,
        env: { KO_DEFAULTBASEIMAGE: multi.ref },
      },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const name = r.stdout.trim().split('@')[0]?.split('/').pop() as string;
    const raw = await skopeoInspect(`oci:${out}:${name}`, 'raw');
    expect(raw.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    const arm64 = multi.manifests.find((m) => m.platform === 'linux/arm64');
    expect(raw.annotations?.['org.opencontainers.image.base.digest']).toBe(arm64?.digest);
  });

  it('defaultPlatforms in .ko.yaml applies when --platform is absent', async () => {
    const dir = await copyFixture('example', join(work, 'example-platforms'));
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      join(dir, '.ko.yaml'),
      `defaultBaseImage: ${multi.ref}\ndefaultPlatforms: [linux/arm64, linux/arm/v7]\n`,
    );
    const out = join(dir, 'out');
    const r = await runKodev(['build', './cmd/worker', '--push=false', '--oci-layout-path', out], {
      cwd: dir,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const name = r.stdout.trim().split('@')[0]?.split('/').pop() as string;
    const raw = await skopeoInspect(`oci:${out}:${name}`, 'raw');
    expect(raw.manifests?.map((m) => m.platform?.architecture)).toEqual(['arm64', 'arm']);
  });
});

describe('Windows images (experimental, as in ko)', () => {
  it('lays files under Files/, sets the Windows entrypoint and KO_DATA_PATH, and skips kodata symlinks', async () => {
    const win = await makeOciBase(join(work, 'bases-win'), { os: 'windows', tag: 'win' });
    const out = join(work, 'layout-win');
    const r = await runKodev(
      ['build', './cmd/hello', '--push=false', '--oci-layout-path', out, '--platform', 'windows/amd64'],
      {
        cwd: example,
        env: { KO_DEFAULTBASEIMAGE: win.ref },
      },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('skipping symlink in kodata for windows');
    const config = await skopeoInspect(`oci:${out}:${HELLO_NAME}`, 'config', 'windows/amd64');
    expect(config.config?.Entrypoint).toEqual(['C:\\ko-app\\hello']);
    expect(config.config?.Env).toContain('KO_DATA_PATH=C:\\var\\run\\ko');
    const raw = await skopeoInspect(`oci:${out}:${HELLO_NAME}`, 'raw', 'windows/amd64');
    const layers = raw.layers ?? [];
    const kodata = await tarListing(join(out, 'blobs/sha256', (layers.at(-2)?.digest ?? '').slice(7)));
    expect(kodata).toEqual([
      'Hives',
      'Files',
      'Files/var',
      'Files/var/run',
      'Files/var/run/ko',
      'Files/var/run/ko/greeting.txt',
      'Files/var/run/ko/static',
      'Files/var/run/ko/static/nested',
      'Files/var/run/ko/static/nested/page.html',
    ]);
    const binary = await tarListing(join(out, 'blobs/sha256', (layers.at(-1)?.digest ?? '').slice(7)));
    expect(binary).toEqual(['Hives', 'Files', 'Files/ko-app', 'Files/ko-app/hello']);
  });
});

async function rawFromLayout(layout: string, name: string): Promise<RawManifest> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as RawManifest;
  const entry = index.manifests?.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === name);
  if (!entry) throw new Error(`no ${name} in ${layout}/index.json`);
  const file = join(layout, 'blobs/sha256', entry.digest.slice(7));
  const { stdout } = await execa('sha256sum', [file]);
  expect(`sha256:${stdout.split(' ')[0]}`).toBe(entry.digest);
  return JSON.parse(await readFile(file, 'utf8')) as RawManifest;
}

async function tarListing(file: string): Promise<string[]> {
  const { stdout } = await execa('tar', ['-tzf', file]);
  return stdout.split('\n');
}

// Keep the symlink in the fixture honest: it must be a link, or the test above proves nothing.
describe('fixture sanity', () => {
  it('the example kodata holds a real symlink', async () => {
    expect(await readlink(join(example, 'cmd/hello/kodata/motd.txt'))).toBe('../../../shared-data/motd.txt');
  });
});
