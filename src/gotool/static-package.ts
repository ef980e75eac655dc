/**
 * Locates a main package from go.mod and the package clauses of its files,
 * without running `go list` (about 0.1 s a package). It answers only the
 * plain case, a package of the one module go.mod declares, and returns
 * undefined for anything else (workspaces, -modfile, no go.mod, files that
 * disagree or are not `package main`), where `go list` decides as before.
 */
import { open, readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** What the static lookup found. */
export interface StaticPackage {
  importPath: string;
  dir: string;
  modulePath: string;
  moduleDir: string;
}

/** Looks up a local directory (`lookupDir`) or an import path resolved from `cwd`. */
export async function resolveStatically(
  target: { dir: string } | { importPath: string; cwd: string },
  env: Readonly<Record<string, string | undefined>>,
): Promise<StaticPackage | undefined> {
  if (/(^|\s)-modfile[=\s]/.test(env.GOFLAGS ?? '')) return undefined;
  const start = 'dir' in target ? target.dir : target.cwd;
  const mod = await findModule(start);
  if (!mod) return undefined;
  if (await findWorkFile(start, env.GOWORK)) return undefined;
  let dir: string;
  let importPath: string;
  if ('dir' in target) {
    dir = target.dir;
    const rel = relative(mod.dir, dir);
    if (rel.startsWith('..')) return undefined;
    importPath = rel === '' ? mod.path : `${mod.path}/${rel.split(sep).join('/')}`;
  } else {
    importPath = target.importPath;
    if (importPath !== mod.path && !importPath.startsWith(`${mod.path}/`)) return undefined;
    dir = join(mod.dir, ...importPath.slice(mod.path.length).split('/').filter(Boolean));
    // A nested module owns the directory: go list knows which.
    const owner = await findModule(dir);
    if (!owner || owner.dir !== mod.dir) return undefined;
  }
  // go ignores directories named testdata or vendor, or starting with . or _.
  const parts = relative(mod.dir, dir).split(sep).filter(Boolean);
  if (parts.some((p) => p === 'testdata' || p === 'vendor' || p.startsWith('.') || p.startsWith('_')))
    return undefined;
  if (!(await isMainPackage(dir))) return undefined;
  return { importPath, dir, modulePath: mod.path, moduleDir: mod.dir };
}

/** The `module` path of the nearest go.mod at or above `dir`. */
async function findModule(dir: string): Promise<{ dir: string; path: string } | undefined> {
  const file = await findUp(dir, 'go.mod');
  if (!file) return undefined;
  const path = modulePath(await readFile(file, 'utf8'));
  return path ? { dir: dirname(file), path } : undefined;
}

/** Reads the module directive of a go.mod (`module x`, `module "x"`, with comments). */
export function modulePath(goMod: string): string | undefined {
  for (const raw of goMod.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    const m = /^module\s+(?:"([^"]+)"|`([^`]+)`|(\S+))$/.exec(line);
    if (m) return m[1] ?? m[2] ?? m[3];
  }
  return undefined;
}

/**
 * The go.work that applies to a module at `dir`: GOWORK's file when it is set
 * (none for `off`), else the first go.work at or above `dir`.
 */
export async function findWorkFile(dir: string, gowork: string | undefined): Promise<string | undefined> {
  if (gowork === 'off') return undefined;
  if (gowork) return resolve(dir, gowork);
  return findUp(dir, 'go.work');
}

async function findUp(dir: string, name: string): Promise<string | undefined> {
  for (let d = resolve(dir); ; d = dirname(d)) {
    const file = join(d, name);
    if (await readable(file)) return file;
    if (dirname(d) === d) return undefined;
  }
}

async function readable(file: string): Promise<boolean> {
  try {
    await (await open(file, 'r')).close();
    return true;
  } catch {
    return false;
  }
}

/** Every non-test .go file in `dir` says `package main` (and there is at least one). */
async function isMainPackage(dir: string): Promise<boolean> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.go') && !n.endsWith('_test.go'));
  } catch {
    return false;
  }
  if (names.length === 0) return false;
  const clauses = await Promise.all(
    names.map(async (n) => packageClause(await readFile(join(dir, n), 'utf8'))),
  );
  return clauses.every((c) => c === 'main');
}

/** The package name of a Go source file: the first `package` clause outside comments. */
export function packageClause(source: string): string | undefined {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, '');
  return /(?:^|\n)\s*package\s+([\p{L}_][\p{L}\p{N}_]*)/u.exec(text)?.[1];
}
