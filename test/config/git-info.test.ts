import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitTemplateData } from '../../src/config/git-info.js';
import { EMPTY_GIT_INFO } from '../../src/config/template.js';
import { run } from '../../src/system/exec.js';

const IDENTITY = [
  '-c',
  'user.name=kodev test',
  '-c',
  'user.email=test@kodev.invalid',
  '-c',
  'commit.gpgsign=false',
];

let root: string;

async function git(dir: string, ...args: string[]): Promise<string> {
  return (await run('git', [...IDENTITY, ...args], { cwd: dir })).stdout.trim();
}

/** A fresh repository in its own temp dir with one committed file. */
async function repoWithCommit(name: string): Promise<string> {
  const dir = path.join(root, name);
  await run('git', ['init', '-q', '-b', 'trunk', dir]);
  await writeFile(path.join(dir, 'main.go'), 'package main\n');
  await git(dir, 'add', '.');
  await git(dir, 'commit', '-q', '-m', 'first', '--date=2024-05-06T07:08:09Z');
  return dir;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'kodev-git-info-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('gitTemplateData', () => {
  it('clean repo without tags: branch, commits, commit time, v0.0.0 like ko', async () => {
    const dir = await repoWithCommit('clean');
    const full = await git(dir, 'rev-parse', 'HEAD');
    const committed = Number(await git(dir, 'show', '-s', '--format=%ct', 'HEAD'));
    const info = await gitTemplateData(dir);
    expect(info).toEqual({
      branch: 'trunk',
      tag: 'v0.0.0',
      shortCommit: await git(dir, 'rev-parse', '--short', 'HEAD'),
      fullCommit: full,
      commitDate: new Date(committed * 1000),
      dirty: false,
    });
    expect(full).toMatch(/^[0-9a-f]{40}$/);
  });

  it('tagged repo with an uncommitted change: tag and dirty', async () => {
    const dir = await repoWithCommit('dirty');
    await git(dir, 'tag', 'v1.4.0');
    await writeFile(path.join(dir, 'main.go'), 'package main // changed\n');
    const info = await gitTemplateData(dir);
    expect(info.tag).toBe('v1.4.0');
    expect(info.dirty).toBe(true);
  });

  it('subdirectory of a repo reports the repo', async () => {
    const dir = await repoWithCommit('nested');
    const sub = path.join(dir, 'cmd');
    await mkdir(sub);
    expect((await gitTemplateData(sub)).branch).toBe('trunk');
  });

  it('repo without commits: empty like ko', async () => {
    const dir = path.join(root, 'empty-repo');
    await run('git', ['init', '-q', dir]);
    expect(await gitTemplateData(dir)).toEqual(EMPTY_GIT_INFO);
  });

  it('directory outside any repo: empty fields', async () => {
    // tmpdir itself is not inside a repository on CI machines; use a fresh dir under it.
    const dir = await mkdtemp(path.join(tmpdir(), 'kodev-no-git-'));
    try {
      expect(await gitTemplateData(dir)).toEqual(EMPTY_GIT_INFO);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
