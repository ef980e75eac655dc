/**
 * What a finished `kodev build` depended on, so the next identical build can
 * skip `go build` entirely (ko always runs it, its issue #1116). A record
 * holds the printed references, the registry state they imply, and the
 * status of every input file: each Go source, embed and module file the
 * binaries were built from (from `go list -deps`), their directories (a new
 * file changes its directory), the kodata trees, the config and the go
 * binary. Files are compared by size, mtime, ctime and inode, like git's
 * index; ctime cannot be set back by hand.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

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

/** A finished build's record. */
export interface BuildRecord {
  version: 1;
  printed: string[];
  inputs: InputStatus[];
  facts: RegistryFact[];
}

/** Hashes what makes two builds the same request (arguments, flags, environment, config text). */
export function requestKey(parts: unknown): string {
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

/** True when no input changed at or after `sinceMs` (so the build read what was recorded). */
export function settledBefore(inputs: readonly InputStatus[], sinceMs: number): boolean {
  const since = BigInt(Math.floor(sinceMs)) * 1_000_000n;
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
    return record.version === 1 && Array.isArray(record.inputs) ? record : undefined;
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
