/** How kodev drives `go build`: GOFLAGS, --disable-optimizations, config flags, checked in the built binary. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { copyFixture, runKodev, tempDir } from '../helpers/kodev.js';

let example: string;

beforeAll(async () => {
  example = await copyFixture('example', join(await tempDir(), 'example'));
  // Only a build with -tags=kodevextra compiles this file in.
  await writeFile(
    join(example, 'cmd/hello/extra.go'),
    '//go:build kodevextra\n\npackage main\n\nfunc init() { version = "extra" }\n',
  );
});

/** Builds ./cmd/hello into a tarball and returns `go version -m` of the binary inside. */
async function buildAndInspect(
  args: string[],
  env: Record<string, string>,
): Promise<{ info: string; run: string }> {
  const dir = await tempDir();
  const tarball = join(dir, 'img.tar');
  const r = await runKodev(['build', './cmd/hello', '--push=false', '--tarball', tarball, ...args], {
    cwd: example,
    env: { KO_DEFAULTBASEIMAGE: 'scratch', ...env },
  });
  expect(r.exitCode, r.stderr).toBe(0);
  // Unpack with GNU tar: the docker archive, then the last layer (the binary).
  await execa('tar', ['-xf', tarball, '-C', dir]);
  const manifest = JSON.parse((await execa('cat', [join(dir, 'manifest.json')])).stdout) as {
    Layers: string[];
  }[];
  const layer = manifest[0]?.Layers.at(-1) as string;
  const root = join(dir, 'root');
  await mkdir(root);
  await execa('tar', ['-xzf', join(dir, layer), '-C', root]);
  const bin = join(root, 'ko-app/hello');
  const info = (await execa('go', ['version', '-m', bin])).stdout;
  const run = (await execa(bin, [], { env: { KO_DATA_PATH: join(root, 'nowhere') }, reject: false })).stdout;
  return { info, run };
}

describe('go build settings', () => {
  it('always builds with -trimpath and CGO_ENABLED=0', async () => {
    const { info } = await buildAndInspect([], {});
    expect(info).toMatch(/^\tbuild\t-trimpath=true$/m);
    expect(info).toMatch(/^\tbuild\tCGO_ENABLED=0$/m);
  });

  it('GOFLAGS from the environment reaches go build', async () => {
    const { info, run } = await buildAndInspect([], { GOFLAGS: '-tags=kodevextra' });
    expect(info).toMatch(/^\tbuild\t-tags=kodevextra$/m);
    expect(run).toContain('version extra');
  });

  it('--disable-optimizations adds -gcflags=all=-N -l', async () => {
    const { info } = await buildAndInspect(['--disable-optimizations'], {});
    expect(info).toMatch(/^\tbuild\t-gcflags="all=-N -l"$/m);
  });

  it('.ko.yaml flags and ldflags templates apply', async () => {
    await writeFile(
      join(example, '.ko.yaml'),
      'defaultFlags: [-tags=othertag]\ndefaultLdflags: ["-X main.version={{.Env.V}}-{{.Timestamp}}"]\n',
    );
    try {
      const { info, run } = await buildAndInspect([], { V: 'v9' });
      expect(info).toMatch(/^\tbuild\t-tags=othertag$/m);
      // -trimpath keeps -ldflags out of the build info, so the program shows the -X value.
      expect(run).toMatch(/^version v9-\d{10}, linux\//m);
    } finally {
      await writeFile(join(example, '.ko.yaml'), '');
    }
  });
});
