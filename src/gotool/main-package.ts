/**
 * Turns what the user wrote (`./cmd/app`, `example.com/m/cmd/app`,
 * `ko://...`) into a located `package main` with its module and build entry.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { BuildEntry, KodevConfig } from '../config/types.js';
import { ExternalCommandError, UserError } from '../errors.js';
import { type GoPackage, type GoTool, listPackages, mainModules } from './go.js';
import { resolveStatically } from './static-package.js';

/** The scheme ko uses to mark import paths inside YAML. */
export const KO_SCHEME = 'ko://';

/** A main package ready to build. */
export interface MainPackage {
  importPath: string;
  /** Directory of the package's sources. */
  dir: string;
  modulePath: string;
  /** Directory `go build` runs in (the module root). */
  moduleDir: string;
  /** The `builds[]` entry that applies, if any. */
  build?: BuildEntry;
}

/** True for `.`, `./x`, `../x` and absolute paths, which name directories. */
export function isLocalPath(s: string): boolean {
  return s === '.' || s === '..' || s.startsWith('./') || s.startsWith('../') || isAbsolute(s);
}

/** Resolves import paths to main packages, caching module and build lookups. */
export class MainPackageResolver {
  private buildImports?: Promise<{ entry: BuildEntry; importPath: string; moduleDir: string }[]>;

  constructor(
    private readonly go: GoTool,
    private readonly cwd: string,
    private readonly config: KodevConfig,
  ) {}

  /** Locates `ref` and checks it is a `package main` in a main module. */
  async resolve(ref: string): Promise<MainPackage> {
    const s = ref.startsWith(KO_SCHEME) ? ref.slice(KO_SCHEME.length) : ref;
    if (s === '')
      throw new UserError(`empty import path ${JSON.stringify(ref)}`, {
        hint: 'name a Go main package, e.g. ./cmd/app',
      });
    if (this.config.builds.length === 0) {
      const local = isLocalPath(s);
      const found = await resolveStatically(
        local ? { dir: resolve(this.cwd, s) } : { importPath: s, cwd: this.cwd },
        this.go.env,
      );
      if (found) return found;
    }
    const builds = await this.builds();
    let pkg: GoPackage | undefined;
    let lookupDir: string;
    if (isLocalPath(s)) {
      lookupDir = resolve(this.cwd, s);
      if (!(await isDir(lookupDir))) {
        throw new UserError(`${ref}: no such directory ${lookupDir}`, {
          hint: 'check the path; relative paths start from the current directory',
        });
      }
      pkg = (
        await listPackages(this.go, lookupDir, ['.']).catch((err) => outsideModule(err, ref, lookupDir))
      )[0];
    } else {
      const byBuild = builds.find((b) => b.importPath === s);
      lookupDir = byBuild?.moduleDir ?? (await this.moduleDirFor(s, ref));
      pkg = (await listPackages(this.go, lookupDir, [s]))[0];
    }
    if (!pkg) throw new UserError(`${ref}: go list found no package`, { hint: 'check the import path' });
    if (pkg.Error) {
      const err = pkg.Error.Err.trim();
      if (/no required module provides package|cannot find package/.test(err)) {
        throw new UserError(`${ref}: no such package in the module at ${lookupDir}`, {
          hint: 'check the import path against the directories of the module (go list ./... lists them)',
        });
      }
      if (
        /go\.mod file not found|outside (main )?module|not in (the )?(main )?module|directory .* outside/i.test(
          err,
        )
      ) {
        throw new UserError(`${ref}: outside module: ${firstLine(err)}`, {
          hint: 'build packages of the current module, or add the module with builds[].dir in .ko.yaml',
        });
      }
      throw new UserError(`${ref}: ${firstLine(err)}`, {
        hint: 'check the import path and that the package compiles with `go list`',
      });
    }
    if (!pkg.Module?.Main) {
      const mods = (await mainModules(this.go, lookupDir)).map((m) => m.Path).join(', ');
      throw new UserError(
        `${ref}: outside module ${mods}: ${pkg.ImportPath} belongs to ${pkg.Module?.Path ?? 'the standard library'}`,
        {
          hint: 'kodev builds main packages of the current module(s); add the module with builds[].dir in .ko.yaml',
        },
      );
    }
    if (pkg.Name !== 'main') {
      throw new UserError(`${ref}: not a main package (${pkg.ImportPath} is package ${pkg.Name ?? '?'})`, {
        hint: 'kodev builds commands: name a directory whose Go files say `package main`',
      });
    }
    const build = builds.find((b) => b.importPath === pkg.ImportPath)?.entry;
    return {
      importPath: pkg.ImportPath,
      dir: pkg.Dir ?? lookupDir,
      modulePath: pkg.Module.Path,
      moduleDir: pkg.Module.Dir ?? lookupDir,
      ...(build ? { build } : {}),
    };
  }

  /** Finds which configured module an import path belongs to. */
  private async moduleDirFor(importPath: string, ref: string): Promise<string> {
    const dirs = [
      this.cwd,
      ...this.config.builds.filter((b) => b.dir).map((b) => resolve(this.config.baseDir, b.dir as string)),
    ];
    const seen: string[] = [];
    let firstError: unknown;
    for (const dir of new Set(dirs)) {
      let mods: { Path: string; Dir: string }[];
      try {
        mods = await mainModules(this.go, dir);
      } catch (err) {
        firstError ??= err;
        continue;
      }
      for (const m of mods) {
        seen.push(m.Path);
        if (importPath === m.Path || importPath.startsWith(`${m.Path}/`)) return m.Dir;
      }
    }
    if (seen.length === 0 && firstError) throw firstError;
    throw new UserError(
      `${ref}: import path does not match go.mod: ${importPath} is outside module ${seen.join(', ')}`,
      {
        hint: 'use an import path under the module path in go.mod, a ./relative path, or add the module with builds[].dir',
      },
    );
  }

  private builds() {
    this.buildImports ??= Promise.all(
      this.config.builds
        .filter((b) => b.main !== undefined || b.dir !== undefined)
        .map(async (entry) => {
          const moduleDir = resolve(this.config.baseDir, entry.dir ?? '.');
          const main = entry.main ?? '.';
          const [pkg] = await listPackages(this.go, moduleDir, [main]);
          if (!pkg || pkg.Error) {
            const where = `${this.config.files[0] ?? '.ko.yaml'}: builds[${this.config.builds.indexOf(entry)}]`;
            throw new UserError(
              `${where}: main ${JSON.stringify(main)} in ${moduleDir}: ${firstLine(pkg?.Error?.Err ?? 'not found')}`,
              {
                hint: 'builds[].main is relative to builds[].dir (or an import path of that module)',
              },
            );
          }
          return { entry, importPath: pkg.ImportPath, moduleDir: pkg.Module?.Dir ?? moduleDir };
        }),
    );
    return this.buildImports;
  }
}

// go list itself fails (rather than reporting a package error) when no go.mod is found.
function outsideModule(err: unknown, ref: string, dir: string): never {
  if (err instanceof ExternalCommandError && /go\.mod file not found/.test(err.output)) {
    throw new UserError(
      `${ref}: outside module: ${dir} is not inside a Go module (no go.mod here or above)`,
      {
        hint: 'run kodev inside a Go module, or name one with builds[].dir in .ko.yaml',
        cause: err,
      },
    );
  }
  throw err;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}
