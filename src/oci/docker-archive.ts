/**
 * The docker-archive format (`docker save` / `docker load`): a tar holding
 * `manifest.json`, the image configs and the layers.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar-stream';
import { UserError } from '../errors.js';
import { dockerArchiveStream } from './docker-archive-stream.js';
import { sha256Digest } from './digest.js';
import { gunzip, gzipDeterministic, isGzip } from './gzip.js';
import { assembleImage, type Image, type Layer, memoryBlob } from './image.js';
import { type ConfigFile, MediaType } from './types.js';

interface ArchiveEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

/**
 * Reads one image from a docker-archive. `tag` picks among several images;
 * with none, the archive must hold exactly one. Uncompressed layers are
 * gzipped deterministically, and the image gets Docker media types, as a
 * registry would serve it after `docker push`.
 */
export async function readDockerArchive(file: string, tag?: string): Promise<Image> {
  const where = `docker archive ${file}`;
  const files = await readTarFiles(file, where);
  const manifestRaw = files.get('manifest.json');
  if (!manifestRaw)
    throw new UserError(`${where}: no manifest.json`, {
      hint: 'create it with `docker save` or `skopeo copy ... docker-archive:FILE`',
    });
  const entries = JSON.parse(manifestRaw.toString('utf8')) as ArchiveEntry[];
  const entry = tag
    ? entries.find((e) =>
        (e.RepoTags ?? []).some((t) => t === tag || t.endsWith(`/${tag}`) || t.split(':')[1] === tag),
      )
    : entries.length === 1
      ? entries[0]
      : undefined;
  if (!entry) {
    const tags = entries.flatMap((e) => e.RepoTags ?? []).join(', ') || 'none';
    throw new UserError(
      tag ? `${where}: no image tagged ${tag}` : `${where}: holds ${entries.length} images; say which`,
      {
        hint: `append :<tag> to the reference; tags: ${tags}`,
      },
    );
  }
  const configBytes = required(files, entry.Config, where);
  const config = JSON.parse(configBytes.toString('utf8')) as ConfigFile;
  const layers: Layer[] = [];
  for (const [i, name] of entry.Layers.entries()) {
    const raw = required(files, name, where);
    const compressed = isGzip(raw) ? raw : await gzipDeterministic(raw);
    const diffId = sha256Digest(isGzip(raw) ? gunzip(raw) : raw);
    const expected = config.rootfs?.diff_ids?.[i];
    if (expected && expected !== diffId) {
      throw new UserError(`${where}: layer ${name} does not match diff_id ${expected}`, {
        hint: 'the archive is corrupt; save it again',
      });
    }
    const blob = memoryBlob(compressed);
    layers.push({
      descriptor: { mediaType: MediaType.dockerLayerGzip, size: blob.size, digest: blob.digest },
      diffId,
      blob,
    });
  }
  // The config keeps its saved bytes so its digest matches the source image.
  return assembleImage({
    mediaType: MediaType.dockerManifest,
    configMediaType: MediaType.dockerConfig,
    config,
    configBytes,
    layers,
  });
}

function required(files: Map<string, Buffer>, name: string, where: string): Buffer {
  const data = files.get(name) ?? files.get(name.replace(/^\.\//, ''));
  if (!data)
    throw new UserError(`${where}: ${name} is listed in manifest.json but missing`, {
      hint: 'the archive is incomplete; save it again',
    });
  return data;
}

async function readTarFiles(file: string, where: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        if (header.type === 'file') files.set(header.name.replace(/^\.\//, ''), Buffer.concat(chunks));
        next();
      });
      stream.on('error', reject);
    });
    ex.on('finish', resolve);
    ex.on('error', (err) =>
      reject(err instanceof UserError ? err : new UserError(`${where}: not a tar archive`, { cause: err })),
    );
  });
  const input = createReadStream(file);
  input.on('error', (err) =>
    ex.destroy(
      new UserError(`${where}: cannot read (${(err as NodeJS.ErrnoException).code})`, { cause: err }),
    ),
  );
  input.pipe(ex);
  await done;
  return files;
}

/** Images and the tags each should carry in a written archive. */
export interface ArchiveImage {
  image: Image;
  tags: string[];
}

/** Writes a docker-archive loadable by `docker load`; layers are streamed and the file appears only when complete. */
export async function writeDockerArchive(file: string, images: readonly ArchiveImage[]): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await pipeline(dockerArchiveStream(images), createWriteStream(tmp));
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
