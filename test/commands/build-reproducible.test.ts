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
    const a = await runKodev(build, { cwd: dir, env: scratch });
    const b = await runKodev(build, { cwd: dir, env: scratch });
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
      { cwd: one, env: scratch },
    );
    const b = await runKodev(
      [...build, '--oci-layout-path', join(two, 'out'), '--tarball', join(two, 'img.tar')],
      { cwd: two, env: scratch },
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
    const a = await runKodev(args, { cwd: dir, env: scratch });
    const b = await runKodev(args, { cwd: dir, env: scratch });
    expect(a.exitCode, a.stderr).toBe(0);
    expect(digestOf(b.stdout)).toBe(digestOf(a.stdout));
  });
});

describe('golden digest (independent of the Go release)', () => {
  // The "binary" is a fixed file, so this digest covers exactly what kodev
  // controls: tar entries, gzip bytes, config and manifest JSON. If it
  // changes, images change between machines or kodev versions: do not
  // update it without saying why in the commit.
  const GOLDEN = 'sha256:4bc424744ee508c1803632407e90bc5846c00716839d49c7eea8657a2d768849';

  it('the example on scratch for linux/amd64 has the recorded digest', async () => {
    const dir = await copyFixture('example');
    const binary = join(dir, 'fake-binary');
    await writeFile(binary, 'not really an ELF binary, but fixed bytes\n');
    // No SBOM: the fixed file is not a Go binary, and SBOMs are separate artifacts, not part of the image digest.
    const r = await runKodev([...build, '--sbom=none'], {
      cwd: dir,
      env: {
        ...scratch,
        KO_GO_PATH: join(REPO_ROOT, 'test/helpers/fake-go.sh'),
        KODEV_REAL_GO: realGo,
        KODEV_FAKE_BINARY: binary,
        SOURCE_DATE_EPOCH: '1700000000',
        KO_DATA_DATE_EPOCH: '1700000000',
      },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(digestOf(r.stdout)).toBe(GOLDEN);
  });
});
