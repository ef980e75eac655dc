import { join, relative } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { type ImageInputs, loadImageInputs } from '../../src/dev/graph.js';
import { goTool } from '../../src/gotool/go.js';
import { goImports, staticImageInputs } from '../../src/gotool/static-inputs.js';
import { processEnv } from '../../src/system/env.js';
import { tempTrees } from '../helpers/temp-tree.js';
import { REPO_ROOT } from '../helpers/kodev.js';

const go = goTool(processEnv());
const linux = { GOOS: 'linux', GOARCH: 'amd64', CGO_ENABLED: '0' };

const tree = tempTrees('kodev-static-inputs-');

/** Every file and package dir go list reports, and the main module's go.mod/go.sum, are in `found`. */
function expectSuperset(found: ImageInputs, listed: ImageInputs) {
  expect(found.files).toEqual(expect.arrayContaining(listed.files));
  expect(found.packageDirs).toEqual(expect.arrayContaining(listed.packageDirs));
  const own = [join(listed.moduleDir, 'go.mod'), join(listed.moduleDir, 'go.sum')];
  expect(found.moduleFiles).toEqual(
    expect.arrayContaining(listed.moduleFiles.filter((f) => own.includes(f))),
  );
}

describe('goImports', () => {
  it.each<[string, string, string[] | undefined]>([
    ['one import', 'package main\n\nimport "fmt"\n\nfunc main() {}\n', ['fmt']],
    [
      'named, dot and blank imports',
      'package p\nimport x "a/x"\nimport . "a/dot"\nimport _ "a/blank"\nvar V = 1\n',
      ['a/x', 'a/dot', 'a/blank'],
    ],
    [
      'a group with aliases, comments and a raw string',
      '/* header */\n// Package p.\npackage p // p\n\nimport (\n\t"fmt" // std\n\t/* a\n\tcomment */ al "a/b" // aliased\n\n\t_ `a/raw`\n)\n\ntype T int\n',
      ['fmt', 'a/b', 'a/raw'],
    ],
    ['semicolons on one line', 'package p; import "a"; import ( "b"; c "d" ); const C = 1', ['a', 'b', 'd']],
    ['no imports', 'package p\n', []],
    ['imports in a comment only', 'package p\n\n// import "a"\n/* import "b" */\nfunc F() {}\n', []],
    ['an escaped path', 'package p\n\nimport "a\\u002fb"\n', ['a/b']],
    ['no package clause', 'import "a"\n', undefined],
    ['an unterminated group', 'package p\n\nimport (\n\t"a"\n', undefined],
    ['an unterminated comment', 'package p\n\n/* import "a"\n', undefined],
    ['something else after the imports', 'package p\n\nimport "a"\n\nfoo "b"\n', undefined],
    ['a Go escape JSON lacks', 'package p\n\nimport "a\\x2fb"\n', undefined],
  ])('%s', (_name, source, expected) => {
    expect(goImports(source)).toEqual(expected);
  });
});

describe('staticImageInputs', () => {
  it('is a superset of go list for every main package of the fixtures', async () => {
    const modules = ['example', 'k8s-app', 'deps', 'multimod/services/api', 'multimod/services/web'];
    const answered: string[] = [];
    const declined: string[] = [];
    for (const m of modules) {
      const moduleDir = join(REPO_ROOT, 'fixtures', m);
      const { stdout } = await execa('go', ['list', '-f', '{{.Name}} {{.ImportPath}} {{.Dir}}', './...'], {
        cwd: moduleDir,
        env: { GOWORK: 'off', GOFLAGS: '' },
      });
      for (const line of stdout.trim().split('\n')) {
        const [name, importPath = '', dir = ''] = line.split(' ');
        if (name !== 'main') continue;
        const pkg = { importPath, moduleDir, dir };
        const found = await staticImageInputs(pkg, { ...go.env, ...linux }, ['-trimpath']);
        if (!found) {
          declined.push(importPath);
          continue;
        }
        answered.push(importPath);
        expectSuperset(found, await loadImageInputs(go, pkg, linux));
        expect(found).toMatchObject({ importPath, moduleDir, embedDirs: [], kodataDir: join(dir, 'kodata') });
        expect(found.packages?.[dir]).toBe(importPath);
      }
    }
    expect(answered.length).toBeGreaterThanOrEqual(6);
    // deps replaces its modules by directories.
    expect(declined).toEqual(['example.com/deps/cmd/app']);
  });

  const MOD = 'module example.com/m\n\ngo 1.22\n';
  const MAIN = 'package main\n\nfunc main() {}\n';
  const LIB = 'package lib\n';
  const importing = (...paths: string[]) =>
    `package main\n\nimport (\n${paths.map((p) => `\t"${p}"\n`).join('')})\n\nfunc main() {}\n`;
  const app = (root: string, moduleDir = root) => ({
    importPath: 'example.com/m/cmd/app',
    moduleDir,
    dir: join(moduleDir, 'cmd/app'),
  });
  const hermetic = { GOENV: 'off' };

  it('follows local imports of every form, ignoring build constraints and tests', async () => {
    const root = await tree({
      'go.mod': MOD,
      'cmd/app/main.go':
        '// Command app.\npackage main\n\nimport (\n\t"fmt" // std\n\n\t/* why:\n\t   aliased */ al "example.com/m/internal/aliased" // note\n\t_ `example.com/m/internal/raw`\n)\n\nfunc main() { fmt.Println(al.X) }\n',
      'cmd/app/main_test.go': 'package main\n\nimport _ "example.com/m/internal/testonly"\n',
      'cmd/app/asm_amd64.s': '',
      'cmd/app/notes.txt': 'not a source\n',
      'cmd/app/_ignored.go': 'package main\n\nimport _ "example.com/m/internal/ignored"\n',
      'internal/aliased/a.go': 'package aliased\n\nimport . "example.com/m/internal/deep"\n\nvar X = Y\n',
      'internal/aliased/a_windows.go': 'package aliased\n',
      'internal/aliased/tagged.go':
        '//go:build never\n\npackage aliased\n\nimport "example.com/m/internal/tagonly"\n',
      'internal/deep/deep.go': 'package deep\n\nvar Y = 1\n',
      'internal/raw/raw.go': LIB,
      'internal/tagonly/t.go': LIB,
      'internal/testonly/t.go': LIB,
      'internal/ignored/i.go': LIB,
    });
    const found = await staticImageInputs(app(root), hermetic, []);
    expect(found).toBeDefined();
    if (!found) return;
    expect(found.files.map((f) => relative(root, f))).toEqual([
      'cmd/app/asm_amd64.s',
      'cmd/app/main.go',
      'internal/aliased/a.go',
      'internal/aliased/a_windows.go',
      'internal/aliased/tagged.go',
      'internal/deep/deep.go',
      'internal/raw/raw.go',
      'internal/tagonly/t.go',
    ]);
    expect(found.packageDirs.map((d) => relative(root, d))).toEqual([
      'cmd/app',
      'internal/aliased',
      'internal/deep',
      'internal/raw',
      'internal/tagonly',
    ]);
    expect(found.packages?.[join(root, 'internal/deep')]).toBe('example.com/m/internal/deep');
    expect(found.moduleFiles).toEqual([join(root, 'go.mod'), join(root, 'go.sum')]);
    expectSuperset(found, await loadImageInputs(go, app(root), linux));
  });

  it('records an imported local directory that does not exist', async () => {
    const root = await tree({
      'go.mod': MOD,
      'cmd/app/main.go': importing('example.com/m/internal/gone', 'example.com/m'),
      'root.go': 'package m\n',
    });
    const found = await staticImageInputs(app(root), hermetic, []);
    expect(found?.packageDirs).toEqual([root, join(root, 'cmd/app'), join(root, 'internal/gone')]);
    expect(found?.files).toEqual([join(root, 'cmd/app/main.go'), join(root, 'root.go')]);
  });

  it('checks the required modules in the module cache', async () => {
    const files = {
      'go.mod': `${MOD}\nrequire example.com/Other v1.0.0 // indirect\n`,
      'cmd/app/main.go': importing('example.com/Other/x'),
    };
    const cacheMod = 'cache/download/example.com/!other/@v/v1.0.0.mod';
    const oneWay = await tree({ ...files, [`gomod/${cacheMod}`]: 'module example.com/Other\n\ngo 1.22\n' });
    const back = await tree({
      ...files,
      [`gomod/${cacheMod}`]: 'module example.com/Other\n\ngo 1.22\n\nrequire (\n\texample.com/m v0.1.0\n)\n',
    });
    const uncached = await tree(files);
    const withCache = (root: string) => ({ ...hermetic, GOMODCACHE: join(root, 'gomod') });
    expect(await staticImageInputs(app(oneWay), withCache(oneWay), [])).toBeDefined();
    // example.com/Other's packages may import the main module's: go list knows which.
    expect(await staticImageInputs(app(back), withCache(back), [])).toBeUndefined();
    expect(await staticImageInputs(app(uncached), withCache(uncached), [])).toBeUndefined();
    // A module replacement is checked by its target's go.mod.
    const replaced = await tree({
      ...files,
      'go.mod': `${files['go.mod']}\nreplace example.com/Other v1.0.0 => example.com/fork v1.0.1 // fork\n`,
      'gomod/cache/download/example.com/fork/@v/v1.0.1.mod': 'module example.com/fork\n\ngo 1.22\n',
    });
    expect(await staticImageInputs(app(replaced), withCache(replaced), [])).toBeDefined();
  });

  it('answers a plain module (the base of the cases below)', async () => {
    const root = await tree({ 'go.mod': MOD, 'cmd/app/main.go': MAIN });
    expect(await staticImageInputs(app(root), hermetic, ['-trimpath', '-ldflags=-s -w'])).toBeDefined();
  });

  it.each<[string, Record<string, string>, Record<string, string>?, string[]?, string?]>([
    ['a single-line directory replace', { 'go.mod': `${MOD}\nreplace example.com/x => ../x\n` }],
    [
      'a directory replace in a block, with comments',
      {
        'go.mod': `${MOD}\nreplace (\n\t// a fork\n\texample.com/y v1.0.0 => example.com/z v1.0.1\n\texample.com/x v1.0.0 => ./x // local\n)\n`,
      },
    ],
    ['a Windows directory replace', { 'go.mod': `${MOD}\nreplace example.com/x => C:\\src\\x\n` }],
    ['a go.work beside go.mod', { 'go.work': 'go 1.22\n\nuse .\n' }],
    [
      'a go.work in a parent directory',
      { 'go.work': 'go 1.22\n\nuse ./sub\n', 'sub/go.mod': MOD, 'sub/cmd/app/main.go': MAIN },
      {},
      [],
      'sub',
    ],
    ['GOWORK set', {}, { GOWORK: '/elsewhere/go.work' }],
    ['a vendor directory', { 'vendor/modules.txt': '' }],
    [
      '//go:embed in an imported package',
      {
        'cmd/app/main.go': importing('example.com/m/assets'),
        'assets/a.go': 'package assets\n\nimport "embed"\n\n//go:embed *.txt\nvar FS embed.FS\n',
      },
    ],
    ['cgo', { 'cmd/app/main.go': 'package main\n\n// #include <stdio.h>\nimport "C"\n\nfunc main() {}\n' }],
    ['GOFLAGS=-modfile', {}, { GOFLAGS: '-trimpath -modfile=alt.mod' }],
    ['-modfile as two build flags', {}, {}, ['-trimpath', '-modfile', 'alt.mod']],
    ['--overlay', {}, {}, ['--overlay=overlay.json']],
    ['GO111MODULE=off', {}, { GO111MODULE: 'off' }],
    ['-modfile set by go env -w', { 'goenv/go/env': 'GOFLAGS=-modfile=alt.mod\n' }, { GOENV: 'GOENV_FILE' }],
    ['a go.mod without a module path', { 'go.mod': 'go 1.22\n' }],
    [
      'a go.mod before go 1.17 (an incomplete require list)',
      { 'go.mod': 'module example.com/m\n\ngo 1.16\n' },
    ],
    ['a Go file whose imports do not parse', { 'cmd/app/main.go': 'package main\n\nimport (\n\t"fmt"\n' }],
    [
      'an import path of the wrong package',
      { 'cmd/app/main.go': MAIN, 'go.mod': 'module example.com/other\n\ngo 1.22\n' },
    ],
  ])('declines %s', async (_name, files, env = {}, flags = [], sub = '') => {
    const root = await tree({ 'go.mod': MOD, 'cmd/app/main.go': MAIN, ...files });
    const fullEnv = {
      ...hermetic,
      ...env,
      ...(env.GOENV === 'GOENV_FILE' ? { GOENV: join(root, 'goenv/go/env') } : {}),
    };
    expect(await staticImageInputs(app(root, join(root, sub)), fullEnv, flags)).toBeUndefined();
  });
});
