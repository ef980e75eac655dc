/**
 * The dev loop's dependency graph: which local files each image's binary is
 * built from (one `go list -deps` per image, with the image's platform so
 * build constraints match), and which images a batch of file changes affects.
 */
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { ExternalCommandError, UserError } from '../errors.js';
import { type GoTool, parseJsonStream } from '../gotool/go.js';
import { run } from '../system/exec.js';
import { isFile } from '../system/files.js';
import { findWorkFile } from '../gotool/static-package.js';
import type { FileChange } from './watcher.js';

/** What one image's binary is built from. All paths absolute. */
export interface ImageInputs {
  /** The main package. */
  importPath: string;
  /** Where go build runs. */
  moduleDir: string;
  /** Source files of every package in the build that lives in a main module or a local (directory-replaced, go.work or vendored) module: every file kind go build reads, embedded files included, test files not. Sorted, unique. */
  files: string[];
  /** Directories of those packages (a new or deleted source file there may change the package). */
  packageDirs: string[];
  /** Directories under which a //go:embed pattern of those packages can match a new file: the package directory joined with the literal leading directories of the pattern (`static/*` -> <dir>/static). */
  embedDirs: string[];
  /** go.mod/go.sum of every local module involved, every go.work module's go.mod/go.sum, go.work and go.work.sum, vendor/modules.txt (only those that exist). */
  moduleFiles: string[];
  /** <package dir>/kodata of the main package (may not exist). */
  kodataDir: string;
  /** Package directory -> import path, for explaining a rebuild (absent in hand-built inputs). */
  packages?: Record<string, string>;
}

interface ListedPackage {
  ImportPath: string;
  Dir?: string;
  Standard?: boolean;
  Module?: { Main?: boolean; Dir?: string; GoMod?: string; Replace?: { Version?: string } };
  EmbedPatterns?: string[];
  Error?: { Err: string };
}

const FILE_FIELDS = [
  'GoFiles',
  'CgoFiles',
  'CFiles',
  'CXXFiles',
  'MFiles',
  'HFiles',
  'FFiles',
  'SFiles',
  'SwigFiles',
  'SwigCXXFiles',
  'SysoFiles',
  'EmbedFiles',
  // Files with parse errors are still part of the package; listing them keeps a broken edit watched.
  'InvalidGoFiles',
] as const;
const LIST_FIELDS = ['ImportPath', 'Dir', 'Standard', 'Module', 'EmbedPatterns', 'Error', ...FILE_FIELDS];

/** Extensions go build treats as package sources when they sit in a package directory. */
export const SOURCE_EXTS: ReadonlySet<string> = new Set([
  '.go',
  '.c',
  '.h',
  '.s',
  '.S',
  '.cc',
  '.cpp',
  '.cxx',
  '.hh',
  '.hpp',
  '.m',
  '.f',
  '.syso',
  '.swig',
]);

/** Runs ONE `go list -e -deps -json=<fields> <importPath>` in moduleDir with `env` over the tool's environment (the image's GOOS/GOARCH/CGO_ENABLED/GOFLAGS incl. -tags), so build constraints are those of the image's platform. Packages with errors still count (a file mid-edit stays watched); throws UserError naming the import path when go list fails or cannot find the main package. */
export async function loadImageInputs(
  go: GoTool,
  pkg: { importPath: string; moduleDir: string; dir: string },
  env: Record<string, string | undefined>,
  signal?: AbortSignal,
): Promise<ImageInputs> {
  const fullEnv = { ...go.env, ...env };
  const args = ['list', '-e', '-deps', `-json=${LIST_FIELDS.join(',')}`, pkg.importPath];
  let stdout: string;
  try {
    ({ stdout } = await run(go.bin, args, {
      cwd: pkg.moduleDir,
      env: fullEnv,
      signal,
      notFound: {
        message: `no Go toolchain found: ${JSON.stringify(go.bin)} could not be run`,
        hint: 'install Go (https://go.dev/dl) and put it on PATH, or set KO_GO_PATH to the go binary',
      },
    }));
  } catch (err) {
    if (!(err instanceof ExternalCommandError)) throw err;
    throw new UserError(`go list failed for ${pkg.importPath}`, {
      hint: `run \`go list -deps ${pkg.importPath}\` in ${pkg.moduleDir} to see the problem`,
      details: err.output.trim(),
      cause: err,
    });
  }
  const listed = parseJsonStream<ListedPackage & Partial<Record<(typeof FILE_FIELDS)[number], string[]>>>(
    stdout,
  );
  // -deps prints dependencies first, so the named package comes last.
  const root = listed.at(-1);
  if (!root?.Dir) {
    throw new UserError(`go list found no package ${pkg.importPath}`, {
      hint: `check that ${pkg.importPath} exists in the module at ${pkg.moduleDir}`,
      details: root?.Error?.Err.trim(),
    });
  }
  const files = new Set<string>();
  const packageDirs = new Set<string>();
  const packages: Record<string, string> = {};
  const embedDirs = new Set<string>();
  const moduleDirs = new Set<string>();
  let vendored = false;
  for (const p of listed) {
    const m = p.Module;
    if (p.Standard || !p.Dir || !m) continue;
    const directoryReplace = m.Replace !== undefined && !m.Replace.Version;
    // Without Module.Dir the package comes from vendor/, which is local source too.
    if (!m.Main && !directoryReplace && m.Dir) continue;
    if (!m.Dir) vendored = true;
    else moduleDirs.add(m.GoMod ? dirname(m.GoMod) : m.Dir);
    packageDirs.add(p.Dir);
    packages[p.Dir] = p.ImportPath;
    for (const field of FILE_FIELDS) for (const f of p[field] ?? []) files.add(join(p.Dir, f));
    for (const pattern of p.EmbedPatterns ?? []) embedDirs.add(join(p.Dir, embedRoot(pattern)));
  }
  const candidates = new Set<string>();
  const work = await findWorkFile(pkg.moduleDir, fullEnv.GOWORK);
  if (work) {
    candidates.add(work).add(`${work}.sum`);
    for (const dir of await workUses(work)) moduleDirs.add(dir);
  }
  for (const dir of moduleDirs) candidates.add(join(dir, 'go.mod')).add(join(dir, 'go.sum'));
  if (vendored) candidates.add(join(pkg.moduleDir, 'vendor', 'modules.txt'));
  const exists = await Promise.all([...candidates].map((f) => isFile(f)));
  return {
    importPath: pkg.importPath,
    moduleDir: pkg.moduleDir,
    files: sorted(files),
    packageDirs: sorted(packageDirs),
    embedDirs: sorted(embedDirs),
    moduleFiles: sorted([...candidates].filter((_, i) => exists[i])),
    kodataDir: join(pkg.dir, 'kodata'),
    packages,
  };
}

/**
 * Why changed files affect an image, in a person's terms: the import paths of
 * the packages they belong to, `kodata` for files under the main package's
 * kodata, the file name for module files (`go.mod`), the path otherwise.
 */
export function explainChanges(inputs: ImageInputs, files: readonly string[]): string[] {
  const out = new Set<string>();
  for (const file of files) {
    const path = resolve(file);
    const pkg = inputs.packages?.[dirname(path)];
    if (pkg) out.add(pkg);
    else if (path === inputs.kodataDir || path.startsWith(`${inputs.kodataDir}${sep}`)) out.add('kodata');
    else if (inputs.moduleFiles.includes(path) || /\/go\.(mod|sum|work)(\.sum)?$/.test(path))
      out.add(path.slice(path.lastIndexOf(sep) + 1));
    else {
      // An embedded file or an extra watch path: name the innermost package that contains it.
      const owner = Object.keys(inputs.packages ?? {})
        .filter((d) => path.startsWith(`${d}${sep}`))
        .sort((a, b) => b.length - a.length)[0];
      out.add(owner ? `${inputs.packages?.[owner]} (embedded)` : path);
    }
  }
  return [...out];
}

/** What a batch of changes means for the images. */
export interface Impact {
  /** Images to rebuild, with the paths that affect each. */
  images: Map<string, string[]>;
  /** Images whose ImageInputs must be reloaded before hashing (go.mod/go.sum/go.work changed, a source file was added/removed in a package dir, a file appeared under an embed dir, a package dir vanished). */
  reload: Set<string>;
  /** Paths that affect nothing (tests, files excluded by build constraints, unrelated files). */
  ignored: string[];
}

/** Maps changes to the images they affect (keys of `inputs`). A path in `files` -> rebuild; a module file (or a go.mod/go.sum/go.work appearing next to one) -> rebuild + reload; anything under `kodataDir` -> rebuild; add/unlink of a non-test source file directly in a package dir, any add/unlink under an embed dir, unlinkDir of a package dir or an ancestor -> rebuild + reload; `_test.go` files never count for the Go rules; `change` of a file not in `files` (excluded by build tags) is ignored. `extraWatch` maps image keys to extra absolute files or directories (from config) whose changes rebuild it. */
export function impactOf(
  inputs: ReadonlyMap<string, ImageInputs>,
  changes: readonly FileChange[],
  extraWatch?: ReadonlyMap<string, readonly string[]>,
): Impact {
  const byFile = new Map<string, string[]>();
  const byModuleFile = new Map<string, string[]>();
  const byPackageDir = new Map<string, string[]>();
  const add = (index: Map<string, string[]>, key: string, image: string) => {
    const list = index.get(key);
    if (!list) index.set(key, [image]);
    else if (!list.includes(image)) list.push(image);
  };
  const embeds: [string, string][] = [];
  const kodata: [string, string][] = [];
  const extra: [string, string][] = [];
  for (const [image, i] of inputs) {
    for (const f of i.files) add(byFile, f, image);
    for (const d of i.packageDirs) add(byPackageDir, d, image);
    // A go.sum or go.work that did not exist at load time matters once it appears.
    for (const d of new Set([i.moduleDir, ...i.moduleFiles.map((f) => dirname(f))])) {
      for (const name of ['go.mod', 'go.sum', 'go.work', 'go.work.sum'])
        add(byModuleFile, join(d, name), image);
    }
    for (const f of i.moduleFiles) add(byModuleFile, f, image);
    for (const d of i.embedDirs) embeds.push([d, image]);
    kodata.push([i.kodataDir, image]);
  }
  for (const [image, paths] of extraWatch ?? []) for (const p of paths) extra.push([resolve(p), image]);

  const impact: Impact = { images: new Map(), reload: new Set(), ignored: [] };
  for (const change of changes) {
    const path = resolve(change.path);
    const hits = new Map<string, boolean>();
    const hit = (image: string, reload: boolean) => hits.set(image, reload || (hits.get(image) ?? false));
    const { kind } = change;
    const isFile = kind === 'add' || kind === 'change' || kind === 'unlink';
    if (!path.endsWith('_test.go')) {
      for (const image of byFile.get(path) ?? []) hit(image, kind === 'unlink' || kind === 'add');
      if (isFile) for (const image of byModuleFile.get(path) ?? []) hit(image, true);
      if ((kind === 'add' || kind === 'unlink') && SOURCE_EXTS.has(extname(path))) {
        for (const image of byPackageDir.get(dirname(path)) ?? []) hit(image, true);
      }
      if (kind !== 'change') for (const [dir, image] of embeds) if (isWithin(path, dir)) hit(image, true);
      if (kind === 'unlinkDir') {
        for (const [dir, images] of byPackageDir)
          if (isWithin(dir, path)) for (const im of images) hit(im, true);
      }
    }
    for (const [dir, image] of kodata) if (isWithin(path, dir)) hit(image, false);
    for (const [p, image] of extra) if (isWithin(path, p)) hit(image, false);

    if (hits.size === 0) impact.ignored.push(change.path);
    for (const [image, reload] of hits) {
      const paths = impact.images.get(image) ?? [];
      if (!paths.includes(change.path)) paths.push(change.path);
      impact.images.set(image, paths);
      if (reload) impact.reload.add(image);
    }
  }
  return impact;
}

/** The directories to watch: every moduleDir plus every local module dir and the workspace dir, deduplicated with nested ones dropped. */
export function watchRoots(inputs: Iterable<ImageInputs>): string[] {
  const dirs = new Set<string>();
  for (const i of inputs) {
    dirs.add(resolve(i.moduleDir));
    for (const f of i.moduleFiles) dirs.add(dirname(f));
  }
  const out: string[] = [];
  // Sorted, a parent comes before its children, so one pass drops the nested ones.
  for (const d of sorted(dirs)) if (!out.some((root) => isWithin(d, root))) out.push(d);
  return out;
}

/** The directory below the package dir that an embed pattern can match in: its literal leading directories. */
function embedRoot(pattern: string): string {
  const parts = pattern.replace(/^all:/, '').split('/').slice(0, -1);
  const literal = [];
  for (const part of parts) {
    if (/[*?[\\]/.test(part)) break;
    literal.push(part);
  }
  return literal.join('/');
}

/** The module directories a go.work file `use`s. */
async function workUses(work: string): Promise<string[]> {
  const text = (await readFile(work, 'utf8').catch(() => '')).replace(/\/\/.*$/gm, '');
  const uses: string[] = [];
  for (const m of text.matchAll(/^\s*use\s*(?:\(([^)]*)\)|(\S+))/gm)) {
    for (const token of (m[1] ?? m[2] ?? '').split(/\s+/)) {
      const path = token.replace(/^["`]|["`]$/g, '');
      if (path) uses.push(resolve(dirname(work), path));
    }
  }
  return uses;
}

function isWithin(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

function sorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
