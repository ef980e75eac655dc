/**
 * Small runnable images for the Docker tests: the host's static busybox as the
 * one layer, made with kodev's own layer code, and a nonce in the config so
 * each image is new to the run's daemon.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { binaryTar, layerFromTar } from '../../src/build/layers.js';
import { assembleImage, assembleIndex, type Image, type ImageIndex } from '../../src/oci/image.js';
import { type ConfigFile, MediaType, type Platform } from '../../src/oci/types.js';

/** A statically linked busybox for the host architecture (Debian's busybox-static). */
export const BUSYBOX = '/bin/busybox';

/** An image whose entrypoint is busybox, so `docker run IMAGE echo hi` prints hi. */
export async function busyboxImage(platform: Platform): Promise<Image> {
  const tar = await binaryTar('/ko-app/busybox', await readFile(BUSYBOX), platform.os);
  const layer = await layerFromTar(tar, MediaType.dockerLayerGzip);
  const config: ConfigFile = {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: {
      Entrypoint: ['/ko-app/busybox'],
      Env: ['PATH=/ko-app', `KODEV_TEST_NONCE=${randomUUID()}`],
    },
    rootfs: { type: 'layers', diff_ids: [layer.diffId] },
  };
  return assembleImage({
    mediaType: MediaType.dockerManifest,
    configMediaType: MediaType.dockerConfig,
    config,
    layers: [layer],
  });
}

/** An index with one busybox child per platform (children for foreign platforms never run). */
export async function busyboxIndex(platforms: readonly Platform[]): Promise<ImageIndex> {
  const children = await Promise.all(
    platforms.map(async (platform) => ({
      descriptor: { mediaType: MediaType.dockerManifest, platform },
      image: await busyboxImage(platform),
    })),
  );
  return assembleIndex({ mediaType: MediaType.dockerManifestList, children });
}

/** A tar of the given files, as a stream (for hand-made, broken docker-archives). */
export function tarStream(files: Record<string, string>): Readable {
  const p = pack();
  for (const [name, content] of Object.entries(files)) p.entry({ name }, content);
  p.finalize();
  return Readable.from(p);
}
