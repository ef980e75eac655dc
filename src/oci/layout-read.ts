/**
 * Reads images and indexes out of an OCI image layout directory, verifying
 * every manifest, config and layer against its digest.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { digestHex, sha256Digest } from './digest.js';
import type { Artifact, Blob, Image, Layer } from './image.js';
import { verifyingStream } from './verify-stream.js';
import { type ConfigFile, type Descriptor, type Index, isIndexMediaType, type Manifest } from './types.js';

const REF_NAME = 'org.opencontainers.image.ref.name';

/**
 * Reads the artifact that `ref` names in the layout at `dir`: a tag (matched
 * against `org.opencontainers.image.ref.name`), a `sha256:` digest, or nothing
 * when the layout holds exactly one entry.
 */
export async function readOciLayout(dir: string, ref?: string): Promise<Artifact> {
  const where = `OCI layout ${dir}`;
  let indexRaw: Buffer;
  try {
    await readFile(join(dir, 'oci-layout'));
    indexRaw = await readFile(join(dir, 'index.json'));
  } catch (err) {
    throw new UserError(`${where}: not an OCI image layout (no oci-layout or index.json)`, {
      hint: 'point the base image at a directory written by skopeo, umoci or `kodev build --oci-layout-path`',
      cause: err,
    });
  }
  const top = parseJson<Index>(indexRaw, `${where}/index.json`);
  const entries = top.manifests ?? [];
  let chosen: Descriptor | undefined;
  if (ref?.startsWith('sha256:')) chosen = entries.find((d) => d.digest === ref);
  else if (ref) chosen = entries.find((d) => d.annotations?.[REF_NAME] === ref);
  else if (entries.length === 1) chosen = entries[0];
  if (!chosen) {
    const names = entries.map((d) => d.annotations?.[REF_NAME] ?? d.digest).join(', ') || 'none';
    throw new UserError(
      ref
        ? `${where}: no image named ${JSON.stringify(ref)}`
        : `${where}: holds ${entries.length} images; say which`,
      { hint: `append :<name> or @sha256:<digest> to the reference; entries: ${names}` },
    );
  }
  return readDescriptor(dir, chosen, where);
}

async function readDescriptor(dir: string, desc: Descriptor, where: string): Promise<Artifact> {
  const raw = await readVerified(dir, desc.digest, where);
  if (isIndexMediaType(desc.mediaType)) {
    const index = parseJson<Index>(raw, `${where} index ${desc.digest}`);
    const children: { descriptor: Descriptor; image: Image }[] = [];
    for (const child of index.manifests) {
      if (isIndexMediaType(child.mediaType)) continue; // nested indexes are not bases
      const image = (await readDescriptor(dir, child, where)) as Image;
      children.push({ descriptor: child, image });
    }
    return { kind: 'index', index, indexBytes: raw, digest: desc.digest, children };
  }
  const manifest = parseJson<Manifest>(raw, `${where} manifest ${desc.digest}`);
  const configBytes = await readVerified(dir, manifest.config.digest, where);
  const config = parseJson<ConfigFile>(configBytes, `${where} config ${manifest.config.digest}`);
  const diffIds = config.rootfs?.diff_ids ?? [];
  const layers: Layer[] = manifest.layers.map((d, i) => ({
    descriptor: d,
    diffId: diffIds[i] ?? '',
    blob: verifiedFileBlob(dir, d, where),
  }));
  return {
    kind: 'image',
    manifest: { ...manifest, mediaType: manifest.mediaType ?? desc.mediaType },
    manifestBytes: raw,
    digest: desc.digest,
    config,
    configBytes,
    layers,
  };
}

function blobPath(dir: string, digest: string): string {
  return join(dir, 'blobs', 'sha256', digestHex(digest));
}

async function readVerified(dir: string, digest: string, where: string): Promise<Buffer> {
  let data: Buffer;
  try {
    data = await readFile(blobPath(dir, digest));
  } catch (err) {
    throw new UserError(`${where}: blob ${digest} is missing`, {
      hint: 'the layout is incomplete; copy it again',
      cause: err,
    });
  }
  if (sha256Digest(data) !== digest) {
    throw new UserError(`${where}: blob ${digest} does not match its digest`, {
      hint: 'the layout is corrupt; copy it again',
    });
  }
  return data;
}

function verifiedFileBlob(dir: string, d: Descriptor, where: string): Blob {
  const path = blobPath(dir, d.digest);
  return {
    digest: d.digest,
    size: d.size,
    read: () => readVerified(dir, d.digest, where),
    // Layers stream from the file, checked against their digest as they pass.
    open: async () => {
      const input = createReadStream(path);
      const check = verifyingStream(d.digest, d.size, `${where}: blob ${d.digest}`);
      input.on('error', (err) =>
        check.destroy(new UserError(`${where}: blob ${d.digest} is missing`, { cause: err })),
      );
      return input.pipe(check);
    },
  };
}

function parseJson<T>(raw: Buffer, where: string): T {
  try {
    return JSON.parse(raw.toString('utf8')) as T;
  } catch (err) {
    throw new UserError(`${where}: invalid JSON`, { cause: err });
  }
}
