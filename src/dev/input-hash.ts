/**
 * A content hash of everything an image's build reads from the working tree,
 * so the dev loop can skip `go build` (and everything after it) when a change
 * left an image's inputs as they were: a touched file, a reverted edit, a
 * file excluded by build constraints.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import pLimit from 'p-limit';
import type { ImageInputs } from './graph.js';

/** Files read at once; enough to keep the disk busy without exhausting descriptors. */
const CONCURRENCY = 16;

type Digest = (path: string) => Promise<string>;

/** sha256 hex over: `extra` (the caller's build settings, platform, base image digest), the main import path, then for each of inputs.files and inputs.moduleFiles (sorted) its path relative to moduleDir and its content hash (or a 'missing' marker), then the kodata tree as the image gets it (symlinks followed): relative paths, file/dir/symlink type, executable bit, content hash, symlink target. Paths are relative, so the hash does not depend on where the checkout lives. */
export async function hashInputs(inputs: ImageInputs, extra: string): Promise<string> {
  const limit = pLimit(CONCURRENCY);
  const digest: Digest = (path) => limit(() => contentHash(path));
  const records: (unknown[] | Promise<unknown[]>)[] = [
    ['extra', extra],
    ['main', inputs.importPath],
  ];
  const sources = [...new Set([...inputs.files, ...inputs.moduleFiles])].sort((a, b) => compare(a, b));
  for (const f of sources) {
    const rel = relative(inputs.moduleDir, f).split(sep).join('/');
    records.push(digest(f).then((d) => ['source', rel, d]));
  }
  let root: string | undefined;
  try {
    root = await realpath(inputs.kodataDir);
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
  if (root === undefined || !(await stat(root)).isDirectory()) records.push(['kodata', 'none']);
  else await walkKodata(inputs.kodataDir, '', records, digest, new Set([root]));

  const hash = createHash('sha256');
  for (const record of await Promise.all(records)) hash.update(`${JSON.stringify(record)}\n`);
  return hash.digest('hex');
}

/** Appends one record per entry below `dir` in name order, following symlinks like `collectKodata`. */
async function walkKodata(
  dir: string,
  prefix: string,
  out: (unknown[] | Promise<unknown[]>)[],
  digest: Digest,
  ancestors: ReadonlySet<string>,
): Promise<void> {
  // Entries deleted while we walk are left out; the watcher reports the deletion and a new hash follows.
  const names = (await readdir(dir).catch(ignoreMissing([]))).sort(compare);
  const stats = await Promise.all(
    names.map((name) => lstat(join(dir, name)).catch(ignoreMissing(undefined))),
  );
  for (const [i, name] of names.entries()) {
    const path = join(dir, name);
    const rel = prefix ? `${prefix}/${name}` : name;
    const l = stats[i];
    if (!l) continue;
    if (l.isDirectory()) {
      out.push(['kodata', rel, 'dir']);
      const real = await realpath(path);
      await walkKodata(path, rel, out, digest, new Set([...ancestors, real]));
    } else if (l.isFile()) {
      out.push(digest(path).then((d) => ['kodata', rel, 'file', isExecutable(l.mode), d]));
    } else if (l.isSymbolicLink()) {
      const link = ['kodata', rel, 'symlink', await readlink(path)];
      let s;
      try {
        s = await stat(path);
      } catch (err) {
        if (!isMissing(err) && (err as NodeJS.ErrnoException).code !== 'ELOOP') throw err;
        out.push([...link, 'missing']);
        continue;
      }
      if (s.isDirectory()) {
        const real = await realpath(path);
        // The build refuses a looping link; a marker keeps the hash defined until then.
        if (ancestors.has(real)) out.push([...link, 'loop']);
        else {
          out.push([...link, 'dir']);
          await walkKodata(path, rel, out, digest, new Set([...ancestors, real]));
        }
      } else {
        out.push(digest(path).then((d) => [...link, 'file', isExecutable(s.mode), d]));
      }
    }
    // Sockets, FIFOs and devices never reach the image.
  }
}

/** sha256 of a file's bytes, streamed; 'missing' when it is gone. */
async function contentHash(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch (err) {
    if (isMissing(err)) return 'missing';
    throw err;
  }
  return hash.digest('hex');
}

function ignoreMissing<T>(value: T): (err: unknown) => T {
  return (err) => {
    if (isMissing(err)) return value;
    throw err;
  };
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

function isExecutable(mode: number): boolean {
  return (mode & 0o111) !== 0;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
