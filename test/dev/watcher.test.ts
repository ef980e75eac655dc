/** The watcher on a real temp tree: bursts coalesce into one batch, ignores drop editor and VCS noise. */
import { writeFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FileChange, ignoreMatcher, startWatcher, type Watcher } from '../../src/dev/watcher.js';
import { removeAll, tempDir } from '../helpers/kodev.js';

let dir: string;
let watcher: Watcher | undefined;
let batches: FileChange[][];

beforeEach(async () => {
  dir = await tempDir('kodev-watch-');
  await mkdir(join(dir, 'pkg'), { recursive: true });
  await mkdir(join(dir, '.git'), { recursive: true });
  batches = [];
});
afterEach(async () => {
  await watcher?.close();
  await removeAll(dir);
});

async function watch(ignore: string[] = []): Promise<void> {
  watcher = startWatcher({
    roots: [dir],
    ignore,
    quietMs: 50,
    onBatch: (b) => batches.push(b),
    onError: (e) => {
      throw e;
    },
  });
  await watcher.ready;
}

async function settle(ms = 600): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

describe('startWatcher', () => {
  it('turns 100 saves of one file in a burst into one batch with one change', async () => {
    await writeFile(join(dir, 'pkg/a.go'), 'package pkg\n');
    await watch();
    for (let i = 0; i < 100; i++) writeFileSync(join(dir, 'pkg/a.go'), `package pkg\n// ${i}\n`);
    await settle();
    expect(batches).toEqual([[{ path: join(dir, 'pkg/a.go'), kind: 'change' }]]);
  });

  it('reports a new file as added even when it is written again in the same batch', async () => {
    await watch();
    writeFileSync(join(dir, 'pkg/new.go'), 'package pkg\n');
    writeFileSync(join(dir, 'pkg/new.go'), 'package pkg\n\nconst X = 1\n');
    await settle();
    expect(batches.flat()).toEqual([{ path: join(dir, 'pkg/new.go'), kind: 'add' }]);
  });

  it('ignores .git, editor swap files and configured globs', async () => {
    await watch(['**/testdata/**']);
    await mkdir(join(dir, 'pkg/testdata'), { recursive: true });
    writeFileSync(join(dir, '.git/index'), 'x');
    writeFileSync(join(dir, 'pkg/.a.go.swp'), 'x');
    writeFileSync(join(dir, 'pkg/a.go~'), 'x');
    writeFileSync(join(dir, 'pkg/testdata/in.txt'), 'x');
    writeFileSync(join(dir, 'pkg/real.go'), 'package pkg\n');
    await settle();
    expect(batches.flat().filter((c) => c.kind !== 'addDir')).toEqual([
      { path: join(dir, 'pkg/real.go'), kind: 'add' },
    ]);
  });

  it('reports deletions', async () => {
    await writeFile(join(dir, 'pkg/gone.go'), 'package pkg\n');
    await watch();
    await rm(join(dir, 'pkg/gone.go'));
    await settle();
    expect(batches.flat()).toEqual([{ path: join(dir, 'pkg/gone.go'), kind: 'unlink' }]);
  });
});

describe('ignoreMatcher', () => {
  const m = ignoreMatcher(['/w'], ['**/*.tmp']);
  const cases: [string, boolean][] = [
    ['/w/.git/HEAD', true],
    ['/w/node_modules/x/index.js', true],
    ['/w/a/.main.go.swp', true],
    ['/w/a/b.tmp', true],
    ['/w/a/main.go', false],
    ['/elsewhere/.git/HEAD', false],
  ];
  for (const [path, ignored] of cases)
    it(`${path} is ${ignored ? '' : 'not '}ignored`, () => expect(m(path)).toBe(ignored));
});
