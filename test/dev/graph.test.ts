import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  explainChanges,
  type ImageInputs,
  impactOf,
  loadImageInputs,
  watchRoots,
} from '../../src/dev/graph.js';
import type { FileChange } from '../../src/dev/watcher.js';
import { UserError } from '../../src/errors.js';
import { goTool } from '../../src/gotool/go.js';
import { processEnv } from '../../src/system/env.js';

const go = goTool(processEnv());
const linux = { GOOS: 'linux', GOARCH: 'amd64', CGO_ENABLED: '0' };
const tmps: string[] = [];

async function tree(files: Record<string, string>): Promise<string> {
  const root = await realpath(await mkdtemp(join(tmpdir(), 'kodev-graph-')));
  tmps.push(root);
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, rel)), { recursive: true });
    await writeFile(join(root, rel), text);
  }
  return root;
}

const load = (root: string, moduleDir: string, importPath: string, dir: string, env = {}) =>
  loadImageInputs(
    go,
    { importPath, moduleDir: join(root, moduleDir), dir: join(root, dir) },
    { ...linux, ...env },
  );

const rel = (root: string, paths: string[]) => paths.map((p) => relative(root, p));

// cmd/a and cmd/b share internal/shared; a also uses internal/onlya and internal/assets (embed);
// b uses a module replaced by ./dep.
const MODULE = {
  'go.mod':
    'module example.com/m\n\ngo 1.22\n\nrequire example.com/dep v0.0.0\n\nreplace example.com/dep => ./dep\n',
  'dep/go.mod': 'module example.com/dep\n\ngo 1.22\n',
  'dep/lib/lib.go': 'package lib\n\nfunc Dep() string { return "dep" }\n',
  'internal/shared/shared.go': 'package shared\n\nfunc S() string { return "s" }\n',
  'internal/shared/x_windows.go': 'package shared\n\nfunc W() string { return "w" }\n',
  'internal/shared/tagged.go': '//go:build extra\n\npackage shared\n\nfunc T() string { return "t" }\n',
  'internal/shared/shared_test.go': 'package shared\n\nimport "testing"\n\nfunc TestS(t *testing.T) {}\n',
  'internal/onlya/onlya.go': 'package onlya\n\nfunc A() string { return "a" }\n',
  'internal/assets/assets.go': 'package assets\n\nimport "embed"\n\n//go:embed static/*\nvar FS embed.FS\n',
  'internal/assets/static/hello.txt': 'hello\n',
  'cmd/a/main.go':
    'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/m/internal/assets"\n\t"example.com/m/internal/onlya"\n\t"example.com/m/internal/shared"\n)\n\nfunc main() { fmt.Println(shared.S(), onlya.A(), assets.FS) }\n',
  'cmd/a/kodata/index.html': '<p>a</p>\n',
  'cmd/b/main.go':
    'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/dep/lib"\n\t"example.com/m/internal/shared"\n)\n\nfunc main() { fmt.Println(shared.S(), lib.Dep()) }\n',
  'README.md': '# m\n',
};

let root: string;
let inputs: Map<string, ImageInputs>;

beforeAll(async () => {
  root = await tree(MODULE);
  const [a, b] = await Promise.all([
    load(root, '.', 'example.com/m/cmd/a', 'cmd/a'),
    load(root, '.', 'example.com/m/cmd/b', 'cmd/b'),
  ]);
  inputs = new Map([
    ['a', a],
    ['b', b],
  ]);
});

afterAll(async () => {
  await Promise.all(tmps.map((d) => rm(d, { recursive: true, force: true })));
});

describe('loadImageInputs', () => {
  it.each([
    [
      'a',
      {
        files: [
          'cmd/a/main.go',
          'internal/assets/assets.go',
          'internal/assets/static/hello.txt',
          'internal/onlya/onlya.go',
          'internal/shared/shared.go',
        ],
        packageDirs: ['cmd/a', 'internal/assets', 'internal/onlya', 'internal/shared'],
        embedDirs: ['internal/assets/static'],
        moduleFiles: ['go.mod'],
        kodataDir: 'cmd/a/kodata',
      },
    ],
    [
      'b',
      {
        files: ['cmd/b/main.go', 'dep/lib/lib.go', 'internal/shared/shared.go'],
        packageDirs: ['cmd/b', 'dep/lib', 'internal/shared'],
        embedDirs: [],
        moduleFiles: ['dep/go.mod', 'go.mod'],
        kodataDir: 'cmd/b/kodata',
      },
    ],
  ])('image %s: local sources only, no tests, no other-platform files', (image, want) => {
    const i = inputs.get(image)!;
    expect({
      files: rel(root, i.files),
      packageDirs: rel(root, i.packageDirs),
      embedDirs: rel(root, i.embedDirs),
      moduleFiles: rel(root, i.moduleFiles),
      kodataDir: relative(root, i.kodataDir),
    }).toEqual(want);
    expect(i.moduleDir).toBe(root);
  });

  it.each([
    ['GOOS=windows adds x_windows.go', { GOOS: 'windows' }, 'internal/shared/x_windows.go'],
    ['GOFLAGS=-tags=extra adds the tagged file', { GOFLAGS: '-tags=extra' }, 'internal/shared/tagged.go'],
  ])('%s', async (_name, env, file) => {
    const i = await load(root, '.', 'example.com/m/cmd/b', 'cmd/b', env);
    expect(rel(root, i.files)).toContain(file);
    expect(rel(root, inputs.get('b')!.files)).not.toContain(file);
  });

  it('in a go.work workspace lists go.work and every used module go.mod, and watches the workspace', async () => {
    const ws = await tree({
      'go.work': 'go 1.22\n\nuse (\n\t./app // the program\n\t./lib\n)\nuse ./tools\n',
      'app/go.mod': 'module example.com/app\n\ngo 1.22\n',
      'app/main.go': 'package main\n\nimport "example.com/lib"\n\nfunc main() { lib.L() }\n',
      'lib/go.mod': 'module example.com/lib\n\ngo 1.22\n',
      'lib/lib.go': 'package lib\n\nfunc L() {}\n',
      'tools/go.mod': 'module example.com/tools\n\ngo 1.22\n',
    });
    const i = await load(ws, 'app', 'example.com/app', 'app');
    expect(rel(ws, i.files)).toEqual(['app/main.go', 'lib/lib.go']);
    expect(rel(ws, i.moduleFiles)).toEqual(['app/go.mod', 'go.work', 'lib/go.mod', 'tools/go.mod']);
    expect(watchRoots([i])).toEqual([ws]);
  });

  it('keeps a file with a syntax error in the package (a broken edit stays watched)', async () => {
    const dir = await tree({
      'go.mod': 'module example.com/broken\n\ngo 1.22\n',
      'main.go': 'package main\n\nfunc main() { oops( }\n',
    });
    const i = await load(dir, '.', 'example.com/broken', '.');
    expect(rel(dir, i.files)).toEqual(['main.go']);
  });

  it.each([
    [
      'a package that does not exist',
      { 'go.mod': 'module example.com/m\n\ngo 1.22\n' },
      'example.com/m/nope',
    ],
    ['a malformed go.mod', { 'go.mod': 'module example.com/m\n\nthis is not go.mod\n' }, 'example.com/m'],
  ])('throws a UserError naming the import path for %s', async (_name, files, importPath) => {
    const dir = await tree(files);
    const err = await load(dir, '.', importPath, '.').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toContain(importPath);
    expect((err as UserError).details).toBeTruthy();
  });
});

describe('impactOf', () => {
  type Want = Record<string, 'rebuild' | 'reload'>;
  it.each<[string, string, FileChange['kind'], Want]>([
    [
      'editing a package only a imports rebuilds only a',
      'internal/onlya/onlya.go',
      'change',
      { a: 'rebuild' },
    ],
    [
      'editing a shared package rebuilds a and b',
      'internal/shared/shared.go',
      'change',
      { a: 'rebuild', b: 'rebuild' },
    ],
    ['editing the replaced local module rebuilds only b', 'dep/lib/lib.go', 'change', { b: 'rebuild' }],
    ['editing an embedded file rebuilds a', 'internal/assets/static/hello.txt', 'change', { a: 'rebuild' }],
    ['editing a file excluded on linux is ignored', 'internal/shared/x_windows.go', 'change', {}],
    ['editing a file excluded by build tags is ignored', 'internal/shared/tagged.go', 'change', {}],
    ['editing a _test.go file is ignored', 'internal/shared/shared_test.go', 'change', {}],
    ['adding a _test.go file is ignored', 'internal/shared/more_test.go', 'add', {}],
    ['editing go.mod rebuilds and reloads both', 'go.mod', 'change', { a: 'reload', b: 'reload' }],
    ['editing the local module go.mod reloads only b', 'dep/go.mod', 'change', { b: 'reload' }],
    ['a go.sum appearing reloads both', 'go.sum', 'add', { a: 'reload', b: 'reload' }],
    ['a go.work appearing reloads both', 'go.work', 'add', { a: 'reload', b: 'reload' }],
    [
      'adding a .go file to a shared package reloads both',
      'internal/shared/new.go',
      'add',
      { a: 'reload', b: 'reload' },
    ],
    [
      'deleting a .go file reloads its importers',
      'internal/shared/shared.go',
      'unlink',
      { a: 'reload', b: 'reload' },
    ],
    ['adding a .s file to a package reloads it', 'dep/lib/asm_amd64.s', 'add', { b: 'reload' }],
    ['adding a file under the embed dir reloads a', 'internal/assets/static/new.txt', 'add', { a: 'reload' }],
    ['adding a dir under the embed dir reloads a', 'internal/assets/static/sub', 'addDir', { a: 'reload' }],
    ['deleting the embed dir reloads a', 'internal/assets/static', 'unlinkDir', { a: 'reload' }],
    ['a non-source file beside the embedding package is ignored', 'internal/assets/notes.txt', 'add', {}],
    ['deleting a package dir reloads its importers', 'internal/onlya', 'unlinkDir', { a: 'reload' }],
    ['deleting a parent of package dirs reloads both', 'internal', 'unlinkDir', { a: 'reload', b: 'reload' }],
    ['adding a kodata file rebuilds only a', 'cmd/a/kodata/new.css', 'add', { a: 'rebuild' }],
    ['editing a kodata file rebuilds only a', 'cmd/a/kodata/index.html', 'change', { a: 'rebuild' }],
    ['creating the kodata dir of b rebuilds only b', 'cmd/b/kodata', 'addDir', { b: 'rebuild' }],
    ['editing an unrelated README is ignored', 'README.md', 'change', {}],
    ['a new dir outside any package is ignored', 'docs', 'addDir', {}],
    ['a sibling dir sharing a prefix with a package dir is ignored', 'internal/onlyab/x.go', 'add', {}],
  ])('%s', (_name, path, kind, want) => {
    const impact = impactOf(inputs, [{ path: join(root, path), kind }]);
    const got: Want = {};
    for (const [image, paths] of impact.images) {
      got[image] = impact.reload.has(image) ? 'reload' : 'rebuild';
      expect(paths).toEqual([join(root, path)]);
    }
    expect(got).toEqual(want);
    expect(impact.ignored).toEqual(Object.keys(want).length === 0 ? [join(root, path)] : []);
  });

  it('gathers a batch per image and lists what affects nothing', () => {
    const p = (r: string) => join(root, r);
    const impact = impactOf(inputs, [
      { path: p('internal/shared/shared.go'), kind: 'change' },
      { path: p('internal/onlya/onlya.go'), kind: 'change' },
      { path: p('README.md'), kind: 'change' },
      { path: p('dep/go.mod'), kind: 'change' },
    ]);
    expect(impact.images).toEqual(
      new Map([
        ['a', [p('internal/shared/shared.go'), p('internal/onlya/onlya.go')]],
        ['b', [p('internal/shared/shared.go'), p('dep/go.mod')]],
      ]),
    );
    expect(impact.reload).toEqual(new Set(['b']));
    expect(impact.ignored).toEqual([p('README.md')]);
  });

  it.each<[string, string, string[]]>([
    ['a watched file', 'config/app.yaml', ['a']],
    ['a file under a watched directory', 'templates/page/x.tmpl', ['b']],
    ['a file next to a watched file', 'config/other.yaml', []],
  ])('extraWatch: %s', (_name, path, want) => {
    const extra = new Map([
      ['a', [join(root, 'config/app.yaml')]],
      ['b', [join(root, 'templates')]],
    ]);
    const impact = impactOf(inputs, [{ path: join(root, path), kind: 'change' }], extra);
    expect([...impact.images.keys()]).toEqual(want);
    expect(impact.reload.size).toBe(0);
  });
});

describe('explainChanges', () => {
  it.each([
    [
      'a file of a library package names the package',
      'a',
      ['internal/shared/shared.go'],
      ['example.com/m/internal/shared'],
    ],
    ['the main package names itself', 'a', ['cmd/a/main.go'], ['example.com/m/cmd/a']],
    ['a replaced module package', 'b', ['dep/lib/lib.go'], ['example.com/dep/lib']],
    [
      'an embedded file names its package',
      'a',
      ['internal/assets/static/hello.txt'],
      ['example.com/m/internal/assets (embedded)'],
    ],
    ['kodata', 'a', ['cmd/a/kodata/index.html'], ['kodata']],
    ['module files by name', 'b', ['go.mod', 'dep/go.mod'], ['go.mod']],
    [
      'several files, each package once',
      'a',
      ['internal/shared/shared.go', 'internal/shared/x_windows.go', 'internal/onlya/onlya.go'],
      ['example.com/m/internal/shared', 'example.com/m/internal/onlya'],
    ],
  ])('%s', (_name, image, files, expected) => {
    const i = inputs.get(image) as ImageInputs;
    expect(
      explainChanges(
        i,
        files.map((f) => join(root, f)),
      ),
    ).toEqual(expected);
  });
});

describe('watchRoots', () => {
  const inputsAt = (moduleDir: string, moduleFiles: string[]): ImageInputs => ({
    importPath: 'x',
    moduleDir,
    files: [],
    packageDirs: [],
    embedDirs: [],
    moduleFiles,
    kodataDir: join(moduleDir, 'kodata'),
  });
  it.each<[string, ImageInputs[], string[]]>([
    [
      'one module with a nested replaced module',
      [inputsAt('/w/m', ['/w/m/go.mod', '/w/m/dep/go.mod'])],
      ['/w/m'],
    ],
    ['a replaced module outside', [inputsAt('/w/m', ['/w/m/go.mod', '/w/dep/go.mod'])], ['/w/dep', '/w/m']],
    [
      'a workspace above the modules',
      [inputsAt('/w/a', ['/w/go.work', '/w/a/go.mod']), inputsAt('/w/b', [])],
      ['/w'],
    ],
    [
      'two images of one module',
      [inputsAt('/w/m', ['/w/m/go.mod']), inputsAt('/w/m', ['/w/m/go.mod'])],
      ['/w/m'],
    ],
    [
      'directories sharing a name prefix stay apart',
      [inputsAt('/w/app', []), inputsAt('/w/app2', [])],
      ['/w/app', '/w/app2'],
    ],
  ])('%s', (_name, list, want) => {
    expect(watchRoots(list)).toEqual(want);
  });
});
