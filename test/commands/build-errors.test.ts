/**
 * Bad input to `kodev build`: each case must exit non-zero with a one-line
 * message that says what and where, print nothing on stdout, and leave no
 * output behind.
 */
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeMultiArchBase, makeOciBase } from '../helpers/base-images.js';
import { copyFixture, runKodev, tempDir } from '../helpers/kodev.js';

let work: string;
let example: string;
let amd64Base: string;
let multiBase: string;

beforeAll(async () => {
  work = await tempDir();
  example = await copyFixture('example', join(work, 'example'));
  amd64Base = (await makeOciBase(join(work, 'base'), { tag: 'amd64' })).ref;
  multiBase = (await makeMultiArchBase(join(work, 'multi'), ['linux/amd64', 'linux/arm64'])).ref;
});

interface Case {
  name: string;
  args: string[];
  env?: Record<string, string>;
  /** Prepares the fixture copy; returns the cwd to run in. */
  setup?: (dir: string) => Promise<string | void>;
  code: 1 | 2;
  message: RegExp;
}

const scratch = { KO_DEFAULTBASEIMAGE: 'scratch' };

const cases: Case[] = [
  {
    name: 'a library package is not a main package',
    args: ['./internal/notmain'],
    env: scratch,
    code: 1,
    message: /not a main package \(example\.com\/kodev-example\/internal\/notmain is package notmain\)/,
  },
  {
    name: 'a missing directory',
    args: ['./cmd/nope'],
    env: scratch,
    code: 1,
    message: /\.\/cmd\/nope: no such directory .*cmd\/nope/,
  },
  {
    name: 'an import path of another module',
    args: ['example.com/other/cmd/x'],
    env: scratch,
    code: 1,
    message:
      /import path does not match go\.mod: example\.com\/other\/cmd\/x is outside module example\.com\/kodev-example/,
  },
  {
    name: 'an import path with no package in the module',
    args: ['ko://example.com/kodev-example/cmd/nope'],
    env: scratch,
    code: 1,
    message: /no such package in the module/,
  },
  {
    name: 'a directory outside any module',
    args: ['./x'],
    env: scratch,
    setup: async (dir) => {
      const outside = join(dir, '..', 'nomod');
      await mkdir(join(outside, 'x'), { recursive: true });
      await writeFile(join(outside, 'x/main.go'), 'package main\nfunc main() {}\n');
      return outside;
    },
    code: 1,
    message: /outside module: .*nomod\/x is not inside a Go module/,
  },
  {
    name: 'no Go toolchain',
    args: ['./cmd/hello'],
    env: { ...scratch, KO_GO_PATH: '/nonexistent/go' },
    code: 1,
    message: /no Go toolchain found: "\/nonexistent\/go"/,
  },
  {
    name: 'a compile error shows the compiler output',
    args: ['./cmd/worker'],
    env: scratch,
    setup: async (dir) =>
      writeFile(join(dir, 'cmd/worker/main.go'), 'package main\n\nfunc main() { undefinedCall() }\n'),
    code: 1,
    message: /go build example\.com\/kodev-example\/cmd\/worker failed[^]*undefined: undefinedCall/,
  },
  {
    name: 'an unknown key in .ko.yaml names file, line and key',
    args: ['./cmd/hello'],
    setup: async (dir) =>
      writeFile(join(dir, '.ko.yaml'), 'defaultBaseImage: scratch\ndefaultPlatfroms: [linux/amd64]\n'),
    code: 1,
    message: /\.ko\.yaml:2: defaultPlatfroms: unknown key/,
  },
  {
    name: 'an invalid platform is a usage error',
    args: ['./cmd/hello', '--platform', 'linux/'],
    env: scratch,
    code: 2,
    message: /invalid platform "linux\/"/,
  },
  {
    name: 'an unknown flag is a usage error',
    args: ['./cmd/hello', '--bogus'],
    env: scratch,
    code: 2,
    message: /unknown option '--bogus'/,
  },
  {
    name: 'two naming flags are a usage error',
    args: ['./cmd/hello', '-B', '-P'],
    env: scratch,
    code: 2,
    message: /-B and -P cannot be combined/,
  },
  {
    name: 'pushing without KO_DOCKER_REPO',
    args: ['./cmd/hello', '--push=true'],
    env: scratch,
    code: 1,
    message: /KO_DOCKER_REPO is unset/,
  },
  {
    name: 'an invalid KO_DOCKER_REPO',
    args: ['./cmd/hello'],
    env: { ...scratch, KO_DOCKER_REPO: 'Reg.io/UPPER' },
    code: 2,
    message: /KO_DOCKER_REPO: "Reg\.io\/UPPER" is not a valid repository/,
  },
  {
    name: 'a non-numeric SOURCE_DATE_EPOCH',
    args: ['./cmd/hello'],
    env: { ...scratch, SOURCE_DATE_EPOCH: 'yesterday' },
    code: 1,
    message: /SOURCE_DATE_EPOCH="yesterday" is not a whole number/,
  },
  {
    name: 'a registry base on a host that does not resolve',
    args: ['./cmd/hello'],
    env: { KO_DEFAULTBASEIMAGE: 'base.invalid/chainguard/static' },
    code: 1,
    message: /registry base\.invalid: unknown host; check the registry name/,
  },
  {
    name: 'a base layout that does not exist',
    args: ['./cmd/hello'],
    env: { KO_DEFAULTBASEIMAGE: 'oci:/nonexistent/layout' },
    code: 1,
    message: /OCI layout \/nonexistent\/layout: not an OCI image layout/,
  },
  {
    name: 'a base docker archive that does not exist',
    args: ['./cmd/hello'],
    env: { KO_DEFAULTBASEIMAGE: 'docker-archive:/nonexistent.tar' },
    code: 1,
    message: /docker archive \/nonexistent\.tar: cannot read \(ENOENT\)/,
  },
  {
    name: 'a kodata symlink that escapes the repository',
    args: ['./cmd/hello'],
    env: scratch,
    setup: async (dir) => symlink('/etc/hostname', join(dir, 'cmd/hello/kodata/escape.txt')),
    code: 1,
    message: /kodata: symlink .*escape\.txt points outside the repository \(\/etc\/hostname\)/,
  },
  {
    name: 'a template with a missing environment variable',
    args: ['./cmd/hello'],
    setup: async (dir) =>
      writeFile(
        join(dir, '.ko.yaml'),
        'defaultBaseImage: scratch\ndefaultLdflags: ["-X main.version={{.Env.NOT_SET_ANYWHERE}}"]\n',
      ),
    code: 1,
    message: /no value for \.Env\.NOT_SET_ANYWHERE/,
  },
];

describe('kodev build rejects bad input cleanly', () => {
  it.each(cases)('$name', async (c) => {
    const dir = await copyFixture('example', join(await tempDir(), 'example'));
    const cwd = (await c.setup?.(dir)) || dir;
    const out = join(dir, 'out-layout');
    const tarball = join(dir, 'out.tar');
    const refs = join(dir, 'refs.txt');
    const r = await runKodev(
      [
        'build',
        ...c.args,
        ...(c.args.includes('--push=true') ? [] : ['--push=false']),
        '--oci-layout-path',
        out,
        '--tarball',
        tarball,
        '--image-refs',
        refs,
      ],
      { cwd, env: c.env ?? {} },
    );
    expect(r.exitCode, r.stderr).toBe(c.code);
    expect(r.stderr).toMatch(c.message);
    expect(r.stdout).toBe('');
    // The error itself is one line (compiler output, when there is some, follows it indented).
    const errorLine = r.stderr.split('\n').find((l) => /^(Error|error):/.test(l));
    expect(errorLine, r.stderr).toBeDefined();
    // Nothing half-done: no layout, tarball or refs file.
    const left = await readdir(dir);
    expect(left.filter((f) => f.startsWith('out') || f === 'refs.txt')).toEqual([]);
  });
});

describe('failures that happen after some work is done leave nothing behind', () => {
  it('one failing build among several: no reference printed, no layout written', async () => {
    const dir = await copyFixture('example', join(await tempDir(), 'example'));
    await writeFile(join(dir, 'cmd/worker/main.go'), 'package main\n\nfunc main() { broken( }\n');
    const out = join(dir, 'layout');
    const r = await runKodev(
      ['build', './cmd/hello', './cmd/worker', '--push=false', '--oci-layout-path', out],
      { cwd: dir, env: scratch },
    );
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/go build example\.com\/kodev-example\/cmd\/worker failed/);
    await expect(readdir(out)).rejects.toThrow(/ENOENT/);
  });

  it('--tarball with a multi-platform result fails before the layout is written', async () => {
    const out = join(work, 'layout-multi-tar');
    const r = await runKodev(
      [
        'build',
        './cmd/hello',
        '--push=false',
        '--oci-layout-path',
        out,
        '--tarball',
        join(work, 'm.tar'),
        '--platform',
        'linux/amd64,linux/arm64',
      ],
      { cwd: example, env: { KO_DEFAULTBASEIMAGE: multiBase } },
    );
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/--tarball: example\.com\/kodev-example\/cmd\/hello built for 2 platforms/);
    await expect(readdir(out)).rejects.toThrow(/ENOENT/);
  });

  it('a single-platform base that does not match the requested platform', async () => {
    const r = await runKodev(['build', './cmd/hello', '--push=false', '--platform', 'linux/arm64'], {
      cwd: example,
      env: { KO_DEFAULTBASEIMAGE: amd64Base },
    });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(
      /base image .* is linux\/amd64, which does not match the requested platforms linux\/arm64/,
    );
  });

  it('a base index without the requested platform lists what it has', async () => {
    const r = await runKodev(['build', './cmd/hello', '--push=false', '--platform', 'linux/s390x'], {
      cwd: example,
      env: { KO_DEFAULTBASEIMAGE: multiBase },
    });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/has no platform matching linux\/s390x \(it has linux\/amd64, linux\/arm64\)/);
  });

  it('a base layer corrupted on disk is caught by its digest while the output is written', async () => {
    const base = await makeOciBase(join(work, 'corrupt-base'), { tag: 'corrupt' });
    const index = JSON.parse(
      await readFile(join(base.layout, 'blobs/sha256', base.digest.slice(7)), 'utf8'),
    ) as {
      layers: { digest: string; size: number }[];
    };
    const layer = index.layers[0];
    if (!layer) throw new Error('the umoci base has no layer');
    // Same size, different bytes: only the digest check can notice.
    await writeFile(join(base.layout, 'blobs/sha256', layer.digest.slice(7)), Buffer.alloc(layer.size, 0x41));
    const out = join(work, 'layout-from-corrupt');
    const r = await runKodev(['build', './cmd/hello', '--push=false', '--oci-layout-path', out], {
      cwd: example,
      env: { KO_DEFAULTBASEIMAGE: base.ref },
    });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        `^Error: OCI layout .*: blob ${layer.digest}: content has digest sha256:[a-f0-9]{64}, expected ${layer.digest}; the content was altered`,
        'm',
      ),
    );
    expect(r.stderr).not.toMatch(/internal error/);
    // No index entry names the image, and no partial blob is left in the output.
    await expect(readFile(join(out, 'index.json'))).rejects.toThrow(/ENOENT/);
    expect((await readdir(join(out, 'blobs/sha256'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
