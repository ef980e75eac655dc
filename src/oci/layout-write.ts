/**
 * Writes images and indexes into an OCI image layout. Blobs go first and
 * `index.json` is replaced atomically last, so an interrupted write never
 * leaves an entry pointing at missing content.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import { digestHex } from './digest.js';
import type { Artifact, Image } from './image.js';
import { type Descriptor, type Index, MediaType } from './types.js';

const REF_NAME = 'org.opencontainers.image.ref.name';

/** Adds the artifact to the layout at `dir` (created if needed), named `refName` when given. */
export async function writeOciLayout(dir: string, artifact: Artifact, refName?: string): Promise<Descriptor> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  if (artifact.kind === 'index') {
    for (const child of artifact.children) await writeImageBlobs(dir, child.image);
    await writeBlob(dir, artifact.digest, artifact.indexBytes);
  } else {
    await writeImageBlobs(dir, artifact);
  }
  const descriptor: Descriptor = {
    mediaType:
      artifact.kind === 'index'
        ? (artifact.index.mediaType ?? MediaType.ociIndex)
        : (artifact.manifest.mediaType ?? MediaType.ociManifest),
    digest: artifact.digest,
    size: artifact.kind === 'index' ? artifact.indexBytes.byteLength : artifact.manifestBytes.byteLength,
  };
  if (refName) descriptor.annotations = { [REF_NAME]: refName };
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const index = await readIndex(dir);
  index.manifests = index.manifests.filter(
    (d) =>
      !(refName
        ? d.annotations?.[REF_NAME] === refName
        : d.digest === descriptor.digest && !d.annotations?.[REF_NAME]),
  );
  index.manifests.push(descriptor);
  const tmp = join(dir, `.index.json.${process.pid}.tmp`);
  await writeFile(tmp, JSON.stringify(index, null, 2));
  await rename(tmp, join(dir, 'index.json'));
  return descriptor;
}

async function readIndex(dir: string): Promise<Index> {
  try {
    return JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as Index;
  } catch {
    return { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] };
  }
}

async function writeImageBlobs(dir: string, image: Image): Promise<void> {
  for (const layer of image.layers) {
    if (await hasBlob(dir, layer.blob.digest, layer.blob.size)) continue;
    // Layers are streamed to disk: a large base layer is never held in memory.
    const path = join(dir, 'blobs', 'sha256', digestHex(layer.blob.digest));
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      await pipeline(await layer.blob.open(), createWriteStream(tmp));
    } catch (err) {
      // A layer that fails its digest check (or its source) leaves nothing behind.
      await rm(tmp, { force: true });
      throw err;
    }
    await rename(tmp, path);
  }
  await writeBlob(dir, image.manifest.config.digest, image.configBytes);
  await writeBlob(dir, image.digest, image.manifestBytes);
}

async function hasBlob(dir: string, digest: string, size: number): Promise<boolean> {
  try {
    return (await stat(join(dir, 'blobs', 'sha256', digestHex(digest)))).size === size;
  } catch {
    return false;
  }
}

async function writeBlob(dir: string, digest: string, data: Buffer): Promise<void> {
  if (await hasBlob(dir, digest, data.byteLength)) return;
  const path = join(dir, 'blobs', 'sha256', digestHex(digest));
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}
