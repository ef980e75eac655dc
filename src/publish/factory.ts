/** Chooses the publishers that the publish options ask for. */
import type { PublishOptions } from '../options/publish-options.js';
import { LayoutPublisher } from './layout.js';
import { NoopPublisher } from './noop.js';
import { MultiPublisher, type Publisher } from './publisher.js';
import { RegistryPublisher, type RegistryPublisherOptions } from './registry.js';
import { TarballPublisher } from './tarball.js';
import type { EngineClient } from '../docker/engine.js';
import { DaemonPublisher } from './daemon.js';
import { KindPublisher, type KindOptions } from './kind.js';

/** What publishing to a registry needs besides the options. */
export interface PublisherDeps {
  registry: Omit<RegistryPublisherOptions, 'repo' | 'naming' | 'tags' | 'explicitTags' | 'tagOnly'>;
  /** The Docker daemon, for ko.local and kind.local (connected on first use). */
  engine: () => EngineClient;
  kind: KindOptions;
  log: (message: string) => void;
}

/** Local outputs first, then the publisher whose reference is printed (the registry when pushing). */
export function makePublisher(o: PublishOptions, deps: PublisherDeps): Publisher {
  const publishers: Publisher[] = [];
  if (o.ociLayoutPath) publishers.push(new LayoutPublisher(o.ociLayoutPath, o.naming));
  if (o.tarball) publishers.push(new TarballPublisher(o.tarball, o.repo, o.naming, o.tags));
  if (o.target === 'daemon') {
    publishers.push(
      new DaemonPublisher({
        engine: deps.engine(),
        repo: o.repo,
        naming: o.naming,
        tags: o.tags,
        log: deps.log,
      }),
    );
  } else if (o.target === 'kind') {
    publishers.push(
      new KindPublisher({
        ...deps.kind,
        engine: deps.engine(),
        repo: o.repo,
        naming: o.naming,
        tags: o.tags,
        log: deps.log,
      }),
    );
  } else if (o.push) {
    publishers.push(
      new RegistryPublisher({
        ...deps.registry,
        repo: o.repo,
        naming: o.naming,
        tags: o.tags,
        explicitTags: o.explicitTags,
        tagOnly: o.tagOnly,
      }),
    );
  } else {
    publishers.push(
      new NoopPublisher({
        repo: o.repo,
        naming: o.naming,
        tagOnly: o.tagOnly,
        ...(o.explicitTags && o.tags[0] ? { tag: o.tags[0] } : {}),
      }),
    );
  }
  return new MultiPublisher(publishers);
}
