/**
 * Finds the file an image's entrypoint names and copies it out of the image,
 * without unpacking anything else: layers are streamed from the top one down
 * (gunzipped on the fly), and only the one matching tar entry is written.
 * Whiteouts are honoured (a `.wh.<name>` for the file or one of its
 * directories, or an opaque-directory marker above it, hides what lower
 * layers hold) and one symlink (or hard link) is followed.
 */
import { open } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { UserError } from '../errors.js';
import type { Image, Layer } from '../oci/image.js';

/** The binary an image runs: its path as the image config says and as tar entries name it. */
export interface EntrypointPath {
  /** As in the config, e.g. `/ko-app/app` or `C:\ko-app\app.exe`. */
  appPath: string;
  /** The tar entry name without leading `/` or `./`, e.g. `ko-app/app` or `Files/ko-app/app.exe`. */
  entryName: string;
}

/**
 * Reads `Entrypoint[0]` from the image config. A relative entrypoint is taken
 * relative to the working directory (kodev does not search PATH). Windows
 * paths (`C:\...`) map to the `Files/` tree of Windows layers.
 */
export function entrypointPath(image: Image, name: string): EntrypointPath {
  const appPath = image.config.config?.Entrypoint?.[0];
  if (!appPath)
    throw new UserError(`${name} has no entrypoint, so there is no Go binary to read`, {
      hint: 'kodev deps reads the binary that Entrypoint names; use an image built by kodev or ko',
    });
  const windows = /^[A-Za-z]:\\/.exec(appPath);
  if (windows) return { appPath, entryName: cleanPath(`Files/${appPath.slice(3).replaceAll('\\', '/')}`) };
  const dir = image.config.config.WorkingDir || '/';
  return { appPath, entryName: cleanPath(posix.isAbsolute(appPath) ? appPath : posix.join(dir, appPath)) };
}

/**
 * Copies the entrypoint binary of `image` into `dest` and returns the path it
 * has in the image (the config's path, or a symlink's target). Throws a
 * UserError naming the path and `name` when no layer holds a regular file there.
 */
export async function extractEntrypoint(
  image: Image,
  name: string,
  dest: string,
  signal?: AbortSignal,
): Promise<string> {
  const { appPath, entryName } = entrypointPath(image, name);
  let want = entryName;
  for (let hops = 0; ; hops++) {
    const hit = await findInLayers(image.layers, want, dest, name, signal);
    if (hit.kind === 'file') return want === entryName ? appPath : `/${want}`;
    if (hit.kind === 'link' && hops === 0) {
      want = hit.target;
      continue;
    }
    const what =
      hit.kind === 'link'
        ? `is a link to a link (${hit.target}); kodev follows one`
        : hit.kind === 'other'
          ? 'is not a regular file'
          : 'is in none of its layers';
    throw new UserError(
      `entrypoint ${appPath} of ${name} ${what}${want === entryName ? '' : ` (at /${want})`}`,
      {
        hint: 'kodev deps reads the Go binary that Entrypoint names; use an image built by kodev or ko',
      },
    );
  }
}

type Hit = { kind: 'file' } | { kind: 'link'; target: string } | { kind: 'other' } | { kind: 'missing' };

async function findInLayers(
  layers: readonly Layer[],
  path: string,
  dest: string,
  name: string,
  signal?: AbortSignal,
): Promise<Hit> {
  for (let i = layers.length - 1; i >= 0; i--) {
    const found = await scanLayer(layers[i] as Layer, path, dest, name, signal);
    if (found === 'deleted') return { kind: 'missing' };
    if (found) return found;
  }
  return { kind: 'missing' };
}

/** What one layer says about `path`: an entry, a whiteout hiding lower layers, or nothing. */
async function scanLayer(
  layer: Layer,
  path: string,
  dest: string,
  name: string,
  signal?: AbortSignal,
): Promise<Hit | 'deleted' | undefined> {
  const mediaType = layer.descriptor.mediaType;
  if (/zstd$/.test(mediaType))
    throw new UserError(
      `${name}: layer ${layer.descriptor.digest} is zstd-compressed, which kodev cannot read`,
      {
        hint: 'use an image with gzip or uncompressed layers',
      },
    );
  signal?.throwIfAborted();
  const raw = await layer.blob.open();
  const streams: Readable[] = [raw];
  if (/gzip$/.test(mediaType)) streams.push(raw.pipe(createGunzip()));
  const ex = extract();
  for (const s of streams) s.on('error', (err) => ex.destroy(err));
  (streams[streams.length - 1] as Readable).pipe(ex);
  let deleted = false;
  let writing = false;
  try {
    for await (const entry of ex) {
      signal?.throwIfAborted();
      const h = entry.header;
      const entryName = cleanPath(h.name);
      if (entryName === path) {
        if (h.type === 'file' || h.type === 'contiguous-file') {
          writing = true;
          await writeEntry(entry, dest);
          return { kind: 'file' };
        }
        entry.resume();
        if ((h.type === 'symlink' || h.type === 'link') && h.linkname)
          return { kind: 'link', target: linkTarget(path, h.linkname, h.type) };
        return { kind: 'other' };
      }
      // The file itself wins over a whiteout in the same layer, so keep reading.
      if (hides(entryName, path)) deleted = true;
      entry.resume();
    }
  } catch (err) {
    // Failures to write the temp file are not the layer's fault.
    if (err instanceof UserError || signal?.aborted || (writing && isFsError(err))) throw err;
    throw new UserError(`${name}: cannot read layer ${layer.descriptor.digest}: ${String(err)}`, {
      hint: 'the layer is not a valid (gzipped) tar archive, or the download broke off; try again',
      cause: err,
    });
  } finally {
    for (const s of streams) s.destroy();
    ex.destroy();
  }
  return deleted ? 'deleted' : undefined;
}

async function writeEntry(entry: AsyncIterable<unknown>, dest: string): Promise<void> {
  const out = await open(dest, 'w', 0o700);
  try {
    for await (const chunk of entry) await out.write(chunk as Buffer);
  } finally {
    await out.close();
  }
}

function isFsError(err: unknown): boolean {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === 'string';
}

/** True when the entry is a whiteout for `path` or one of its directories, or an opaque marker above it. */
function hides(entryName: string, path: string): boolean {
  const base = posix.basename(entryName);
  if (!base.startsWith('.wh.')) return false;
  const dir = posix.dirname(entryName);
  const prefix = dir === '.' ? '' : `${dir}/`;
  if (base === '.wh..wh..opq') return path.startsWith(prefix);
  const target = `${prefix}${base.slice('.wh.'.length)}`;
  return path === target || path.startsWith(`${target}/`);
}

/** Symlinks resolve from the link's directory (or the root); hard links name an archive path. */
function linkTarget(path: string, linkname: string, type: 'symlink' | 'link'): string {
  if (type === 'link' || posix.isAbsolute(linkname)) return cleanPath(linkname);
  return cleanPath(posix.join(posix.dirname(path), linkname));
}

/** `./a/b`, `/a/b/` and `a//b` all become `a/b`; `..` cannot climb above the root. */
function cleanPath(p: string): string {
  return posix.normalize(`/${p}`).slice(1).replace(/\/+$/, '');
}
