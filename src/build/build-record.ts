/**
 * What a finished `kodev build` or `kodev resolve` depended on, so the next
 * identical run can skip `go build` entirely (ko always runs it, its issue
 * #1116). A record holds what the command printed, the registry state that
 * implies, and the status of every input file: each Go source, embed and
 * module file the binaries were built from (gotool/static-inputs.ts, or
 * `go list -deps`), their directories (a new file changes its directory),
 * the kodata trees, the manifests read, the config, `go env -w`'s file and
 * the go binary. Files are compared by size,
 * mtime, ctime and inode, like git's index; ctime cannot be set back by hand.
 * Records are keyed by the command line as typed, the environment Go and ko
 * read, the directory and the .ko.yaml text, so the entry can find one
 * before parsing any flag. Dependency-free: the CLI's entry loads it.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { CODE_CONFIG_NAMES, findKoYaml } from '../config/load.js';
import { isFile } from '../system/files.js';

/** One input's status when it was recorded; size -1 for a path that did not exist. */
export interface InputStatus {
  path: string;
  size: number;
  mtimeNs: string;
  ctimeNs: string;
  ino: string;
}

/** A registry fact the printed references rely on: `reference` (a tag or digest) resolves to `digest`. */
export interface RegistryFact {
  registry: string;
  repository: string;
  reference: string;
  digest: string;
}

/** A finished run's record. */
export interface BuildRecord {
  version: 2;
  /** Everything the command printed on stdout. */
  stdout: string;
  /** The --image-refs file and what was written to it. */
  imageRefs?: { file: string; text: string };
  /** Whether --insecure-registry was given (plain http to any registry). */
  insecure: boolean;
  inputs: InputStatus[];
  facts: RegistryFact[];
  /** The `go build`s the run started before its pipeline loaded (build/early-compile.ts). */
  compiles?: RecordedCompiles;
}

/** A run's early `go build`s, in the order it started them, and how many it ran at once (--jobs). */
export interface RecordedCompiles {
  jobs: number;
  commands: RecordedCompile[];
}

/**
 * One `go build` exactly as a recorded run started it. When the record's key
 * matches but an input changed, the entry starts these again at once
 * (build/prestart.ts): the full run would start the same ones once its
 * modules load, and takes them over only if its own plan writes the same
 * `out` (a path named by the hash of everything that decides the binary).
 */
export interface RecordedCompile {
  /** The go command (KO_GO_PATH or `go`). */
  bin: string;
  cwd: string;
  /** The arguments after the command: `build`, the flags, `-o`, out, the import path. */
  args: string[];
  /** KEY=value entries set on top of the run's environment (GOOS, GOARCH, CGO_ENABLED...). */
  env: string[];
  /** The binary it writes, under KOCACHE/bin. */
  out: string;
}

/** Where a run is and what it was given: what keys its record. */
export interface RunRequest {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  hostArch: string;
  /** kodev's version: a record of another version never matches. */
  version: string;
}

/** Environment that changes what a build produces or where it goes. */
const RELEVANT_ENV =
  /^(GO|CGO_|KO_|KODEV_(?!TIMINGS$|EXTRA_CA_CERTS$)|SOURCE_DATE_EPOCH$|PATH$|HOME$|DOCKER_CONFIG$|XDG_|CC$|CXX$|AR$|PKG_CONFIG|GCCGO$)/;

/**
 * The record key of a run: a hash of its command line, the relevant
 * environment, the directory, the host and the .ko.yaml text. Undefined when
 * a code config is present, since its imports are not known.
 */
export async function requestKey(req: RunRequest): Promise<string | undefined> {
  for (const name of CODE_CONFIG_NAMES) if (await isFile(join(req.cwd, name))) return undefined;
  // A KO_CONFIG_PATH that does not exist fails the full run; there is nothing to key.
  const koYaml = await findKoYaml(resolve(req.cwd), req.env).catch(() => null);
  if (koYaml === null) return undefined;
  const env = Object.entries(req.env)
    .filter(([k, v]) => RELEVANT_ENV.test(k) && v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const parts = {
    kodev: req.version,
    cwd: req.cwd,
    hostArch: req.hostArch,
    argv: req.argv,
    env,
    koYaml: koYaml ? { path: koYaml, text: await readFile(koYaml, 'utf8') } : null,
  };
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** The statuses of `paths` now (directories included; missing paths recorded as missing). */
export async function inputStatus(paths: Iterable<string>): Promise<InputStatus[]> {
  return Promise.all(
    [...new Set(paths)].sort().map(async (path) => {
      try {
        const s = await stat(path, { bigint: true });
        return {
          path,
          size: Number(s.size),
          mtimeNs: String(s.mtimeNs),
          ctimeNs: String(s.ctimeNs),
          ino: String(s.ino),
        };
      } catch {
        return { path, size: -1, mtimeNs: '0', ctimeNs: '0', ino: '0' };
      }
    }),
  );
}

/** True when every input still has the recorded status. */
export async function inputsUnchanged(recorded: readonly InputStatus[]): Promise<boolean> {
  const now = await inputStatus(recorded.map((r) => r.path));
  return now.length === recorded.length && now.every((n, i) => sameStatus(n, recorded[i]));
}

function sameStatus(a: InputStatus, b: InputStatus | undefined): boolean {
  return (
    b !== undefined &&
    a.path === b.path &&
    a.size === b.size &&
    a.mtimeNs === b.mtimeNs &&
    a.ctimeNs === b.ctimeNs &&
    a.ino === b.ino
  );
}

/**
 * How far a file's recorded change time may lag the clock: Linux stamps
 * files from a coarse clock that moves once per tick (1-10 ms), so a file
 * saved just after `Date.now()` can carry an earlier time.
 */
export const FILE_TIME_SLACK_MS = 20;

/**
 * True when no input changed at or after `sinceMs`, less FILE_TIME_SLACK_MS
 * (so the build read what was recorded).
 */
export function settledBefore(inputs: readonly InputStatus[], sinceMs: number): boolean {
  const since = BigInt(Math.floor(sinceMs - FILE_TIME_SLACK_MS)) * 1_000_000n;
  return inputs.every((i) => BigInt(i.ctimeNs) < since && BigInt(i.mtimeNs) < since);
}

/** Every file and directory under `dir` (kodata), `dir` itself included; nothing when it does not exist. */
export async function treePaths(dir: string): Promise<string[]> {
  const out = [dir];
  try {
    for (const e of await readdir(dir, { withFileTypes: true, recursive: true }))
      out.push(join(e.parentPath, e.name));
  } catch {
    // No kodata: the directory's absence is what gets recorded.
  }
  return out;
}

/** The record file for a request key under the cache directory. */
export function recordFile(cacheDir: string, key: string): string {
  return join(cacheDir, 'build-records', `${key}.json`);
}

/** Reads a record; undefined when missing or unreadable. */
export async function readRecord(file: string): Promise<BuildRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(file, 'utf8')) as BuildRecord;
    return record.version === 2 &&
      Array.isArray(record.inputs) &&
      Array.isArray(record.facts) &&
      (record.compiles === undefined ||
        (Number.isInteger(record.compiles.jobs) && Array.isArray(record.compiles.commands)))
      ? record
      : undefined;
  } catch {
    return undefined;
  }
}

/** Writes a record atomically (a reader never sees half of one). */
export async function writeRecord(file: string, record: BuildRecord): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(record));
  await rename(tmp, file);
}
