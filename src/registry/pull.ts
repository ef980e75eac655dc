/**
 * Reads an image or index from a registry into kodev's image model. Manifests
 * and configs are small and verified (and cached by digest); layers stay in
 * the registry until an output needs them, then stream from it.
 */
import pLimit from 'p-limit';
import type { ContentCache } from '../cache/content-cache.js';
import { type Artifact, type Image, readAll } from '../oci/image.js';
import { type ConfigFile, type Index, isIndexMediaType, type Manifest } from '../oci/types.js';
import type { RegistryClient } from './client.js';
import { type ImageRef, referenceTarget } from './reference.js';

/** An index's platforms fetched at once. */
const CHILD_FETCHES = 8;

/** Fetches the artifact a reference names. */
export async function pullArtifact(
  client: RegistryClient,
  ref: ImageRef,
  cache?: ContentCache,
): Promise<Artifact> {
  const top = await manifest(client, ref.repository, referenceTarget(ref), cache);
  if (isIndexMediaType(top.mediaType)) {
    const index = JSON.parse(top.bytes.toString('utf8')) as Index;
    // Attestation entries (unknown/unknown) are never built on; skip fetching them.
    const wanted = index.manifests.filter(
      (d) => !isIndexMediaType(d.mediaType) && d.platform?.os !== 'unknown',
    );
    // Side by side: a base such as distroless lists half a dozen platforms, two requests each.
    const limit = pLimit(CHILD_FETCHES);
    const children = await Promise.all(
      wanted.map(async (d) => ({
        descriptor: d,
        image: await limit(() => pullImage(client, ref.repository, d.digest, cache)),
      })),
    );
    return {
      kind: 'index',
      index: { ...index, mediaType: index.mediaType ?? top.mediaType },
      indexBytes: top.bytes,
      digest: top.digest,
      children,
    };
  }
  return pullImage(client, ref.repository, top.digest, cache, top);
}

async function pullImage(
  client: RegistryClient,
  repo: string,
  digest: string,
  cache?: ContentCache,
  fetched?: { bytes: Buffer; mediaType: string; digest: string },
): Promise<Image> {
  const m = fetched ?? (await manifest(client, repo, digest, cache));
  const parsed = JSON.parse(m.bytes.toString('utf8')) as Manifest;
  const configBytes = await smallBlob(client, repo, parsed.config.digest, cache);
  const config = JSON.parse(configBytes.toString('utf8')) as ConfigFile;
  const diffIds = config.rootfs?.diff_ids ?? [];
  return {
    kind: 'image',
    manifest: { ...parsed, mediaType: parsed.mediaType ?? m.mediaType },
    manifestBytes: m.bytes,
    digest: m.digest,
    config,
    configBytes,
    layers: parsed.layers.map((d, i) => ({
      descriptor: d,
      diffId: diffIds[i] ?? '',
      blob: {
        digest: d.digest,
        size: d.size,
        source: { registry: client.registry, repository: repo },
        open: () => client.openBlob(repo, d.digest, d.size),
        read: async () => readAll(await client.openBlob(repo, d.digest, d.size)),
      },
    })),
  };
}

async function manifest(client: RegistryClient, repo: string, target: string, cache?: ContentCache) {
  if (target.startsWith('sha256:') && cache) {
    const bytes = await cache.get(target);
    if (bytes)
      return {
        bytes,
        digest: target,
        mediaType: (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType ?? '',
      };
  }
  const m = await client.getManifest(repo, target);
  await cache?.put(m.digest, m.bytes);
  return m;
}

async function smallBlob(
  client: RegistryClient,
  repo: string,
  digest: string,
  cache?: ContentCache,
): Promise<Buffer> {
  const hit = await cache?.get(digest);
  if (hit) return hit;
  // openBlob checks the digest as the bytes arrive.
  const data = await readAll(await client.openBlob(repo, digest));
  await cache?.put(digest, data);
  return data;
}
