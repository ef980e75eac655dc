/**
 * Writes tar archives in memory with fixed ownership and sorted input, so the
 * same entries always give the same bytes.
 */
import { pack } from 'tar-stream';

/** One archive entry. Directories carry no data. */
export interface TarEntry {
  name: string;
  type: 'file' | 'directory';
  mode: number;
  /** Seconds since the epoch. */
  mtime: number;
  data?: Uint8Array;
  /** Extra PAX records (Windows security descriptors, for instance). */
  pax?: Record<string, string>;
}

/** Builds a tar archive from the entries, in the order given. */
export async function writeTar(entries: readonly TarEntry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    p.on('data', (c: unknown) => chunks.push(c as Buffer));
    p.on('end', () => resolve());
    p.on('error', reject);
  });
  for (const e of entries) {
    const header = {
      name: e.name,
      type: e.type,
      mode: e.mode,
      mtime: new Date(e.mtime * 1000),
      uid: 0,
      gid: 0,
      uname: '',
      gname: '',
      size: e.type === 'file' ? (e.data?.byteLength ?? 0) : 0,
      ...(e.pax ? { pax: e.pax } : {}),
    };
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (e.type === 'file') p.entry(header, asBuffer(e.data ?? new Uint8Array()), cb);
      else p.entry(header, cb);
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** The same bytes as a Buffer, without copying them (a Go binary is megabytes). */
function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
