/**
 * A docker-archive (`docker load` input) produced as a stream, so an image can
 * be sent to a daemon without being written to disk or held in memory: the
 * configs first, then each layer streamed from its blob, then manifest.json.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Pack, pack } from 'tar-stream';
import type { ArchiveImage } from './docker-archive.js';

interface ArchiveEntry {
  Config: string;
  RepoTags: string[];
  Layers: string[];
}

/**
 * Returns the archive as a Readable. A layer that cannot be read fails the
 * stream with that error, so whoever consumes it (a request body) fails too.
 */
export function dockerArchiveStream(images: readonly ArchiveImage[]): Readable {
  const p = pack();
  fill(p, images).catch((err: unknown) => p.destroy(err as Error));
  // tar-stream packs are streamx streams; undici and node:stream want a node Readable.
  return Readable.from(p, { objectMode: false });
}

async function fill(p: Pack, images: readonly ArchiveImage[]): Promise<void> {
  const header = (name: string, size: number) => ({
    name,
    size,
    mode: 0o644,
    mtime: new Date(0),
    uid: 0,
    gid: 0,
    uname: '',
    gname: '',
  });
  const addBuffer = (name: string, data: Buffer) =>
    new Promise<void>((resolve, reject) =>
      p.entry(header(name, data.byteLength), data, (e) => (e ? reject(e) : resolve())),
    );
  const seen = new Set<string>();
  const manifest: ArchiveEntry[] = [];
  for (const { image, tags } of images) {
    const configName = image.manifest.config.digest;
    if (!seen.has(configName)) {
      seen.add(configName);
      await addBuffer(configName, image.configBytes);
    }
    const layerNames: string[] = [];
    for (const layer of image.layers) {
      // Docker sniffs the compression, so the name only has to be unique.
      const name = `${layer.blob.digest.replace('sha256:', '')}.tar.gz`;
      if (!seen.has(name)) {
        seen.add(name);
        await pipeline(await layer.blob.open(), p.entry(header(name, layer.blob.size)));
      }
      layerNames.push(name);
    }
    manifest.push({ Config: configName, RepoTags: tags, Layers: layerNames });
  }
  await addBuffer('manifest.json', Buffer.from(JSON.stringify(manifest)));
  p.finalize();
}
