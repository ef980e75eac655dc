/**
 * `kodev build`'s unchanged path against a real registry: an identical second
 * build runs no `go build` and pushes nothing, and every change that could
 * make its answer wrong (a source edit, a new file, a moved base tag, a
 * retagged image, other flags) takes the full build again. Registry state is
 * changed and read with skopeo.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOciBase, type OciBase } from '../helpers/base-images.js';
import { copyFixture, removeAll, runKodev, tempDir } from '../helpers/kodev.js';
import { type Registry, startRegistry } from '../helpers/registry.js';

let work: string;
let example: string;
let registry: Registry;
let base: OciBase;
let otherBase: OciBase;

async function skopeoCopy(src: string, dest: string): Promise<void> {
  await execa('skopeo', [
    'copy',
    '--quiet',
    '--src-tls-verify=false',
    '--dest-tls-verify=false',
    src,
    `docker://${dest}`,
  ]);
}

async function tagDigest(ref: string): Promise<string> {
  const { stdout } = await execa('skopeo', [
    'inspect',
    '--tls-verify=false',
    '--format',
    '{{.Digest}}',
    `docker://${ref}`,
  ]);
  return stdout.trim();
}

beforeAll(async () => {
  work = await tempDir();
  example = await copyFixture('example', join(work, 'example'));
  registry = await startRegistry();
  base = await makeOciBase(join(work, 'bases'), { tag: 'one' });
  otherBase = await makeOciBase(join(work, 'bases'), { tag: 'two', env: { FLAVOUR: 'two' } });
  await skopeoCopy(base.ref, `${registry.host}/bases/app:stable`);
});

afterAll(async () => {
  await registry?.stop();
  await removeAll(work);
});

/** One build with timings on: what it printed and whether it ran go build. */
async function build(args: string[] = [], extraEnv: Record<string, string> = {}) {
  const r = await runKodev(['build', '--sbom=none', ...args, './cmd/hello'], {
    cwd: example,
    env: {
      KOCACHE: join(work, 'kocache'),
      HOME: join(work, 'home'),
      KO_DOCKER_REPO: `${registry.host}/unchanged`,
      KO_DEFAULTBASEIMAGE: `${registry.host}/bases/app:stable`,
      KODEV_TIMINGS: '1',
      ...extraEnv,
    },
  });
  expect(r.exitCode, r.stderr).toBe(0);
  return {
    ref: r.stdout.trim(),
    built: /\] go build /.test(r.stderr),
    skipped: r.stderr.includes('Nothing changed since the last identical build'),
  };
}

describe('kodev build with nothing changed', () => {
  it('skips go build and the push, and rebuilds after each change that matters', async () => {
    const first = await build();
    expect(first).toMatchObject({ built: true, skipped: false });
    const repo = first.ref.slice(0, first.ref.indexOf('@'));

    const logged = (await readFile(registry.logFile, 'utf8')).length;
    const again = await build();
    expect(again).toEqual({ ref: first.ref, built: false, skipped: true });
    // It asked the registry only what it relies on: the base's tag, and the image's tag, whose
    // answer (the image's digest) shows that manifest is there without a HEAD of its own.
    const asked = (await readFile(registry.logFile, 'utf8'))
      .slice(logged)
      .match(/"(GET|HEAD|PUT|POST|PATCH) \/v2\/[^ "]+/g);
    expect(asked?.sort()).toEqual([
      '"HEAD /v2/bases/app/manifests/stable',
      `"HEAD /v2/${repo.slice(repo.indexOf('/') + 1)}/manifests/latest`,
    ]);

    // A one-line edit in a package the binary uses.
    const greet = join(example, 'internal/greet/greet.go');
    const text = await readFile(greet, 'utf8');
    await writeFile(greet, text.replace('Hello', 'Hello again'));
    const edited = await build();
    expect(edited.built).toBe(true);
    expect(edited.ref).not.toBe(first.ref);
    expect(await build()).toMatchObject({ ref: edited.ref, skipped: true });

    // A new file in the main package's directory (its directory changes).
    await writeFile(join(example, 'cmd/hello/extra.go'), 'package main\n\nvar extra = 1\n');
    const added = await build();
    expect(added).toMatchObject({ built: true, skipped: false });

    // The tag now names another image: the full build pushes it again.
    await skopeoCopy(otherBase.ref, `${repo}:latest`);
    const retagged = await build();
    expect(retagged).toMatchObject({ built: true, skipped: false, ref: added.ref });
    expect(`${repo}@${await tagDigest(`${repo}:latest`)}`).toBe(added.ref);

    // The base tag moved: the image is rebuilt on the new base.
    await skopeoCopy(otherBase.ref, `${registry.host}/bases/app:stable`);
    const rebased = await build();
    expect(rebased).toMatchObject({ built: true, skipped: false });
    expect(rebased.ref).not.toBe(added.ref);

    // Other flags are another request.
    const tagged = await build(['-t', 'v2']);
    expect(tagged.skipped).toBe(false);
    expect(await tagDigest(`${repo}:v2`)).toBe(tagged.ref.slice(tagged.ref.indexOf('@') + 1));
    expect(await build(['-t', 'v2'])).toMatchObject({ ref: tagged.ref, skipped: true });

    // A `go env -w` setting (the GOENV file) changes the build though the environment does not.
    const goenv = join(work, 'goenv');
    await writeFile(goenv, '');
    expect((await build([], { GOENV: goenv })).skipped).toBe(false);
    expect(await build([], { GOENV: goenv })).toMatchObject({ skipped: true });
    await writeFile(goenv, 'GOFLAGS=-tags=kodevtest\n');
    expect(await build([], { GOENV: goenv })).toMatchObject({ built: true, skipped: false });
  });

  it('never takes the unchanged path with a kodev.config.ts, which may import other files', async () => {
    const dir = await copyFixture('example', join(work, 'with-config'));
    await writeFile(join(dir, 'kodev.config.ts'), 'export default {};\n');
    const run = () =>
      runKodev(['build', '--sbom=none', './cmd/hello'], {
        cwd: dir,
        env: {
          KOCACHE: join(work, 'kocache-config'),
          HOME: join(work, 'home'),
          KO_DOCKER_REPO: `${registry.host}/config`,
          KO_DEFAULTBASEIMAGE: `${registry.host}/bases/app:stable`,
        },
      });
    expect((await run()).exitCode).toBe(0);
    const second = await run();
    expect(second.exitCode).toBe(0);
    expect(second.stderr).not.toContain('Nothing changed');
    expect(second.stderr).toContain('Building');
  });
});

describe('kodev resolve with nothing changed', () => {
  it('prints the same YAML without building, until a manifest, the directory or a source changes', async () => {
    const dir = await copyFixture('example', join(work, 'resolve'));
    const refsFile = join(work, 'resolve-refs.txt');
    const resolve = async (args: string[] = [], input?: string) => {
      const r = await runKodev(['resolve', '--sbom=none', ...args], {
        cwd: dir,
        env: {
          KOCACHE: join(work, 'kocache-resolve'),
          HOME: join(work, 'home'),
          KO_DOCKER_REPO: `${registry.host}/resolved`,
          KO_DEFAULTBASEIMAGE: `${registry.host}/bases/app:stable`,
          KODEV_TIMINGS: '1',
        },
        ...(input !== undefined ? { input } : {}),
      });
      expect(r.exitCode, r.stderr).toBe(0);
      return {
        yaml: r.stdout,
        built: /\] go build /.test(r.stderr),
        skipped: r.stderr.includes('Nothing changed since the last identical build'),
      };
    };
    const args = ['-f', 'config/', '--image-refs', refsFile];

    const first = await resolve(args);
    expect(first).toMatchObject({ built: true, skipped: false });
    expect(first.yaml).toMatch(/image: 127\.0\.0\.1:\d+\/resolved\/hello-[0-9a-f]{32}@sha256:[0-9a-f]{64}/);
    const refs = await readFile(refsFile, 'utf8');
    expect(refs.trim().split('\n')).toHaveLength(2);

    // The replay prints the same YAML and writes the same --image-refs file.
    await writeFile(refsFile, '');
    expect(await resolve(args)).toEqual({ yaml: first.yaml, built: false, skipped: true });
    expect(await readFile(refsFile, 'utf8')).toBe(refs);

    // An edit to a manifest is printed: the run is full again, then replayed.
    const manifest = join(dir, 'config/example.yaml');
    await writeFile(manifest, `${await readFile(manifest, 'utf8')}# edited\n`);
    const edited = await resolve(args);
    expect(edited.skipped).toBe(false);
    expect(edited.yaml).toContain('# edited');
    expect(await resolve(args)).toEqual({ yaml: edited.yaml, built: false, skipped: true });

    // A new manifest in the directory.
    await writeFile(
      join(dir, 'config/extra.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  a: b\n',
    );
    const added = await resolve(args);
    expect(added.skipped).toBe(false);
    expect(added.yaml).toContain('name: extra');

    // A source edit rebuilds the image it changes.
    const greet = join(dir, 'internal/greet/greet.go');
    await writeFile(greet, (await readFile(greet, 'utf8')).replace('Hello', 'Hi'));
    const rebuilt = await resolve(args);
    expect(rebuilt).toMatchObject({ built: true, skipped: false });
    expect(rebuilt.yaml).not.toBe(added.yaml);

    // Manifests from stdin are never recorded, so never replayed.
    const text = await readFile(manifest, 'utf8');
    const piped = await resolve(['-f', '-'], text);
    expect(piped.skipped).toBe(false);
    expect(await resolve(['-f', '-'], text)).toMatchObject({ skipped: false, yaml: piped.yaml });
  });
});
