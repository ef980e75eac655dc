/**
 * Deterministic gzip. Node's bundled zlib may compress the same bytes
 * differently across zlib releases and CPU feature sets, which would change
 * layer digests from one machine to another. Layers are compressed with a
 * WebAssembly build of Rust's flate2 (@hazae41/foras, pinned by the
 * lockfile): WebAssembly runs the same code on every machine, so the output
 * depends only on the input and the level, and it is about five times faster
 * than the pure-JavaScript fflate kodev used before (0.14-0.19 s against
 * 0.73-0.80 s for an 8.8 MB Go binary). The header carries mtime 0 and no
 * file name. Decompression stays on fflate.
 */
import type * as ForasModule from '@hazae41/foras';
import { gunzipSync } from 'fflate';

/** ko (via go-containerregistry) compresses layers at BestSpeed; so does kodev. */
export const DEFAULT_GZIP_LEVEL = 1;

type Foras = typeof ForasModule;
let foras: Promise<Foras> | undefined;

/** Loads and instantiates the compressor; call it early so this overlaps other work (go build). */
export function prepareGzip(): Promise<Foras> {
  foras ??= import('@hazae41/foras').then(async (m) => {
    await m.initBundledOnce();
    return m;
  });
  return foras;
}

/** Compresses bytes with a fixed header so the result is reproducible. */
export async function gzipDeterministic(
  data: Uint8Array,
  level: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 = DEFAULT_GZIP_LEVEL,
): Promise<Buffer> {
  const m = await prepareGzip();
  const input = new m.Memory(data);
  try {
    const output = m.gzip(input, level);
    try {
      return Buffer.from(output.bytes);
    } finally {
      output.free();
    }
  } finally {
    input.free();
  }
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
