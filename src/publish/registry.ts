/**
 * Pushes built images and indexes to a registry: every blob first (in
 * parallel, skipping what exists, mounting what the registry already has
 * elsewhere), then manifests, index children (by digest) before the index,
 * so no manifest ever names a missing blob. A tagged image or index goes up
 * by its tags alone, as ko pushes it, unless SBOMs are attached to it.
 */
import pLimit from 'p-limit';
import type { BuildResult } from '../build/builder.js';
import { type Image, memoryBlob } from '../oci/image.js';
import type { BlobPushOutcome, RegistryClient } from '../registry/client.js';
import { splitRepository } from '../registry/reference.js';
import { imageName, type NamingStrategy } from './naming.js';
import type { Publisher } from './publisher.js';
import { traceMark } from '../system/timings.js';

/** Options for the registry publisher. */
export interface RegistryPublisherOptions {
  repo: string;
  naming: NamingStrategy;
  tags: string[];
  /** Show the first tag in printed references. */
  explicitTags: boolean;
  tagOnly: boolean;
  /** The client for a registry host (shared per host for auth and connections). */
  client: (registry: string) => RegistryClient;
  /** Concurrent blob uploads. */
  jobs: number;
  log: (message: string) => void;
  /** Called after an image or index is pushed by digest, before tagging (SBOM attachment). */
  afterPush?: (client: RegistryClient, repository: string, result: BuildResult) => Promise<void>;
}

/** Publishes to `KO_DOCKER_REPO`. */
export class RegistryPublisher implements Publisher {
  private readonly limit;

  /** Blob pushes under way, by registry, repository and digest. */
  private readonly pushing = new Map<string, Promise<BlobPushOutcome>>();

  /** Blob pushes `prepare` started, by image digest; `publish` takes each once. */
  private readonly prepared = new Map<string, Promise<BlobPushOutcome[]>>();

  constructor(private readonly o: RegistryPublisherOptions) {
    this.limit = pLimit(Math.max(1, o.jobs));
  }

  /**
   * Pushes a blob once per repository while the same push is under way (the
   * platforms of an index share their kodata layer and are pushed side by
   * side); a second ask waits for the first and counts the blob as there.
   */
  private once(
    client: RegistryClient,
    repository: string,
    digest: string,
    push: () => Promise<BlobPushOutcome>,
  ): Promise<BlobPushOutcome> {
    const key = `${client.registry}/${repository}@${digest}`;
    const started = this.pushing.get(key);
    if (started) return started.then(() => 'exists');
    const p = this.limit(push);
    this.pushing.set(key, p);
    // Only while it is under way: a later publish (the dev loop's next cycle) asks the registry again.
    void p.finally(() => this.pushing.delete(key)).catch(() => undefined);
    return p;
  }

  prepare(importPath: string, image: Image): void {
    if (this.prepared.has(image.digest)) return;
    let pushes: Promise<BlobPushOutcome[]>;
    try {
      const { registry, repository } = splitRepository(imageName(this.o.repo, importPath, this.o.naming));
      pushes = this.pushBlobs(this.o.client(registry), repository, image);
    } catch (err) {
      pushes = Promise.reject(err);
    }
    this.prepared.set(image.digest, pushes);
    // publish awaits it and reports a failure. One that failed before publish took it is dropped,
    // so publish tries afresh (the dev loop's next cycle may come much later).
    pushes.catch(() => {
      if (this.prepared.get(image.digest) === pushes) this.prepared.delete(image.digest);
    });
  }

  async publish(result: BuildResult): Promise<string> {
    const name = imageName(this.o.repo, result.importPath, this.o.naming);
    const { registry, repository } = splitRepository(name);
    const client = this.o.client(registry);
    const a = result.artifact;
    const counts: Record<BlobPushOutcome, number> = { exists: 0, mounted: 0, uploaded: 0 };
    traceMark(`pushing ${name}`);
    const bytes = a.kind === 'image' ? a.manifestBytes : a.indexBytes;
    const mediaType = (a.kind === 'image' ? a.manifest.mediaType : a.index.mediaType) ?? '';
    // A PUT by tag stores the manifest under its digest too, as ko pushes. It goes up by digest
    // first only when nothing will tag it, or when its SBOMs need it there to attach to.
    const byDigest = this.o.tags.length === 0 || result.sboms.size > 0;
    if (a.kind === 'image') {
      await this.pushImage(client, repository, a, counts, byDigest);
    } else {
      await Promise.all(a.children.map((c) => this.pushImage(client, repository, c.image, counts, true)));
      if (byDigest) await client.putManifest(repository, a.digest, bytes, mediaType);
    }
    await this.o.afterPush?.(client, repository, result);
    for (const tag of this.o.tags) await client.putManifest(repository, tag, bytes, mediaType);
    this.o.log(
      `Published ${name}@${a.digest} (blobs: ${counts.uploaded} uploaded, ${counts.mounted} mounted, ${counts.exists} already there; tags: ${this.o.tags.join(', ')})`,
    );
    if (this.o.tagOnly && this.o.explicitTags) return `${name}:${this.o.tags[0]}`;
    return `${name}${this.o.explicitTags ? `:${this.o.tags[0]}` : ''}@${a.digest}`;
  }

  private async pushImage(
    client: RegistryClient,
    repository: string,
    image: Image,
    counts: Record<BlobPushOutcome, number>,
    byDigest: boolean,
  ): Promise<void> {
    const prepared = this.prepared.get(image.digest);
    this.prepared.delete(image.digest);
    // Every blob must be in before the manifest goes up; a failure stops here.
    for (const outcome of await (prepared ?? this.pushBlobs(client, repository, image))) counts[outcome]++;
    if (byDigest)
      await client.putManifest(repository, image.digest, image.manifestBytes, image.manifest.mediaType ?? '');
  }

  /** Pushes every blob of an image (its layers and config) to `repository`. */
  private pushBlobs(client: RegistryClient, repository: string, image: Image): Promise<BlobPushOutcome[]> {
    const config = memoryBlob(image.configBytes);
    const jobs = [
      ...image.layers.map((l) => {
        const from =
          l.blob.source && l.blob.source.registry === client.registry ? l.blob.source.repository : undefined;
        return this.once(client, repository, l.blob.digest, () =>
          client.pushBlob(
            repository,
            { digest: l.blob.digest, size: l.blob.size, open: () => l.blob.open() },
            from,
          ),
        );
      }),
      this.once(client, repository, config.digest, () => client.pushBlob(repository, config)),
    ];
    return Promise.all(jobs);
  }
}
