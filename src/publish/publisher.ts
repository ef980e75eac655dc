/** The seam between a built artifact and where it ends up. */
import type { BuildResult } from '../build/builder.js';
import type { Image } from '../oci/image.js';

/** Puts a built image somewhere and returns the reference to print. */
export interface Publisher {
  publish(result: BuildResult): Promise<string>;
  /**
   * Starts on an image of `importPath` as soon as it is built, before the
   * other builds end and before `publish` (the registry uploads its blobs;
   * no manifest goes anywhere until `publish`). Never throws: `publish`
   * reports any failure.
   */
  prepare?(importPath: string, image: Image): void;
  /** Throws if the result cannot be published here; called for every result before any is published. */
  validate?(result: BuildResult): void;
  /** Flushes anything written once for all results (a tarball). */
  close?(): Promise<void>;
  /** Releases connections; writes nothing. Called on every path, success or failure. */
  dispose?(): Promise<void>;
}

/** Publishes to each publisher in turn; the reference printed is the last one's. */
export class MultiPublisher implements Publisher {
  constructor(private readonly publishers: readonly Publisher[]) {}

  async publish(result: BuildResult): Promise<string> {
    let ref = '';
    for (const p of this.publishers) ref = await p.publish(result);
    return ref;
  }

  validate(result: BuildResult): void {
    for (const p of this.publishers) p.validate?.(result);
  }

  prepare(importPath: string, image: Image): void {
    for (const p of this.publishers) p.prepare?.(importPath, image);
  }

  async close(): Promise<void> {
    for (const p of this.publishers) await p.close?.();
  }

  async dispose(): Promise<void> {
    for (const p of this.publishers) await p.dispose?.();
  }
}
