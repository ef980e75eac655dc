/**
 * In-memory images and indexes whose blobs are read lazily, so a base image's
 * layers are only touched when an output needs their bytes.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { canonicalJson, sha256Digest } from './digest.js';
import type { ConfigFile, Descriptor, Index, Manifest } from './types.js';

/** A blob whose digest and size are known before its bytes are read. */
export interface Blob {
  digest: string;
  size: number;
  /** The whole content in memory; for small blobs (configs, manifests, SBOMs). */
  read(): Promise<Buffer>;
  /** The content as a stream, for layers: nothing is held in memory. */
  open(): Promise<Readable>;
  /** Where the blob already lives in a registry, so a push to that registry can mount it. */
  source?: { registry: string; repository: string };
}

/** One layer of an image: its descriptor, uncompressed digest and content. */
export interface Layer {
  descriptor: Descriptor;
  diffId: string;
  blob: Blob;
}

/** A single-platform image with its serialized manifest and config. */
export interface Image {
  kind: 'image';
  manifest: Manifest;
  manifestBytes: Buffer;
  digest: string;
  config: ConfigFile;
  configBytes: Buffer;
  layers: Layer[];
}

/** A multi-platform image index with its children. */
export interface ImageIndex {
  kind: 'index';
  index: Index;
  indexBytes: Buffer;
  digest: string;
  children: { descriptor: Descriptor; image: Image }[];
}

/** What a build produces and what a base image can be. */
export type Artifact = Image | ImageIndex;

/** A blob held in memory. */
export function memoryBlob(data: Buffer): Blob {
  return {
    digest: sha256Digest(data),
    size: data.byteLength,
    read: async () => data,
    open: async () => Readable.from([data]),
  };
}

/** A blob stored in a file, read on demand. */
export function fileBlob(path: string, digest: string, size: number): Blob {
  return { digest, size, read: () => readFile(path), open: async () => createReadStream(path) };
}

/** Reads a stream to the end into one Buffer. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Serializes a config and manifest into an Image. The manifest's config
 * descriptor and layer list are filled from the arguments.
 */
export function assembleImage(args: {
  mediaType: string;
  configMediaType: string;
  config: ConfigFile;
  layers: Layer[];
  annotations?: Record<string, string>;
  /** The config's exact bytes when they come from elsewhere (a base image). */
  configBytes?: Buffer;
}): Image {
  const configBytes = args.configBytes ?? canonicalJson(args.config);
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: args.mediaType,
    config: {
      mediaType: args.configMediaType,
      size: configBytes.byteLength,
      digest: sha256Digest(configBytes),
    },
    layers: args.layers.map((l) => l.descriptor),
  };
  if (args.annotations && Object.keys(args.annotations).length > 0)
    manifest.annotations = sortedRecord(args.annotations);
  const manifestBytes = canonicalJson(manifest);
  return {
    kind: 'image',
    manifest,
    manifestBytes,
    digest: sha256Digest(manifestBytes),
    config: args.config,
    configBytes,
    layers: args.layers,
  };
}

/** Serializes an index over already assembled children. */
export function assembleIndex(args: {
  mediaType: string;
  children: { descriptor: Omit<Descriptor, 'digest' | 'size'>; image: Image }[];
  annotations?: Record<string, string>;
}): ImageIndex {
  const children = args.children.map(({ descriptor, image }) => ({
    descriptor: {
      mediaType: image.manifest.mediaType ?? descriptor.mediaType,
      size: image.manifestBytes.byteLength,
      digest: image.digest,
      ...(descriptor.platform ? { platform: descriptor.platform } : {}),
      ...(descriptor.annotations ? { annotations: descriptor.annotations } : {}),
      ...(descriptor.urls ? { urls: descriptor.urls } : {}),
    },
    image,
  }));
  const index: Index = {
    schemaVersion: 2,
    mediaType: args.mediaType,
    manifests: children.map((c) => c.descriptor),
  };
  if (args.annotations && Object.keys(args.annotations).length > 0)
    index.annotations = sortedRecord(args.annotations);
  const indexBytes = canonicalJson(index);
  return { kind: 'index', index, indexBytes, digest: sha256Digest(indexBytes), children };
}

/** Returns a copy of the record with keys in sorted order, for stable JSON. */
export function sortedRecord(r: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
