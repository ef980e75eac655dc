import {
  appendFile,
  chmod,
  cp,
  mkdir,
  mkdtemp,
  realpath,
  rm,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ImageInputs, loadImageInputs } from '../../src/dev/graph.js';
import { hashInputs } from '../../src/dev/input-hash.js';
import { goTool } from '../../src/gotool/go.js';
import { processEnv } from '../../src/system/env.js';

const go = goTool(processEnv());
const tmps: string[] = [];

const MODULE = {
  'go.mod': 'module example.com/h\n\ngo 1.22\n',
  'internal/lib/lib.go': 'package lib\n\n// L says hi.\nfunc L() string { return "hi" }\n',
  'internal/lib/lib_windows.go': 'package lib\n\nfunc W() {}\n',
  'internal/lib/lib_test.go': 'package lib\n\nimport "testing"\n\nfunc TestL(t *testing.T) {}\n',
  'cmd/app/main.go':
    'package main\n\nimport "example.com/h/internal/lib"\n\nfunc main() { println(lib.L()) }\n',
  'cmd/app/kodata/index.html': '<p>hi</p>\n',
  'cmd/app/kodata/sub/data.txt': 'data\n',
  'notes.txt': 'not an input\n',
};

async function fixture(): Promise<{ root: string; inputs: ImageInputs }> {
  const root = await realpath(await mkdtemp(join(tmpdir(), 'kodev-hash-')));
  tmps.push(root);
  for (const [rel, text] of Object.entries(MODULE)) {
    await mkdir(dirname(join(root, rel)), { recursive: true });
    await writeFile(join(root, rel), text);
  }
  await symlink('index.html', join(root, 'cmd/app/kodata/home.html'));
  const inputs = await loadImageInputs(
    go,
    { importPath: 'example.com/h/cmd/app', moduleDir: root, dir: join(root, 'cmd/app') },
    { GOOS: 'linux', GOARCH: 'amd64', CGO_ENABLED: '0' },
  );
  return { root, inputs };
}

afterAll(async () => {
  await Promise.all(tmps.map((d) => rm(d, { recursive: true, force: true })));
});

describe('hashInputs', () => {
  it.each<[string, (root: string) => Promise<unknown>, 'same' | 'changed']>([
    ['nothing changed: same hash', async () => {}, 'same'],
    ['touching a source (mtime only): same hash', (r) => utimes(join(r, 'cmd/app/main.go'), 1, 1), 'same'],
    [
      'editing a source: changed',
      (r) => writeFile(join(r, 'internal/lib/lib.go'), MODULE['internal/lib/lib.go'].replace('"hi"', '"ho"')),
      'changed',
    ],
    [
      'a comment-only edit: changed (inputs, not the binary)',
      (r) => writeFile(join(r, 'internal/lib/lib.go'), MODULE['internal/lib/lib.go'].replace('says', 'said')),
      'changed',
    ],
    ['deleting a source: changed', (r) => rm(join(r, 'internal/lib/lib.go')), 'changed'],
    ['editing go.mod: changed', (r) => appendFile(join(r, 'go.mod'), '\n// note\n'), 'changed'],
    [
      'editing a file excluded on linux: same hash',
      (r) => appendFile(join(r, 'internal/lib/lib_windows.go'), '//\n'),
      'same',
    ],
    [
      'editing a _test.go file: same hash',
      (r) => appendFile(join(r, 'internal/lib/lib_test.go'), '//\n'),
      'same',
    ],
    ['editing a file that is no input: same hash', (r) => appendFile(join(r, 'notes.txt'), 'x'), 'same'],
    [
      'editing a kodata file: changed',
      (r) => appendFile(join(r, 'cmd/app/kodata/sub/data.txt'), 'x'),
      'changed',
    ],
    [
      'making a kodata file executable: changed',
      (r) => chmod(join(r, 'cmd/app/kodata/sub/data.txt'), 0o755),
      'changed',
    ],
    [
      'a new kodata symlink: changed',
      (r) => symlink('sub/data.txt', join(r, 'cmd/app/kodata/d.txt')),
      'changed',
    ],
    [
      'a kodata symlink retargeted (same file, target written differently): changed',
      async (r) => {
        await rm(join(r, 'cmd/app/kodata/home.html'));
        await symlink('./index.html', join(r, 'cmd/app/kodata/home.html'));
      },
      'changed',
    ],
    ['a new empty kodata dir: changed', (r) => mkdir(join(r, 'cmd/app/kodata/empty')), 'changed'],
    [
      'renaming a kodata dir: changed',
      (r) =>
        cp(join(r, 'cmd/app/kodata/sub'), join(r, 'cmd/app/kodata/sub2'), { recursive: true }).then(() =>
          rm(join(r, 'cmd/app/kodata/sub'), { recursive: true }),
        ),
      'changed',
    ],
    ['removing kodata: changed', (r) => rm(join(r, 'cmd/app/kodata'), { recursive: true }), 'changed'],
  ])('%s', async (_name, mutate, want) => {
    const { root, inputs } = await fixture();
    const before = await hashInputs(inputs, 'linux/amd64');
    expect(before).toMatch(/^[0-9a-f]{64}$/);
    await mutate(root);
    const after = await hashInputs(inputs, 'linux/amd64');
    if (want === 'same') expect(after).toBe(before);
    else expect(after).not.toBe(before);
  });

  it('changes with extra (build settings, platform, base image)', async () => {
    const { inputs } = await fixture();
    expect(await hashInputs(inputs, 'linux/arm64')).not.toBe(await hashInputs(inputs, 'linux/amd64'));
  });

  it('does not depend on where the checkout lives', async () => {
    const [one, two] = await Promise.all([fixture(), fixture()]);
    expect(one.root).not.toBe(two.root);
    expect(await hashInputs(one.inputs, 'x')).toBe(await hashInputs(two.inputs, 'x'));
  });

  it('follows a kodata symlink to a directory, and still hashes a link loop', async () => {
    const { root, inputs } = await fixture();
    await symlink('sub', join(root, 'cmd/app/kodata/linked'));
    await symlink('..', join(root, 'cmd/app/kodata/sub/up'));
    const before = await hashInputs(inputs, 'x');
    await appendFile(join(root, 'cmd/app/kodata/sub/data.txt'), 'x');
    expect(await hashInputs(inputs, 'x')).not.toBe(before);
  });
});
