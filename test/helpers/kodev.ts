/** Runs the compiled kodev CLI and copies fixtures into temp dirs for tests. */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, execaSync } from 'execa';

/** The repository root. */
export const REPO_ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
/** The compiled CLI. */
export const CLI = join(REPO_ROOT, 'dist/bundle/cli.js');

// Go's caches are pinned to the test process's, so a test that changes HOME
// does not silently rebuild the standard library from scratch.
const GO_DIRS = (() => {
  const [cache = '', modcache = '', gopath = ''] = String(
    execaSync('go', ['env', 'GOCACHE', 'GOMODCACHE', 'GOPATH']).stdout,
  ).split('\n');
  return { GOCACHE: cache, GOMODCACHE: modcache, GOPATH: gopath };
})();

/** What one kodev run printed and how it exited. */
export interface KodevRun {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** The clean environment kodev runs with in tests: PATH, HOME and Go's caches from the test process, plus `env`. */
export function kodevEnv(env: Record<string, string> = {}): Record<string, string> {
  const base: Record<string, string> = {};
  for (const k of [
    'PATH',
    'HOME',
    'GOPATH',
    'GOCACHE',
    'GOMODCACHE',
    'GOROOT',
    'TMPDIR',
    'GOPROXY',
    'GOFLAGS',
  ]) {
    const v = process.env[k];
    if (v !== undefined) base[k] = v;
  }
  return { ...base, ...GO_DIRS, GOTOOLCHAIN: 'local', ...env };
}

/**
 * Runs `kodev ...args` in `cwd` with a clean environment (`kodevEnv`). KO_*
 * and SOURCE_DATE_EPOCH from the outer shell never leak in.
 */
export async function runKodev(
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string>; input?: string },
): Promise<KodevRun> {
  const r = await spawnKodev(args, options);
  return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
}

/** Starts `kodev ...args` like `runKodev` but returns the running process, for tests that signal it. */
export function spawnKodev(
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string>; input?: string },
) {
  return execa(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: kodevEnv(options.env),
    extendEnv: false,
    reject: false,
    stripFinalNewline: false,
    timeout: 300_000,
    ...(options.input !== undefined ? { input: options.input } : {}),
  });
}

/** A fresh temp dir; removed by the returned cleanup. */
export async function tempDir(prefix = 'kodev-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Copies `fixtures/<name>` (symlinks kept as links) into a new temp dir and returns its path. */
export async function copyFixture(name: string, into?: string): Promise<string> {
  const dest = into ?? join(await tempDir(`kodev-${name}-`), name);
  await cp(join(REPO_ROOT, 'fixtures', name), dest, { recursive: true, verbatimSymlinks: true });
  return dest;
}

/** Removes paths, ignoring ones already gone. */
export async function removeAll(...paths: string[]): Promise<void> {
  await Promise.all(paths.map((p) => rm(p, { recursive: true, force: true })));
}
