/**
 * Reads an image out of a Docker daemon (a `ko.local/...` base image) through
 * `docker save`, so a base the user built locally needs no registry.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { readDockerArchive } from '../oci/docker-archive.js';
import type { Image } from '../oci/image.js';
import type { EngineClient } from './engine.js';

/**
 * Saves `ref` from the daemon into a temp file under `tmpDir` and reads it
 * back as an Image. A reference without tag or digest means `:latest`, as
 * `docker save repo` would otherwise export every tag of the repository.
 */
export async function readDaemonImage(engine: EngineClient, ref: string, tmpDir: string): Promise<Image> {
  const dir = await mkdtemp(join(tmpDir, 'kodev-daemon-'));
  try {
    const file = join(dir, 'image.tar');
    await pipeline(await engine.saveImage(withTag(ref)), createWriteStream(file));
    return await readDockerArchive(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `repo` becomes `repo:latest`; `repo:tag`, `repo@sha256:...` and IDs are kept. */
export function withTag(ref: string): string {
  if (ref.includes('@') || /^(sha256:)?[a-f0-9]{64}$/.test(ref)) return ref;
  const last = ref.slice(ref.lastIndexOf('/') + 1);
  return last.includes(':') ? ref : `${ref}:latest`;
}
