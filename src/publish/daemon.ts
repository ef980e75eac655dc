/**
 * Publishing to the local Docker daemon (`ko.local`), as ko does: the image is
 * loaded as `<repo>/<name>:<manifest digest hex>`, then tagged with every
 * `-t` tag. An image the daemon already holds is only tagged, not sent again.
 */
import type { BuildResult } from '../build/builder.js';
import { childForPlatform } from './daemon-platform.js';
import { dockerArchiveStream } from '../oci/docker-archive-stream.js';
import type { EngineClient } from '../docker/engine.js';
import type { EnginePlatform } from '../docker/host.js';
import { digestHex } from '../oci/digest.js';
import type { Image, ImageIndex } from '../oci/image.js';
import { imageName, type NamingStrategy } from './naming.js';
import type { Publisher } from './publisher.js';

/** The repository ko uses for the local daemon. */
export const DAEMON_REPO = 'ko.local';

/** Options for the daemon publisher. */
export interface DaemonPublisherOptions {
  engine: EngineClient;
  /** Repository images are named under (default `ko.local`). */
  repo?: string;
  naming: NamingStrategy;
  /** Tags added besides the digest tag. */
  tags: readonly string[];
  /** Progress lines (loading, skipping, tagging). */
  log?: (message: string) => void;
}

/** Loads built images into a Docker daemon and returns `<repo>/<name>:<digest hex>`. */
export class DaemonPublisher implements Publisher {
  private readonly repo: string;
  private platform?: Promise<EnginePlatform>;

  constructor(private readonly o: DaemonPublisherOptions) {
    this.repo = o.repo ?? DAEMON_REPO;
  }

  async publish(result: BuildResult): Promise<string> {
    const { engine } = this.o;
    const log = this.o.log ?? (() => undefined);
    const a = result.artifact;
    const image = a.kind === 'image' ? a : await this.pickChild(result.importPath, a);
    const name = imageName(this.repo, result.importPath, this.o.naming);
    const hex = digestHex(image.digest);
    const digestTag = `${name}:${hex}`;
    const configDigest = image.manifest.config.digest;

    // With the classic image store the image ID is the config digest; with the
    // containerd store it is not, and our own digest tag tells the same thing.
    const existing = (await engine.imageInspect(configDigest)) ?? (await engine.imageInspect(digestTag));
    let id: string;
    if (existing) {
      id = existing.Id || configDigest;
      log(`Image ${digestTag} is already in the Docker daemon at ${engine.host.address}; skipping load`);
      await engine.tagImage(id, name, hex);
    } else {
      log(`Loading ${digestTag} into the Docker daemon at ${engine.host.address}`);
      await engine.loadImage(dockerArchiveStream([{ image, tags: [digestTag] }]));
      log(`Loaded ${digestTag}`);
      id = digestTag;
    }
    for (const tag of this.o.tags) {
      await engine.tagImage(id, name, tag);
      log(`Added tag ${name}:${tag}`);
    }
    return digestTag;
  }

  /** A daemon holds single-platform images: the index child for the daemon's own platform. */
  private async pickChild(importPath: string, index: ImageIndex): Promise<Image> {
    this.platform ??= this.o.engine.info();
    return childForPlatform(
      importPath,
      index,
      await this.platform,
      `the Docker daemon at ${this.o.engine.host.address}`,
      'this daemon',
    );
  }
}
