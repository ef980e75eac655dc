/**
 * What a main package's build reads, found without running `go list -deps`
 * (0.2-0.8 s of CPU a package): the import clauses of its files are followed
 * through the main module, ignoring build constraints, so the answer is a
 * superset of `loadImageInputs`' (every source file of every local package the
 * build can reach, whatever the platform or tags). It answers only the plain
 * case and returns undefined wherever it could miss something, and the caller
 * falls back to go list: GOPATH mode, -modfile/-overlay/-C, a workspace,
 * vendoring, directory replacements, //go:embed, cgo, a go.mod older than
 * go 1.17 (its require list may lack modules that provide packages), a required
 * module whose go.mod is not in the module cache or requires the main module
 * back (its packages may import ours), or a Go file whose imports do not parse.
 */
import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { homedir, platform } from 'node:os';
import { delimiter, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { type ImageInputs, SOURCE_EXTS } from '../dev/graph.js';
import { isDirectory } from '../system/files.js';
import { findWorkFile, modulePath } from './static-package.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Flags that make go read another go.mod, other file contents, or run in another directory. */
const UNSUPPORTED_FLAG = /^--?(?:modfile|overlay|C)(?:=|$)/;

/** `loadImageInputs` for the plain case, from the files alone; `env` is the full environment go build runs with. */
export async function staticImageInputs(
  pkg: { importPath: string; moduleDir: string; dir: string },
  env: Env,
  buildFlags: readonly string[],
): Promise<ImageInputs | undefined> {
  try {
    return await walk(pkg, await goEnv(env), buildFlags);
  } catch {
    return undefined;
  }
}

async function walk(
  pkg: { importPath: string; moduleDir: string; dir: string },
  env: Env,
  buildFlags: readonly string[],
): Promise<ImageInputs | undefined> {
  if (env.GO111MODULE === 'off') return undefined;
  const flags = [...(env.GOFLAGS ?? '').split(/\s+/), ...buildFlags];
  if (flags.some((f) => UNSUPPORTED_FLAG.test(f.replace(/^['"]/, '')))) return undefined;
  const moduleDir = resolve(pkg.moduleDir);
  if (await findWorkFile(moduleDir, env.GOWORK)) return undefined;
  if (await exists(join(moduleDir, 'vendor'))) return undefined;
  const goMod = await readFile(join(moduleDir, 'go.mod'), 'utf8').catch(() => '');
  const modPath = modulePath(goMod);
  if (!modPath || !(await dependenciesAreOneWay(goMod, modPath, env))) return undefined;
  // The package must be the directory of the import path in this module.
  const rel = relative(moduleDir, resolve(pkg.dir));
  if (rel.startsWith('..') || isAbsolute(rel)) return undefined;
  if (pkg.importPath !== (rel ? `${modPath}/${rel.split(sep).join('/')}` : modPath)) return undefined;
  if (!(await stat(pkg.dir)).isDirectory()) return undefined;

  const files = new Set<string>();
  const packages: Record<string, string> = { [resolve(pkg.dir)]: pkg.importPath };
  for (let queue = [resolve(pkg.dir)]; queue.length > 0;) {
    const scanned = await Promise.all(queue.map((dir) => scanPackage(dir)));
    queue = [];
    for (const found of scanned) {
      if (!found) return undefined;
      for (const f of found.files) files.add(f);
      for (const path of found.imports) {
        if (path !== modPath && !path.startsWith(`${modPath}/`)) continue;
        const parts = path.slice(modPath.length + 1).split('/');
        if (path !== modPath && parts.some((p) => p === '' || p === '.' || p === '..')) return undefined;
        const dir = join(moduleDir, ...parts);
        if (dir in packages) continue;
        packages[dir] = path;
        queue.push(dir);
      }
    }
  }
  return {
    importPath: pkg.importPath,
    moduleDir: pkg.moduleDir,
    files: sorted(files),
    packageDirs: sorted(Object.keys(packages)),
    embedDirs: [],
    moduleFiles: sorted([join(moduleDir, 'go.mod'), join(moduleDir, 'go.sum')]),
    kodataDir: join(pkg.dir, 'kodata'),
    packages,
  };
}

/** The source files of a package directory (none if it does not exist) and the imports of its Go files; undefined for //go:embed, cgo or an unparsable file. */
async function scanPackage(dir: string): Promise<{ files: string[]; imports: string[] } | undefined> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { files: [], imports: [] };
    throw err;
  }
  const files: string[] = [];
  for (const e of entries) {
    // go ignores names starting with . or _, directories, and symlinks to directories.
    if (/^[._]/.test(e.name) || e.name.endsWith('_test.go') || !SOURCE_EXTS.has(extname(e.name))) continue;
    if (e.isDirectory() || (e.isSymbolicLink() && (await isDirectory(join(dir, e.name))))) continue;
    files.push(join(dir, e.name));
  }
  const imports: string[] = [];
  for (const file of files.filter((f) => f.endsWith('.go'))) {
    const source = await readFile(file, 'utf8');
    if (source.includes('//go:embed')) return undefined;
    const found = goImports(source);
    if (!found || found.includes('C')) return undefined;
    imports.push(...found);
  }
  return { files, imports };
}

/** The import paths of a Go file: the import declarations after the package clause. Undefined when that header does not parse. */
export function goImports(source: string): string[] | undefined {
  // One token per call: comments and white space skipped, string literals whole.
  const re = /\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/|("(?:[^"\\\n]|\\.)*"|`[^`]*`|[\p{L}_][\p{L}\p{N}_]*|[^])/uy;
  const next = (): string | undefined => {
    // Only the end of the source fails to match (and would reset lastIndex to 0).
    while (re.lastIndex < source.length) {
      const m = re.exec(source);
      if (!m) break;
      if (m[1] !== undefined) return m[1];
    }
    return undefined;
  };
  const isName = (t: string | undefined) => t !== undefined && /^[\p{L}_][\p{L}\p{N}_]*$/u.test(t);
  // ImportSpec = [ "." | name ] path
  const spec = (t: string | undefined) => unquote(t === '.' || isName(t) ? next() : t);
  const afterSemicolon = (t: string | undefined) => (t === ';' ? next() : t);

  if (next() !== 'package' || !isName(next())) return undefined;
  const imports: string[] = [];
  const add = (t: string | undefined) => {
    const path = spec(t);
    if (path !== undefined) imports.push(path);
    return path !== undefined;
  };
  let t = afterSemicolon(next());
  for (; t === 'import'; t = afterSemicolon(next())) {
    t = next();
    if (t !== '(') {
      if (!add(t)) return undefined;
      continue;
    }
    for (t = next(); t !== ')'; t = next()) if (t !== ';' && !add(t)) return undefined;
  }
  // Anything but a declaration (or the end) here means the header was not understood.
  return t === undefined || ['func', 'type', 'var', 'const'].includes(t) ? imports : undefined;
}

function unquote(literal: string | undefined): string | undefined {
  if (!literal || literal.length < 2) return undefined;
  if (literal.startsWith('`') && literal.endsWith('`')) return literal.slice(1, -1);
  if (!literal.startsWith('"') || !literal.endsWith('"')) return undefined;
  try {
    return JSON.parse(literal) as string;
  } catch {
    return undefined;
  }
}

/**
 * Whether every module that can provide a package is listed in go.mod (go >= 1.17), none is a
 * directory replacement, and none requires the main module back: a module that does may import
 * our packages, which the walk (it stops at the main module's edge) would miss. Read from the
 * required modules' (or their replacements') go.mod files in the module cache; false when one is not there.
 */
async function dependenciesAreOneWay(goMod: string, modPath: string, env: Env): Promise<boolean> {
  let goVersion = '';
  const required: string[][] = [];
  // `path` or `path@version` -> [path, version] of the replacement.
  const replaced = new Map<string, string[]>();
  for (const { verb, args } of goModDirectives(goMod)) {
    if (verb === 'go') goVersion = args[0] ?? '';
    else if (verb === 'require') required.push(args);
    else if (verb === 'replace') {
      const arrow = args.indexOf('=>');
      const [target, version] = args.slice(arrow + 1);
      // A replacement without a version is a directory.
      if (arrow < 1 || !target || !version || isDirectoryPath(target)) return false;
      replaced.set(args.slice(0, arrow).join('@'), [target, version]);
    }
  }
  const [major = NaN, minor = NaN] = goVersion.split('.').map((n) => parseInt(n, 10));
  if (!(major > 1 || (major === 1 && minor >= 17))) return false;
  const gopath = env.GOPATH?.split(delimiter)[0] || join(env.HOME || homedir(), 'go');
  const cache = join(env.GOMODCACHE || join(gopath, 'pkg', 'mod'), 'cache', 'download');
  const escape = (s: string) => s.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);
  const modules = required.map(
    ([path = '', version = '']) =>
      replaced.get(`${path}@${version}`) ?? replaced.get(path) ?? [path, version],
  );
  const mods = await Promise.all(
    modules.map(([path = '', version = '']) =>
      readFile(join(cache, escape(path), '@v', `${escape(version)}.mod`), 'utf8').catch(() => undefined),
    ),
  );
  return mods.every(
    (m) => m !== undefined && !goModDirectives(m).some((d) => d.verb === 'require' && d.args[0] === modPath),
  );
}

/** The directives of a go.mod, block ones (`require ( ... )`) one per line, comments dropped and quotes removed. */
function goModDirectives(goMod: string): { verb: string; args: string[] }[] {
  const out: { verb: string; args: string[] }[] = [];
  let block: string | undefined;
  for (const raw of goMod.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    const words = line
      .split(/\s+/)
      .filter(Boolean)
      .map((w) => w.replace(/^["`]|["`]$/g, ''));
    const open = /^(\w+)\s*\($/.exec(line);
    if (words.length === 0) continue;
    if (block !== undefined) {
      if (line === ')') block = undefined;
      else out.push({ verb: block, args: words });
    } else if (open) block = open[1];
    else out.push({ verb: words[0] as string, args: words.slice(1) });
  }
  return out;
}

/** modfile.IsDirectoryPath: a replacement target that is a file system path, in Unix or Windows syntax. */
function isDirectoryPath(target: string): boolean {
  return /^(?:\.\.?(?:$|[/\\])|[/\\]|[A-Za-z]:)/.test(target);
}

/** `env` over the go env file (`go env -w`), which go reads for variables unset or empty in the environment. */
/** The file `go env -w` writes and go reads (GOENV, else the OS's config dir); undefined for GOENV=off. */
export function goEnvFile(env: Env): string | undefined {
  const home = env.HOME || homedir();
  const os = platform();
  const configDir =
    os === 'win32'
      ? env.APPDATA
      : os === 'darwin'
        ? join(home, 'Library', 'Application Support')
        : env.XDG_CONFIG_HOME || join(home, '.config');
  const file = env.GOENV || (configDir && join(configDir, 'go', 'env'));
  return file && file !== 'off' ? file : undefined;
}

async function goEnv(env: Env): Promise<Env> {
  const file = goEnvFile(env);
  const text = file ? await readFile(file, 'utf8').catch(() => '') : '';
  const merged: Record<string, string | undefined> = {};
  for (const m of text.matchAll(/^\s*([A-Z0-9_]+)=(.*)$/gm)) merged[m[1] as string] = (m[2] as string).trim();
  for (const [k, v] of Object.entries(env)) if (v) merged[k] = v;
  return merged;
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

function sorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
