/**
 * Collects a package's `kodata/` tree the way ko does (symlinks followed,
 * lexical order), plus an entry for each nested directory. ko leaves nested
 * directories implied, and Docker then creates them unreadable for non-root
 * users; explicit 0555 entries keep kodata readable whatever the image user.
 * A symlink that resolves outside the repository is refused rather than
 * copied into an image.
 */
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { UserError } from '../errors.js';

/** One entry bound for the kodata layer: a file with its bytes, or a directory. */
export interface KodataFile {
  /** Path below the kodata root, `/`-separated. */
  path: string;
  /** Undefined for a directory. */
  data?: Buffer;
}

/** Options for `collectKodata`. */
export interface CollectKodataOptions {
  /** Skip symlinks instead of following them (ko does this for Windows images). */
  skipSymlinks?: boolean;
  /** Symlinks must resolve inside this directory. */
  boundary: string;
  /** Called for each skipped symlink, for a log line. */
  onSkip?: (path: string) => void;
}

/** Reads every file below `root` (missing root: none). */
export async function collectKodata(root: string, options: CollectKodataOptions): Promise<KodataFile[]> {
  try {
    if (!(await stat(root)).isDirectory()) return [];
  } catch {
    return [];
  }
  const boundary = await realpath(options.boundary);
  const out: KodataFile[] = [];
  await walk(root, '', options, boundary, out, new Set([await realpath(root)]));
  return out;
}

async function walk(
  dir: string,
  prefix: string,
  options: CollectKodataOptions,
  boundary: string,
  out: KodataFile[],
  ancestors: Set<string>,
): Promise<void> {
  const names = (await readdir(dir)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const name of names) {
    const hostPath = join(dir, name);
    const rel = prefix ? `${prefix}/${name}` : name;
    const l = await lstat(hostPath);
    if (l.isDirectory()) {
      out.push({ path: rel });
      await walk(hostPath, rel, options, boundary, out, ancestors);
      continue;
    }
    let target = hostPath;
    if (l.isSymbolicLink()) {
      if (options.skipSymlinks) {
        options.onSkip?.(hostPath);
        continue;
      }
      try {
        target = await realpath(hostPath);
      } catch (err) {
        throw new UserError(`kodata: broken symlink ${hostPath}`, {
          hint: 'fix or remove the link',
          cause: err,
        });
      }
      const r = relative(boundary, target);
      if (r === '..' || r.startsWith(`..${sep}`) || r.startsWith(sep)) {
        throw new UserError(`kodata: symlink ${hostPath} points outside the repository (${target})`, {
          hint: `kodata links must stay inside ${boundary}; copy the file in instead`,
        });
      }
      const s = await stat(target);
      if (s.isDirectory()) {
        if (ancestors.has(target))
          throw new UserError(`kodata: symlink loop at ${hostPath}`, { hint: 'remove the looping link' });
        await walk(target, rel, options, boundary, out, new Set([...ancestors, target]));
        continue;
      }
    }
    if (!l.isFile() && !l.isSymbolicLink()) continue;
    out.push({ path: rel, data: await readFile(target) });
  }
}
