import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { modulePath, packageClause, resolveStatically } from '../../src/gotool/static-package.js';
import { tempTrees } from '../helpers/temp-tree.js';
import { REPO_ROOT } from '../helpers/kodev.js';

describe('modulePath', () => {
  it.each([
    ['a plain directive', 'module example.com/m\n\ngo 1.22\n', 'example.com/m'],
    ['a quoted path', 'module "example.com/q"\n', 'example.com/q'],
    ['a comment after it', 'module example.com/c // the module\n', 'example.com/c'],
    ['comments before it', '// Deprecated: use v2\nmodule example.com/d\n', 'example.com/d'],
    ['no directive', 'go 1.22\n', undefined],
  ])('%s', (_name, text, expected) => {
    expect(modulePath(text)).toBe(expected);
  });
});

describe('packageClause', () => {
  it.each([
    [
      'after a license comment and a build constraint',
      '/* License */\n//go:build linux\n\npackage main\n',
      'main',
    ],
    ['a library', '// Package x does y.\npackage x\n\nfunc F() {}\n', 'x'],
    ['package mentioned in a comment first', '// this package main is not it\npackage lib\n', 'lib'],
    ['no clause', 'func main() {}\n', undefined],
  ])('%s', (_name, text, expected) => {
    expect(packageClause(text)).toBe(expected);
  });
});

const tree = tempTrees('kodev-static-');

const MAIN = 'package main\n\nfunc main() {}\n';
let root: string;
beforeAll(async () => {
  root = await tree({
    'go.mod': 'module example.com/s\n\ngo 1.22\n',
    'cmd/app/main.go': MAIN,
    'cmd/app/main_test.go': 'package main_test\n',
    'cmd/gen/gen.go': '//go:build ignore\n\npackage gen\n',
    'cmd/gen/main.go': MAIN,
    'lib/lib.go': 'package lib\n',
    'nested/go.mod': 'module example.com/nested\n\ngo 1.22\n',
    'nested/cmd/n/main.go': MAIN,
    'testdata/cmd/t/main.go': MAIN,
    'empty/README.md': '# nothing\n',
    'work/go.mod': 'module example.com/w\n\ngo 1.22\n',
    'work/go.work': 'go 1.22\n\nuse .\n',
    'work/cmd/w/main.go': MAIN,
  });
});

describe('resolveStatically', () => {
  it.each<
    [string, () => Parameters<typeof resolveStatically>[0], Record<string, string>, string | undefined]
  >([
    ['a local directory', () => ({ dir: join(root, 'cmd/app') }), {}, 'example.com/s/cmd/app'],
    [
      'an import path of the module',
      () => ({ importPath: 'example.com/s/cmd/app', cwd: root }),
      {},
      'example.com/s/cmd/app',
    ],
    ['a library is left to go list', () => ({ dir: join(root, 'lib') }), {}, undefined],
    [
      'files that disagree (a //go:build ignore generator) are left to go list',
      () => ({ dir: join(root, 'cmd/gen') }),
      {},
      undefined,
    ],
    [
      'a nested module by directory is its own module',
      () => ({ dir: join(root, 'nested/cmd/n') }),
      {},
      'example.com/nested/cmd/n',
    ],
    [
      'a nested module by the outer import path is left to go list',
      () => ({ importPath: 'example.com/s/nested/cmd/n', cwd: root }),
      {},
      undefined,
    ],
    ['testdata is left to go list', () => ({ dir: join(root, 'testdata/cmd/t') }), {}, undefined],
    ['a directory without Go files', () => ({ dir: join(root, 'empty') }), {}, undefined],
    [
      'an import path of another module',
      () => ({ importPath: 'example.com/other/cmd/x', cwd: root }),
      {},
      undefined,
    ],
    ['a workspace is left to go list', () => ({ dir: join(root, 'work/cmd/w') }), {}, undefined],
    [
      'GOWORK=off ignores the workspace',
      () => ({ dir: join(root, 'work/cmd/w') }),
      { GOWORK: 'off' },
      'example.com/w/cmd/w',
    ],
    [
      '-modfile in GOFLAGS is left to go list',
      () => ({ dir: join(root, 'cmd/app') }),
      { GOFLAGS: '-modfile=alt.mod' },
      undefined,
    ],
  ])('%s', async (_name, target, env, expected) => {
    const found = await resolveStatically(target(), env);
    expect(found?.importPath).toBe(expected);
  });

  it('agrees with go list on every main package of the fixtures', async () => {
    const modules = ['example', 'k8s-app', 'deps', 'multimod/services/api', 'multimod/services/web'];
    let compared = 0;
    for (const m of modules) {
      const dir = join(REPO_ROOT, 'fixtures', m);
      const { stdout } = await execa(
        'go',
        ['list', '-f', '{{.Name}} {{.ImportPath}} {{.Dir}} {{.Module.Path}} {{.Module.Dir}}', './...'],
        {
          cwd: dir,
          env: { GOWORK: 'off', GOFLAGS: '' },
        },
      );
      for (const line of stdout.trim().split('\n')) {
        const [name, importPath, pkgDir, modPath, modDir] = line.split(' ');
        if (name !== 'main') continue;
        const byDir = await resolveStatically({ dir: pkgDir as string }, { GOWORK: 'off' });
        const byPath = await resolveStatically(
          { importPath: importPath as string, cwd: dir },
          { GOWORK: 'off' },
        );
        const want = { importPath, dir: pkgDir, modulePath: modPath, moduleDir: modDir };
        expect(byDir).toEqual(want);
        expect(byPath).toEqual(want);
        compared++;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(6);
  });
});
