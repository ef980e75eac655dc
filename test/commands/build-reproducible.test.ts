/**
 * Reproducibility: the same sources give the same digest, built twice, from
 * two checkouts at different paths, and (the golden test) on any machine.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { copyFixture, REPO_ROOT, runKodev, tempDir } from '../helpers/kodev.js';

const scratch = { KO_DEFAULTBASEIMAGE: 'scratch' };

/** The scratch base and a new, empty KOCACHE: each run makes every layer itself. */
async function fresh(): Promise<Record<string, string>> {
  return { ...scratch, KOCACHE: join(await tempDir('kodev-repro-'), 'kocache') };
}
const build = ['build', './cmd/hello', '--push=false', '--platform', 'linux/amd64'];

function digestOf(stdout: string): string {
  const m = /@(sha256:[a-f0-9]{64})\n$/.exec(stdout);
  if (!m?.[1]) throw new Error(`no digest in ${JSON.stringify(stdout)}`);
  return m[1];
}

let realGo: string;
beforeAll(async () => {
  realGo = (await execa('sh', ['-c', 'command -v go'])).stdout.trim();
});

describe('reproducible builds with the real Go toolchain', () => {
  it('building twice gives the same digest', async () => {
    const dir = await copyFixture('example');
    const a = await runKodev(build, { cwd: dir, env: await fresh() });
    const b = await runKodev(build, { cwd: dir, env: await fresh() });
    expect(a.exitCode, a.stderr).toBe(0);
    expect(digestOf(b.stdout)).toBe(digestOf(a.stdout));
  });

  it('two checkouts at different paths give the same digest (layout and tarball too)', async () => {
    const one = await copyFixture('example', join(await tempDir('kodev-a-'), 'x', 'example'));
    const two = await copyFixture(
      'example',
      join(await tempDir('kodev-b-'), 'some', 'deeper', 'path', 'example'),
    );
    const a = await runKodev(
      [...build, '--oci-layout-path', join(one, 'out'), '--tarball', join(one, 'img.tar')],
      { cwd: one, env: await fresh() },
    );
    const b = await runKodev(
      [...build, '--oci-layout-path', join(two, 'out'), '--tarball', join(two, 'img.tar')],
      { cwd: two, env: await fresh() },
    );
    expect(a.exitCode, a.stderr).toBe(0);
    expect(b.exitCode, b.stderr).toBe(0);
    expect(digestOf(a.stdout)).toBe(digestOf(b.stdout));
    const sum = async (f: string) => (await execa('sha256sum', [f])).stdout.split(' ')[0];
    expect(await sum(join(one, 'img.tar'))).toBe(await sum(join(two, 'img.tar')));
  });

  it('multi-platform indexes are reproducible too', async () => {
    const dir = await copyFixture('example');
    const args = ['build', './cmd/worker', '--push=false', '--platform', 'linux/amd64,linux/arm64'];
    const a = await runKodev(args, { cwd: dir, env: await fresh() });
    const b = await runKodev(args, { cwd: dir, env: await fresh() });
    expect(a.exitCode, a.stderr).toBe(0);
    expect(digestOf(b.stdout)).toBe(digestOf(a.stdout));
  });
});

describe('golden digest (independent of the Go release)', () => {
  // The "binary" is a fixed file, so this digest covers exactly what kodev
  // controls: tar entries, gzip bytes, config and manifest JSON. If it
  // changes, images change between machines or kodev versions: do not
  // update it without saying why in the commit.
  const GOLDEN = 'sha256:aef31c39e29469da672a0b90551b15b5a0efbefef7c084dee22f85774cfc8824';

  // The test has its own KOCACHE: a layer cached by an earlier kodev must not stand in for the
  // bytes this one makes (the shared ~/.cache/kodev once hid a stale golden this way).
  it('the example on scratch for linux/amd64 has the recorded digest, built fresh and from the layer cache', async () => {
    const dir = await copyFixture('example');
    const binary = join(dir, 'fake-binary');
    await writeFile(binary, 'not really an ELF binary, but fixed bytes\n');
    const kocache = join(await tempDir('kodev-golden-'), 'kocache');
    // No SBOM: the fixed file is not a Go binary, and SBOMs are separate artifacts, not part of the image digest.
    const run = () =>
      runKodev([...build, '--sbom=none'], {
        cwd: dir,
        env: {
          ...scratch,
          KOCACHE: kocache,
          KO_GO_PATH: join(REPO_ROOT, 'test/helpers/fake-go.sh'),
          KODEV_REAL_GO: realGo,
          KODEV_FAKE_BINARY: binary,
          SOURCE_DATE_EPOCH: '1700000000',
          KO_DATA_DATE_EPOCH: '1700000000',
        },
      });
    const fresh = await run();
    expect(fresh.exitCode, fresh.stderr).toBe(0);
    expect(digestOf(fresh.stdout)).toBe(GOLDEN);
    // The second run takes the binary layer from the layer cache the first one filled.
    const cached = await run();
    expect(cached.exitCode, cached.stderr).toBe(0);
    expect(digestOf(cached.stdout)).toBe(GOLDEN);
  });
});
