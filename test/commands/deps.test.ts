/**
 * `kodev deps` end to end through the real CLI and a real registry. The
 * expected module lists come from the Go toolchain itself: `go version -m`
 * on a `go build` of the same package, and on the binary that umoci unpacks
 * from the pushed image.
 */
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOciBase, umociUnpack } from '../helpers/base-images.js';
import { copyFixture, removeAll, runKodev, tempDir } from '../helpers/kodev.js';
import { type Registry, startRegistry } from '../helpers/registry.js';

let work: string;
let fixture: string;
let registry: Registry;
/** The busybox base in the registry (no entrypoint). */
let base: string;
/** A busybox image whose entrypoint is /bin/sh, a symlink to busybox: a binary, but not a Go one. */
let notGo: string;
/** The tree that `go version -m` of a plain `go build ./cmd/app` implies. */
let expectedTree: string;
/** The image `kodev build` pushed. */
let pushed: string;
/** A two-platform index `kodev build` pushed. */
let pushedIndex: string;

/** Copies an image into the registry with skopeo, the independent tool. */
async function skopeoPush(src: string, dest: string): Promise<void> {
  await execa('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', src, `docker://${dest}`]);
}

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { KOCACHE: join(work, 'kocache'), HOME: join(work, 'home'), KO_DEFAULTBASEIMAGE: base, ...extra };
}

/**
 * The tree kodev should print, derived from `go version -m` text with plain
 * string splitting: the header's Go version, the path and mod lines, and each
 * dep with the `=>` line after it.
 */
function treeFromGoVersionM(text: string): string {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const goVersion = (lines[0] ?? '').split(': ').pop() ?? '';
  const fields = lines.slice(1).map((l) => l.trim().split('\t'));
  const path = fields.find((f) => f[0] === 'path')?.[1];
  const mod = fields.find((f) => f[0] === 'mod') ?? [];
  const deps: string[] = [];
  for (const f of fields) {
    if (f[0] === 'dep') deps.push(`${f[1]} ${f[2]}`);
    if (f[0] === '=>') deps[deps.length - 1] += ` => ${f[1]} ${f[2]}`;
  }
  return [
    `${path} (${goVersion})`,
    `└── ${mod[1]} ${mod[2]}`,
    ...deps.map((d, i) => `    ${i === deps.length - 1 ? '└──' : '├──'} ${d}`),
    '',
  ].join('\n');
}

beforeAll(async () => {
  work = await tempDir();
  fixture = await copyFixture('deps', join(work, 'deps'));
  registry = await startRegistry();
  const busybox = await makeOciBase(join(work, 'bases'), { tag: 'busybox' });
  base = `${registry.host}/bases/busybox:1`;
  await skopeoPush(busybox.ref, base);
  const shell = await makeOciBase(join(work, 'not-go'), { tag: 'sh' });
  await execa('umoci', ['config', '--image', `${shell.layout}:sh`, '--config.entrypoint', '/bin/sh']);
  notGo = `${registry.host}/plain/sh:1`;
  await skopeoPush(shell.ref, notGo);

  const bin = join(work, 'go-build', 'app');
  await execa('go', ['build', '-o', bin, './cmd/app'], {
    cwd: fixture,
    env: { GOTOOLCHAIN: 'local', GOFLAGS: '' },
  });
  expectedTree = treeFromGoVersionM((await execa('go', ['version', '-m', bin])).stdout);

  const built = await runKodev(['build', './cmd/app'], {
    cwd: fixture,
    env: env({ KO_DOCKER_REPO: `${registry.host}/deps` }),
  });
  expect(built.exitCode, built.stderr).toBe(0);
  pushed = built.stdout.trim();
  const multi = await runKodev(['build', './cmd/app', '--platform', 'linux/amd64,linux/arm64'], {
    cwd: fixture,
    env: env({ KO_DOCKER_REPO: `${registry.host}/multi`, KO_DEFAULTBASEIMAGE: 'scratch' }),
  });
  expect(multi.exitCode, multi.stderr).toBe(0);
  pushedIndex = multi.stdout.trim();
});

afterAll(async () => {
  await registry?.stop();
  if (work) await removeAll(work);
});

describe('the dependency tree', () => {
  it('the expected tree names both replaced modules (a check on the derivation itself)', () => {
    expect(expectedTree).toContain('├── example.com/color v0.4.0 => ./color (devel)\n');
    expect(expectedTree).toContain('└── example.com/lib v1.2.3 => ./lib (devel)\n');
    expect(expectedTree.split('\n')[0]).toMatch(/^example\.com\/deps\/cmd\/app \(go1\.\d+/);
  });

  it.each<[string, () => string[], () => string]>([
    ['of an image pushed by kodev build, by digest', () => [pushed], () => work],
    ['of an image by tag', () => [pushed.replace(/@sha256:.*$/, ':latest')], () => work],
    ['of an index, picking the platform of this machine', () => [pushedIndex], () => work],
    ['of an index, picking --platform', () => [pushedIndex, '--platform', 'linux/arm64'], () => work],
    ['of a ./directory, built without publishing', () => ['./cmd/app'], () => fixture],
    [
      'of a ko:// import path, built without publishing',
      () => ['ko://example.com/deps/cmd/app'],
      () => fixture,
    ],
  ])('%s', async (_name, args, cwd) => {
    const r = await runKodev(['deps', ...args()], { cwd: cwd(), env: env() });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe(expectedTree);
  });
});

describe('other outputs', () => {
  it('--output go.version-m is what go version -m says of the binary in the image', async () => {
    const layout = join(work, 'pulled');
    await execa('skopeo', [
      'copy',
      '--quiet',
      '--src-tls-verify=false',
      `docker://${pushed}`,
      `oci:${layout}:x`,
    ]);
    const rootfs = await umociUnpack(`oci:${layout}:x`, join(work, 'unpacked'));
    const go = (
      await execa('go', ['version', '-m', join(rootfs, 'ko-app', 'app')], { stripFinalNewline: false })
    ).stdout;
    const r = await runKodev(['deps', pushed, '--output', 'go.version-m'], { cwd: work, env: env() });
    expect(r.exitCode, r.stderr).toBe(0);
    const [first, ...rest] = r.stdout.split('\n');
    const [goFirst, ...goRest] = go.split('\n');
    expect(first).toBe(`/ko-app/app: ${goFirst?.split(': ').pop()}`);
    expect(rest).toEqual(goRest);
    expect(r.stdout).toContain('\tdep\texample.com/lib\tv1.2.3\n');
  });

  it('--platform picks the matching image of an index', async () => {
    const r = await runKodev(['deps', pushedIndex, '--platform', 'linux/arm64', '--output', 'go.version-m'], {
      cwd: work,
      env: env(),
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('\tbuild\tGOARCH=arm64\n');
  });

  it('--sbom spdx prints an SPDX 2.3 document of the image', async () => {
    const r = await runKodev(['deps', pushed, '--sbom', 'spdx'], { cwd: work, env: env() });
    expect(r.exitCode, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      spdxVersion: string;
      documentNamespace: string;
      packages: { name: string }[];
    };
    expect(doc.spdxVersion).toBe('SPDX-2.3');
    expect(doc.documentNamespace).toContain((pushed.split('@sha256:')[1] ?? '').slice(0, 64));
    expect(doc.packages.map((p) => p.name)).toEqual(
      expect.arrayContaining(['example.com/deps', 'example.com/lib', 'example.com/color']),
    );
  });

  it('--sbom go.version-m equals --output go.version-m', async () => {
    const [sbom, output] = await Promise.all(
      [
        ['--sbom', 'go.version-m'],
        ['--output', 'go.version-m'],
      ].map((flags) => runKodev(['deps', pushed, ...flags], { cwd: work, env: env() })),
    );
    expect(sbom?.exitCode, sbom?.stderr).toBe(0);
    expect(sbom?.stdout).toBe(output?.stdout);
  });
});

describe('errors: exit code and one line naming the problem', () => {
  it.each<[string, () => string[], number, () => string]>([
    [
      'an image whose entrypoint is not a Go binary',
      () => [notGo],
      1,
      () =>
        `Error: /bin/busybox in ${registry.host}/plain/sh:1 is not a Go binary built with module support; `,
    ],
    [
      'an image without an entrypoint',
      () => [base],
      1,
      () => `Error: ${registry.host}/bases/busybox:1 has no entrypoint, so there is no Go binary to read; `,
    ],
    [
      'a tag the registry does not have',
      () => [`${registry.host}/deps/nothing:nope`],
      1,
      () => `Error: registry ${registry.host}: GET manifest deps/nothing:nope failed with HTTP 404`,
    ],
    [
      'a platform the index does not have',
      () => [pushedIndex, '--platform', 'linux/s390x'],
      1,
      () =>
        `Error: ${pushedIndex} has no image for linux/s390x (it has linux/amd64, linux/arm64); pick one with --platform`,
    ],
    [
      '--output and --sbom together',
      () => [pushed, '--output', 'tree', '--sbom', 'spdx'],
      2,
      () => 'Error: --output and --sbom cannot be combined; ',
    ],
    [
      'an unknown --output',
      () => [pushed, '--output', 'yaml'],
      2,
      () => 'Error: --output "yaml": unknown format; use tree or go.version-m',
    ],
    [
      'several platforms',
      () => [pushed, '--platform', 'linux/amd64,linux/arm64'],
      2,
      () => 'Error: --platform "linux/amd64,linux/arm64": kodev deps reads one image; ',
    ],
  ])('%s', async (_name, args, code, start) => {
    const r = await runKodev(['deps', ...args()], { cwd: work, env: env() });
    expect(r.exitCode, r.stderr).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr.startsWith(start()), r.stderr).toBe(true);
    expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  });
});
