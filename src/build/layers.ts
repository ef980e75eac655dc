/**
 * The two layers kodev adds to a base image, laid out exactly like ko's:
 * a kodata layer under /var/run/ko and a binary layer under /ko-app.
 */
import { sha256Digest } from '../oci/digest.js';
import { gzipDeterministic } from '../oci/gzip.js';
import { type Layer, memoryBlob } from '../oci/image.js';
import { type TarEntry, writeTar } from '../oci/tar.js';
import type { KodataFile } from './kodata.js';

/** Where kodata lives inside Linux images. */
export const KODATA_ROOT = '/var/run/ko';
/** Where the binary lives inside Linux images. */
export const APP_DIR = '/ko-app';
/** Makes a Windows file executable in a container (owner and group BUILTIN\Users). */
const WINDOWS_RAWSD = 'AQAAgBQAAAAkAAAAAAAAAAAAAAABAgAAAAAABSAAAAAhAgAAAQIAAAAAAAUgAAAAIQIAAA==';
// Fixed modes, so the image does not depend on the umask of the build machine.
const MODE = 0o555;

/** The file name of the binary: the last element of the import path, as ko names it. */
export function appFilename(importPath: string): string {
  const base = importPath.split('/').filter(Boolean).pop();
  return !base || base === '.' ? 'ko-app' : base;
}

/** Where the binary lives in the image: `/ko-app/<appFilename>`. */
export function appPath(importPath: string): string {
  return `${APP_DIR}/${appFilename(importPath)}`;
}

/** Makes a layer from a tar, compressed deterministically. */
export async function layerFromTar(tar: Buffer, mediaType: string): Promise<Layer> {
  const blob = memoryBlob(await gzipDeterministic(tar));
  return { descriptor: { mediaType, size: blob.size, digest: blob.digest }, diffId: sha256Digest(tar), blob };
}

/** Builds the kodata tar: parent directories then the files. */
export function kodataTar(files: readonly KodataFile[], os: string, mtime: number): Promise<Buffer> {
  const windows = os === 'windows';
  const chroot = windows ? `Files${KODATA_ROOT}` : KODATA_ROOT;
  const dirs = windows
    ? ['Hives', 'Files', 'Files/var', 'Files/var/run', 'Files/var/run/ko']
    : ['/var', '/var/run', '/var/run/ko'];
  const entries: TarEntry[] = dirs.map((name) => ({ name, type: 'directory', mode: MODE, mtime }));
  for (const f of files) {
    if (f.data === undefined) {
      entries.push({ name: `${chroot}/${f.path}`, type: 'directory', mode: MODE, mtime });
      continue;
    }
    entries.push({
      name: `${chroot}/${f.path}`,
      type: 'file',
      mode: MODE,
      mtime,
      data: f.data,
      ...(windows ? { pax: { 'MSWINDOWS.rawsd': WINDOWS_RAWSD } } : {}),
    });
  }
  return writeTar(entries);
}

/** Builds the binary tar: `/ko-app/<name>` (Windows: `Files/ko-app/<name>`). */
export function binaryTar(appPath: string, binary: Uint8Array, os: string): Promise<Buffer> {
  const windows = os === 'windows';
  const dirs = windows ? ['Hives', 'Files', 'Files/ko-app'] : ['ko-app'];
  const entries: TarEntry[] = dirs.map((name) => ({ name, type: 'directory', mode: MODE, mtime: 0 }));
  entries.push({
    name: windows ? `Files${appPath}` : appPath,
    type: 'file',
    mode: MODE,
    mtime: 0,
    data: binary,
    ...(windows ? { pax: { 'MSWINDOWS.rawsd': WINDOWS_RAWSD } } : {}),
  });
  return writeTar(entries);
}
