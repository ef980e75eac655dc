/**
 * `kodev build` pushing to a real registry (Debian's distribution 2.8): open,
 * htpasswd and token auth; bases pulled from the registry; results checked
 * with skopeo and run by dockerd.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeMultiArchBase, makeOciBase, type OciBase } from '../helpers/base-images.js';
import { docker } from '../helpers/dockerd.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import { copyFixture, runKodev, tempDir } from '../helpers/kodev.js';
import { type Registry, startRegistry } from '../helpers/registry.js';

const PASSWORD = 'sekret-pass';
let work: string;
let example: string;
let open: Registry;
let proxy: FaultProxy;
let busybox: OciBase;

/** Copies an image into a registry with skopeo, the independent tool. */
async function skopeoPush(src: string, dest: string, all = false): Promise<void> {
  await execa('skopeo', [
    'copy',
    '--quiet',
    ...(all ? ['--all'] : []),
    '--dest-tls-verify=false',
    src,
    `docker://${dest}`,
  ]);
}

async function skopeoRaw(ref: string): Promise<{
  mediaType?: string;
  manifests?: { digest: string; platform?: { architecture: string } }[];
  layers?: { digest: string }[];
}> {
  const { stdout } = await execa('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${ref}`]);
  return JSON.parse(stdout);
}

beforeAll(async () => {
  work = await tempDir();
  example = await copyFixture('example', join(work, 'example'));
  open = await startRegistry();
  proxy = await startFaultProxy(open.url);
  busybox = await makeOciBase(join(work, 'bases'), { tag: 'busybox' });
  await skopeoPush(busybox.ref, `${open.host}/bases/busybox:1`);
});

afterAll(async () => {
  await proxy?.stop();
  await open?.stop();
});

function env(extra: Record<string, string>): Record<string, string> {
  return { KOCACHE: join(work, 'kocache'), HOME: join(work, 'home'), ...extra };
}

describe('push to an open registry', () => {
  it('pushes, prints <ref>@sha256, and the image runs under Docker', async () => {
    const r = await runKodev(['build', './cmd/hello', '-B'], {
      cwd: example,
      env: env({ KO_DOCKER_REPO: `${open.host}/team`, KO_DEFAULTBASEIMAGE: `${open.host}/bases/busybox:1` }),
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const m = new RegExp(`^${open.host.replace(/\./g, '\\.')}/team/hello@(sha256:[a-f0-9]{64})\\n$`).exec(
      r.stdout,
    );
    expect(m, r.stdout).not.toBeNull();
    const { stdout } = await execa('skopeo', [
      'inspect',
      '--tls-verify=false',
      `docker://${r.stdout.trim()}`,
    ]);
    expect(JSON.parse(stdout).Digest).toBe(m?.[1]);
    // The base came from the same registry, so its layer was mounted, not uploaded.
    expect(r.stderr).toMatch(/1 mounted/);
    const host = inject('dockerHost');
    await docker(host, ['pull', r.stdout.trim()]);
    const run = await docker(host, ['run', '--rm', '--network=none', r.stdout.trim()]);
    expect(run.stdout.split('\n')[0]).toBe('Hello, world, from a kodev image!');
  });

  it('a second identical push uploads no blob (only HEADs), through a recording proxy', async () => {
    const e = env({ KO_DOCKER_REPO: `${proxy.host}/again`, KO_DEFAULTBASEIMAGE: 'scratch' });
    const first = await runKodev(['build', './cmd/worker'], { cwd: example, env: e });
    expect(first.exitCode, first.stderr).toBe(0);
    const before = proxy.log.length;
    // A fresh cache: the full push path (an identical build with the same cache takes the
    // unchanged path, tested in build-unchanged.test.ts).
    const second = await runKodev(['build', './cmd/worker'], {
      cwd: example,
      env: { ...e, KOCACHE: join(work, 'kocache-again') },
    });
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    const requests = proxy.log.slice(before);
    expect(requests.filter((q) => q.path.includes('/blobs/uploads')).map((q) => q.method)).toEqual([]);
    expect(requests.filter((q) => q.method === 'HEAD' && q.path.includes('/blobs/')).length).toBeGreaterThan(
      0,
    );
  });

  it('a tagged image goes up by its tag alone, or by digest first when an SBOM attaches to it', async () => {
    const manifestPuts = async (repo: string, sbom: string) => {
      const before = proxy.log.length;
      const r = await runKodev(['build', './cmd/hello', '-B', `--sbom=${sbom}`], {
        cwd: example,
        env: env({ KO_DOCKER_REPO: `${proxy.host}/${repo}`, KO_DEFAULTBASEIMAGE: 'scratch' }),
      });
      expect(r.exitCode, r.stderr).toBe(0);
      const digest = r.stdout.trim().split('@')[1] ?? '';
      // The registry serves the printed digest either way (skopeo, the independent reader).
      const { stdout } = await execa('skopeo', [
        'inspect',
        '--tls-verify=false',
        `docker://${r.stdout.trim()}`,
      ]);
      expect(JSON.parse(stdout).Digest).toBe(digest);
      const puts = proxy.log
        .slice(before)
        .filter((q) => q.method === 'PUT' && q.path.includes('/manifests/'))
        .map((q) => q.path.replace(digest, '<image>'));
      return puts;
    };
    expect(await manifestPuts('tag-only', 'none')).toEqual(['/v2/tag-only/hello/manifests/latest']);
    const withSbom = await manifestPuts('with-sbom', 'spdx');
    expect(withSbom[0]).toBe('/v2/with-sbom/hello/manifests/<image>');
    expect(withSbom.at(-1)).toBe('/v2/with-sbom/hello/manifests/latest');
  });

  it('pulls a multi-platform base from the registry and pushes an index whose children exist', async () => {
    const multi = await makeMultiArchBase(join(work, 'multi'), [
      'linux/amd64',
      'linux/arm64',
      'unknown/unknown',
    ]);
    await skopeoPush(multi.ref, `${open.host}/bases/multi:1`, true);
    const r = await runKodev(['build', './cmd/worker', '-B', '--platform=all'], {
      cwd: example,
      env: env({ KO_DOCKER_REPO: `${open.host}/multi`, KO_DEFAULTBASEIMAGE: `${open.host}/bases/multi:1` }),
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const raw = await skopeoRaw(r.stdout.trim());
    expect(raw.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(raw.manifests?.map((d) => d.platform?.architecture)).toEqual(['amd64', 'arm64']);
    // skopeo copies the whole index, which only works when every child and blob is there.
    await execa('skopeo', [
      'copy',
      '--quiet',
      '--all',
      '--src-tls-verify=false',
      `docker://${r.stdout.trim()}`,
      `oci:${join(work, 'copied')}:x`,
    ]);
    // The children share their kodata layer; the registry's access log shows it was uploaded once.
    const repo = r.stdout.trim().split('@')[0] ?? '';
    const kodata = await Promise.all(
      (raw.manifests ?? []).map(async (m) => (await skopeoRaw(`${repo}@${m.digest}`)).layers?.at(-2)?.digest),
    );
    expect(new Set(kodata).size).toBe(1);
    const path = repo.slice(repo.indexOf('/') + 1);
    const uploads = (await readFile(open.logFile, 'utf8'))
      .split('\n')
      .filter(
        (l) =>
          l.includes(`"PUT /v2/${path}/blobs/uploads/`) &&
          l.includes(`digest=${encodeURIComponent(kodata[0] ?? '')}`),
      );
    expect(uploads).toHaveLength(1);
  });

  it('fetches the platforms of a base index side by side, not one after another', async () => {
    const multi = await makeMultiArchBase(join(work, 'multi3'), [
      'linux/amd64',
      'linux/arm64',
      'linux/s390x',
    ]);
    await skopeoPush(multi.ref, `${open.host}/bases/multi3:1`, true);
    const children = /^\/v2\/bases\/multi3\/manifests\/sha256:/;
    proxy.inject({ match: { method: 'GET', path: children }, fault: { kind: 'delay', ms: 500 }, times: 3 });
    const before = proxy.log.length;
    const r = await runKodev(['build', './cmd/worker', '--platform=linux/amd64,linux/arm64'], {
      cwd: example,
      env: env({
        KOCACHE: join(work, 'kocache-side-by-side'),
        KO_DOCKER_REPO: `${proxy.host}/side-by-side`,
        KO_DEFAULTBASEIMAGE: `${proxy.host}/bases/multi3:1`,
      }),
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const gets = proxy.log.slice(before).filter((q) => q.method === 'GET' && children.test(q.path));
    expect(gets.map((q) => q.fault)).toEqual(['delay', 'delay', 'delay']);
    // Every platform's manifest was asked for before the first (held back 500 ms) came back.
    const firstAnswer = Math.min(...gets.map((q) => q.endedAt));
    expect(gets.filter((q) => q.receivedAt < firstAnswer)).toHaveLength(3);
  });

  it('makes the binary layer while the base image is still being fetched', async () => {
    const kocache = join(work, 'kocache-slow-base');
    const baseManifest = '/v2/bases/busybox/manifests/1';
    proxy.inject({
      match: { method: 'GET', path: /^\/v2\/bases\/busybox\/manifests\/1$/ },
      fault: { kind: 'delay', ms: 6000 },
      times: 1,
    });
    const before = proxy.log.length;
    const r = await runKodev(['build', './cmd/hello', '-B'], {
      cwd: example,
      env: env({
        KOCACHE: kocache,
        KO_DOCKER_REPO: `${proxy.host}/slow-base`,
        KO_DEFAULTBASEIMAGE: `${proxy.host}/bases/busybox:1`,
      }),
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const base = proxy.log.slice(before).find((q) => q.method === 'GET' && q.path === baseManifest);
    expect(base?.fault).toBe('delay');
    // The binary layer is the image's last (skopeo reads the pushed manifest); the layer cache
    // wrote it to KOCACHE as soon as it was compressed.
    const layer = (await skopeoRaw(r.stdout.trim())).layers?.at(-1)?.digest ?? '';
    const { mtimeMs } = await stat(join(kocache, 'blobs', 'sha256', layer.replace(/^sha256:/, '')));
    expect(mtimeMs).toBeLessThan(base?.endedAt ?? 0);
  });

  it('a base by digest gives the same layers as by tag, and records the digest it used', async () => {
    const { stdout } = await execa('skopeo', [
      'inspect',
      '--tls-verify=false',
      `docker://${open.host}/bases/busybox:1`,
    ]);
    const digest = JSON.parse(stdout).Digest as string;
    const build = async (base: string, out: string) => {
      const r = await runKodev(
        ['build', './cmd/hello', '--push=false', '-B', '--oci-layout-path', join(work, out)],
        {
          cwd: example,
          env: env({ KO_DEFAULTBASEIMAGE: base }),
        },
      );
      expect(r.exitCode, r.stderr).toBe(0);
      const raw = await execa('skopeo', ['inspect', '--raw', `oci:${join(work, out)}:hello`]);
      return JSON.parse(raw.stdout) as { layers: { digest: string }[]; annotations: Record<string, string> };
    };
    const byTag = await build(`${open.host}/bases/busybox:1`, 'by-tag');
    const byDigest = await build(`${open.host}/bases/busybox@${digest}`, 'by-digest');
    expect(byDigest.layers).toEqual(byTag.layers);
    expect(byTag.annotations['org.opencontainers.image.base.digest']).toBe(digest);
    expect(byTag.annotations['org.opencontainers.image.base.name']).toBe(`${open.host}/bases/busybox:1`);
    expect(byDigest.annotations['org.opencontainers.image.base.name']).toBe(
      `${open.host}/bases/busybox@${digest}`,
    );
  });
});

describe('registries with authentication', () => {
  let basic: Registry;
  beforeAll(async () => {
    basic = await startRegistry({ auth: 'htpasswd' });
  });
  afterAll(async () => basic?.stop());

  it('without credentials the push fails with a hint to log in, and prints nothing', async () => {
    const r = await runKodev(['build', './cmd/worker'], {
      cwd: example,
      env: env({
        HOME: join(work, 'nobody'),
        KO_DOCKER_REPO: `${basic.host}/x`,
        KO_DEFAULTBASEIMAGE: 'scratch',
      }),
    });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        `registry ${basic.host.replace(/\./g, '\\.')}: .*HTTP 401.*log in first: kodev login ${basic.host.replace(/\./g, '\\.')}`,
      ),
    );
  });

  it('kodev login refuses a wrong password and stores nothing', async () => {
    const home = join(work, 'home-wrong');
    const login = await runLogin(basic.host, 'kodev', 'not-the-password', home);
    expect(login.exitCode).toBe(1);
    expect(login.stderr).toMatch(
      new RegExp(
        `registry ${basic.host.replace(/\./g, '\\.')}: login failed: the credentials for user kodev were refused`,
      ),
    );
    expect(login.stderr).not.toContain('not-the-password');
    await expect(execa('cat', [join(home, '.docker/config.json')])).rejects.toThrow();
  });

  it('kodev login stores a working credential (mode 0600); push with -v never shows the password', async () => {
    const home = join(work, 'home-basic');
    const login = await runLogin(basic.host, 'kodev', PASSWORD, home);
    expect(login.exitCode, login.stderr).toBe(0);
    const { stdout: mode } = await execa('stat', ['-c', '%a', join(home, '.docker/config.json')]);
    expect(mode).toBe('600');
    const r = await runKodev(['-v', 'build', './cmd/worker', '-B'], {
      cwd: example,
      env: env({ HOME: home, KO_DOCKER_REPO: `${basic.host}/team`, KO_DEFAULTBASEIMAGE: 'scratch' }),
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const { stdout } = await execa('skopeo', [
      'inspect',
      '--tls-verify=false',
      '--creds',
      `kodev:${PASSWORD}`,
      `docker://${r.stdout.trim()}`,
    ]);
    expect(JSON.parse(stdout).Digest).toBe(r.stdout.trim().split('@')[1]);
    const b64 = Buffer.from(`kodev:${PASSWORD}`).toString('base64');
    for (const out of [r.stdout, r.stderr, login.stdout, login.stderr]) {
      expect(out).not.toContain(PASSWORD);
      expect(out).not.toContain(b64);
    }
  });
});

/** Runs `kodev login` with the password on stdin. */
async function runLogin(host: string, user: string, password: string, home: string) {
  const { CLI } = await import('../helpers/kodev.js');
  const r = await execa(process.execPath, [CLI, 'login', host, '-u', user, '--password-stdin'], {
    input: `${password}\n`,
    env: { PATH: process.env.PATH ?? '', HOME: home },
    extendEnv: false,
    reject: false,
  });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}
