/**
 * Deterministic gzip. Node's bundled zlib may compress the same bytes
 * differently across zlib releases and CPU feature sets, which would change
 * layer digests from one machine to another. fflate is pure JavaScript and its
 * version is pinned by the lockfile, so its output depends only on the input
 * and the level. The header carries mtime 0 and no file name.
 */
import { gunzipSync, gzipSync } from 'fflate';

/** ko (via go-containerregistry) compresses layers at BestSpeed; so does kodev. */
export const DEFAULT_GZIP_LEVEL = 1;

/** Compresses bytes with a fixed header so the result is reproducible. */
export function gzipDeterministic(
  data: Uint8Array,
  level: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 = DEFAULT_GZIP_LEVEL,
): Buffer {
  const out = gzipSync(data, { level, mtime: 0 });
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

/** Decompresses gzip bytes. */
export function gunzip(data: Uint8Array): Buffer {
  const out = gunzipSync(data);
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

/** True when the bytes start with the gzip magic number. */
export function isGzip(data: Uint8Array): boolean {
  return data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;
}
