/**
 * Caches built layers by what went into them, so an unchanged binary skips
 * tar and gzip (and, since its digest is unchanged, the upload). Entries are
 * verified against their digest when read; a corrupt entry is rebuilt.
 */
import { createHash } from 'node:crypto';
import { type Layer, memoryBlob } from '../oci/image.js';
import type { ContentCache } from './content-cache.js';

interface LayerRecord {
  digest: string;
  diffId: string;
  mediaType: string;
}

/** A cache of layers keyed by their inputs. */
export class LayerCache {
  private readonly storing = new Set<Promise<void>>();

  constructor(private readonly cache: ContentCache) {}

  /** Returns the cached layer for `inputs`, or builds, stores and returns it. */
  async getOrBuild(inputs: readonly (string | Uint8Array)[], build: () => Promise<Layer>): Promise<Layer> {
    const h = createHash('sha256');
    for (const part of inputs) {
      h.update(typeof part === 'string' ? Buffer.from(part) : part);
      h.update('\0');
    }
    const key = h.digest('hex');
    const record = await this.cache.getRecord<LayerRecord>('layers', key);
    if (record) {
      const data = await this.cache.get(record.digest);
      if (data) {
        const blob = memoryBlob(data);
        return {
          descriptor: { mediaType: record.mediaType, size: blob.size, digest: blob.digest },
          diffId: record.diffId,
          blob,
        };
      }
    }
    const layer = await build();
    // Stored while the layer is pushed, not before: `flush` waits for it.
    const store = (async () => {
      await this.cache.put(layer.blob.digest, await layer.blob.read());
      await this.cache.putRecord('layers', key, {
        digest: layer.blob.digest,
        diffId: layer.diffId,
        mediaType: layer.descriptor.mediaType,
      });
    })();
    this.storing.add(store);
    void store.finally(() => this.storing.delete(store)).catch(() => undefined);
    return layer;
  }

  /** Waits until every layer built so far is stored; the first failure, if any, is thrown. */
  async flush(): Promise<void> {
    await Promise.all([...this.storing]);
  }
}
