/**
 * kodev's cache (`KOCACHE`, else `$XDG_CACHE_HOME/kodev`, else
 * `~/.cache/kodev`): content stored by digest and checked on every read, so a
 * corrupted entry is dropped and fetched again, never served.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Env } from '../system/env.js';

/** The cache directory for an environment. */
export function cacheDir(env: Env, homeDir: string): string {
  if (env.KOCACHE) return env.KOCACHE;
  return join(env.XDG_CACHE_HOME || join(homeDir, '.cache'), 'kodev');
}

/** Content-addressed files under `<dir>/blobs/sha256/`. */
export class ContentCache {
  constructor(readonly dir: string) {}

  /** Path of a digest's file (it may not exist). */
  path(digest: string): string {
    return join(this.dir, 'blobs', 'sha256', digest.replace(/^sha256:/, ''));
  }

  /** Returns the bytes for a digest, or undefined when absent or corrupt (corrupt entries are removed). */
  async get(digest: string): Promise<Buffer | undefined> {
    let data: Buffer;
    try {
      data = await readFile(this.path(digest));
    } catch {
      return undefined;
    }
    if (`sha256:${createHash('sha256').update(data).digest('hex')}` !== digest) {
      await rm(this.path(digest), { force: true });
      return undefined;
    }
    return data;
  }

  /** Stores bytes under their digest, atomically. */
  async put(digest: string, data: Buffer): Promise<void> {
    const path = this.path(digest);
    await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(tmp, data);
    await rename(tmp, path);
  }

  /** Reads a small JSON record kept under `<dir>/<kind>/<key>.json`. */
  async getRecord<T>(kind: string, key: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(join(this.dir, kind, `${key}.json`), 'utf8')) as T;
    } catch {
      return undefined;
    }
  }

  /** Writes a small JSON record atomically. */
  async putRecord(kind: string, key: string, value: unknown): Promise<void> {
    await mkdir(join(this.dir, kind), { recursive: true });
    const path = join(this.dir, kind, `${key}.json`);
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(value));
    await rename(tmp, path);
  }
}
