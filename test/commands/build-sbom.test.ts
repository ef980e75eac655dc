/**
 * SBOMs end to end: kodev pushes an image with its SBOM attached like ko
 * (tag `sha256-<hex>.sbom`); skopeo fetches it back by that tag, and the SPDX
 * project's own validators accept it. --sbom-dir writes the same documents.
 */
import { copyFile, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFixture, runKodev, tempDir } from '../helpers/kodev.js';
import { type Registry, startRegistry } from '../helpers/registry.js';
import { validateCyclonedx, validateSpdx } from '../sbom/validators.js';

let work: string;
let example: string;
let registry: Registry;

beforeAll(async () => {
  work = await tempDir();
  example = await copyFixture('example', join(work, 'example'));
  registry = await startRegistry();
});

afterAll(async () => registry?.stop());

/** Fetches the SBOM attached to `digest` by its cosign-style tag, with skopeo, and returns its layer. */
async function fetchSbom(repo: string, digest: string): Promise<{ mediaType: string; path: string }> {
  const tag = `${digest.replace(':', '-')}.sbom`;
  const dir = join(work, `sbom-${digest.slice(7, 19)}`);
  await execa('skopeo', [
    'copy',
    '--quiet',
    '--src-tls-verify=false',
    `docker://${registry.host}/${repo}:${tag}`,
    `dir:${dir}`,
  ]);
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as {
    layers: { mediaType: string; digest: string }[];
  };
  const layer = manifest.layers[0];
  if (!layer) throw new Error('SBOM artifact without a layer');
  return { mediaType: layer.mediaType, path: join(dir, layer.digest.slice(7)) };
}

describe('SBOMs attached to pushed images', () => {
  it('the default SPDX SBOM is retrievable by its tag and valid for the SPDX validators', async () => {
    const sbomDir = join(work, 'sbom-files');
    const r = await runKodev(['build', './cmd/hello', '-B', '--sbom-dir', sbomDir], {
      cwd: example,
      env: {
        KO_DOCKER_REPO: `${registry.host}/sbom`,
        KO_DEFAULTBASEIMAGE: 'scratch',
        KOCACHE: join(work, 'kc'),
      },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const digest = r.stdout.trim().split('@')[1] as string;
    const sbom = await fetchSbom('sbom/hello', digest);
    expect(sbom.mediaType).toBe('text/spdx+json');
    const doc = JSON.parse(await readFile(sbom.path, 'utf8')) as {
      spdxVersion: string;
      packages: { name: string }[];
      documentNamespace: string;
    };
    expect(doc.spdxVersion).toBe('SPDX-2.3');
    expect(doc.packages.map((p) => p.name)).toContain('example.com/kodev-example');
    expect(doc.documentNamespace).toContain(digest.slice(7));
    // The SPDX tools pick the format from the file name.
    const named = join(work, 'fetched.spdx.json');
    await copyFile(sbom.path, named);
    for (const v of await validateSpdx(named)) expect(v.valid, `${v.validator}: ${v.output}`).toBe(true);
    // --sbom-dir holds the same bytes.
    const files = await readdir(sbomDir);
    expect(files).toEqual(['hello-linux-amd64.spdx.json']);
    expect(await readFile(join(sbomDir, files[0] as string))).toEqual(await readFile(sbom.path));
  });

  it('a multi-platform push attaches an index SBOM and one per image; CycloneDX validates', async () => {
    const r = await runKodev(
      ['build', './cmd/worker', '-B', '--sbom', 'cyclonedx', '--platform', 'linux/amd64,linux/arm64'],
      {
        cwd: example,
        env: {
          KO_DOCKER_REPO: `${registry.host}/sbomidx`,
          KO_DEFAULTBASEIMAGE: 'scratch',
          KOCACHE: join(work, 'kc'),
        },
      },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const indexDigest = r.stdout.trim().split('@')[1] as string;
    const { stdout } = await execa('skopeo', [
      'inspect',
      '--tls-verify=false',
      '--raw',
      `docker://${r.stdout.trim()}`,
    ]);
    const children = (JSON.parse(stdout) as { manifests: { digest: string }[] }).manifests.map(
      (m) => m.digest,
    );
    const paths: string[] = [];
    for (const d of [indexDigest, ...children]) {
      const sbom = await fetchSbom('sbomidx/worker', d);
      expect(sbom.mediaType).toBe('application/vnd.cyclonedx+json');
      paths.push(sbom.path);
    }
    for (const v of await validateCyclonedx(paths)) expect(v.valid, `${v.validator}: ${v.output}`).toBe(true);
  });

  it('--sbom=none attaches nothing; a bad --sbom value is a usage error', async () => {
    const r = await runKodev(['build', './cmd/worker', '-B', '--sbom', 'none'], {
      cwd: example,
      env: {
        KO_DOCKER_REPO: `${registry.host}/nosbom`,
        KO_DEFAULTBASEIMAGE: 'scratch',
        KOCACHE: join(work, 'kc'),
      },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const digest = r.stdout.trim().split('@')[1] as string;
    const tag = `${digest.replace(':', '-')}.sbom`;
    const missing = await execa(
      'skopeo',
      ['inspect', '--tls-verify=false', '--raw', `docker://${registry.host}/nosbom/worker:${tag}`],
      { reject: false },
    );
    expect(missing.exitCode).not.toBe(0);
    const bad = await runKodev(['build', './cmd/worker', '--push=false', '--sbom', 'xml'], {
      cwd: example,
      env: { KO_DEFAULTBASEIMAGE: 'scratch' },
    });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(
      /--sbom "xml": unknown SBOM format; use spdx, cyclonedx, go.version-m or none/,
    );
  });
});
