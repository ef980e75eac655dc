/**
 * The Go toolchain as kodev uses it: `go list` to locate packages and modules,
 * `go build` to compile. Every call goes through `system/exec`.
 */
import { ExternalCommandError, UserError } from '../errors.js';
import { type Env, withEnvEntries } from '../system/env.js';
import { run } from '../system/exec.js';

/** How to invoke Go: which binary and with which base environment. */
export interface GoTool {
  /** The `go` binary (`KO_GO_PATH` or `go`). */
  bin: string;
  /** The environment every go command inherits. */
  env: Env;
}

/** The fields of `go list -json` that kodev reads. */
export interface GoPackage {
  ImportPath: string;
  Name?: string;
  Dir?: string;
  Module?: { Path: string; Dir?: string; GoMod?: string; Main?: boolean };
  GoFiles?: string[];
  Error?: { Err: string };
}

/** Makes the GoTool for an environment, honouring `KO_GO_PATH` like ko. */
export function goTool(env: Env): GoTool {
  return { bin: env.KO_GO_PATH || 'go', env };
}

function notFound(go: GoTool) {
  return {
    message: `no Go toolchain found: ${JSON.stringify(go.bin)} could not be run`,
    hint: 'install Go (https://go.dev/dl) and put it on PATH, or set KO_GO_PATH to the go binary',
  };
}

/** Splits the concatenated JSON objects that `go list -json` prints. */
export function parseJsonStream<T>(text: string): T[] {
  const out: T[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth === 0) out.push(JSON.parse(text.slice(start, i + 1)) as T);
    }
  }
  return out;
}

/** Runs `go list -e -json` for the patterns in `cwd`. */
export async function listPackages(
  go: GoTool,
  cwd: string,
  patterns: readonly string[],
): Promise<GoPackage[]> {
  const { stdout } = await goRun(go, cwd, [
    'list',
    '-e',
    '-json=ImportPath,Name,Dir,Module,GoFiles,Error',
    ...patterns,
  ]);
  return parseJsonStream<GoPackage>(stdout);
}

/** The main module(s) for `cwd`: several in a go.work workspace. */
export async function mainModules(
  go: GoTool,
  cwd: string,
): Promise<{ Path: string; Dir: string; GoMod: string }[]> {
  try {
    const { stdout } = await goRun(go, cwd, ['list', '-m', '-json']);
    return parseJsonStream<{ Path: string; Dir: string; GoMod: string }>(stdout);
  } catch (err) {
    if (err instanceof ExternalCommandError && /go\.mod file not found|not using modules/.test(err.output)) {
      throw new UserError(`${cwd} is outside any Go module (no go.mod here or above)`, {
        hint: 'run kodev inside a Go module, or name one with builds[].dir in .ko.yaml',
        cause: err,
      });
    }
    throw err;
  }
}

/** Arguments for one `go build`. */
export interface GoBuildArgs {
  cwd: string;
  importPath: string;
  out: string;
  /** Flags placed before `-o`. */
  flags: readonly string[];
  /** Environment added over the tool's base environment (later wins). */
  env: readonly string[];
  signal?: AbortSignal;
}

/** The arguments after `go` of goBuild's command. */
export function goBuildArgv(args: Pick<GoBuildArgs, 'flags' | 'out' | 'importPath'>): string[] {
  return ['build', ...args.flags, '-o', args.out, args.importPath];
}

/** Compiles one main package to `out`. */
export async function goBuild(go: GoTool, args: GoBuildArgs): Promise<void> {
  const env = withEnvEntries(go.env, args.env);
  try {
    await run(go.bin, goBuildArgv(args), {
      cwd: args.cwd,
      env,
      signal: args.signal,
      notFound: notFound(go),
    });
  } catch (err) {
    if (err instanceof ExternalCommandError) {
      throw new ExternalCommandError(`go build ${args.importPath} failed`, err.command, err.output, {
        cause: err,
      });
    }
    throw err;
  }
}

/**
 * The content ID of a Go binary: the last part of `go tool buildid FILE`. It
 * hashes what the linker produced apart from the build ID itself, so two
 * binaries that differ only in their inputs' hashes (a comment-only edit)
 * share it.
 */
export async function goContentId(go: GoTool, file: string): Promise<string> {
  const id = (await goRun(go, undefined, ['tool', 'buildid', file])).stdout.trim();
  return id.slice(id.lastIndexOf('/') + 1);
}

/** Runs `go version -m FILE`, the module list linked into a binary. */
export async function goVersionM(go: GoTool, file: string): Promise<string> {
  return (await goRun(go, undefined, ['version', '-m', file])).stdout;
}

async function goRun(go: GoTool, cwd: string | undefined, args: string[]) {
  return run(go.bin, args, { cwd, env: { ...go.env }, notFound: notFound(go) });
}
