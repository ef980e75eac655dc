/**
 * Reads the manifests named by -f (files, directories of .yaml/.yml/.json
 * files, recursively with -R, or - for stdin), parses them and applies -l.
 * The only place the Kubernetes commands read manifest files.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { UsageError, UserError } from '../errors.js';
import type { FilenameFlags } from '../options/filename-options.js';
import { type ManifestDocument, type ManifestSource, parseManifests } from '../resolve/documents.js';
import { type LabelSelector, parseSelector } from '../resolve/selector.js';

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Parsed documents in input order, and the selector to apply (if any). */
export interface ManifestInput {
  docs: ManifestDocument[];
  selector?: LabelSelector;
  /** Every file read and directory listed (absolute), for the unchanged-run record. */
  paths: string[];
}

/** Reads and parses every -f input; `readStdin` is called at most once. */
export async function readManifests(
  flags: FilenameFlags,
  cwd: string,
  readStdin: () => Promise<string>,
): Promise<ManifestInput> {
  if (flags.filename.length === 0)
    throw new UsageError('no manifests given', { hint: 'pass -f FILE, -f DIR or -f - for stdin' });
  const selector = flags.selector !== undefined ? parseSelector(flags.selector) : undefined;
  const sources: ManifestSource[] = [];
  const paths: string[] = [];
  let stdinUsed = false;
  for (const f of flags.filename) {
    if (f === '-') {
      if (stdinUsed) throw new UsageError('-f - given twice', { hint: 'stdin can be read only once' });
      stdinUsed = true;
      sources.push({ name: '-', text: await readStdin() });
      continue;
    }
    const path = resolve(cwd, f);
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new UserError(`-f ${f}: no such file or directory`, { hint: 'check the path' });
    const files = info.isDirectory() ? await manifestFiles(path, flags.recursive, paths) : [path];
    if (info.isDirectory() && files.length === 0)
      throw new UserError(`-f ${f}: the directory has no .yaml, .yml or .json files`, {
        hint: flags.recursive ? 'check the path' : 'add -R to read subdirectories',
      });
    paths.push(path, ...files);
    for (const file of files)
      sources.push({
        name: info.isDirectory() ? join(f, file.slice(path.length + 1)) : f,
        text: await readFile(file, 'utf8'),
      });
  }
  const docs = sources.flatMap((s) => parseManifests(s));
  return { docs, paths, ...(selector ? { selector } : {}) };
}

/** The manifest files under `dir`, sorted; every directory listed is added to `listed`. */
async function manifestFiles(dir: string, recursive: boolean, listed: string[]): Promise<string[]> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  const out: string[] = [];
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (recursive) {
        listed.push(p);
        out.push(...(await manifestFiles(p, true, listed)));
      }
    } else if (MANIFEST_EXTENSIONS.has(extname(e.name))) out.push(p);
  }
  return out;
}
