/** Chooses the publishers that the publish options ask for. */
import type { PublishOptions } from '../options/publish-options.js';
import { LayoutPublisher } from './layout.js';
import { NoopPublisher } from './noop.js';
import { MultiPublisher, type Publisher } from './publisher.js';
import { TarballPublisher } from './tarball.js';

/** Local outputs first, then the publisher whose reference is printed. */
export function makePublisher(o: PublishOptions): Publisher {
  const publishers: Publisher[] = [];
  if (o.ociLayoutPath) publishers.push(new LayoutPublisher(o.ociLayoutPath, o.naming));
  if (o.tarball) publishers.push(new TarballPublisher(o.tarball, o.repo, o.naming, o.tags));
  publishers.push(
    new NoopPublisher({
      repo: o.repo,
      naming: o.naming,
      tagOnly: o.tagOnly,
      ...(o.explicitTags && o.tags[0] ? { tag: o.tags[0] } : {}),
    }),
  );
  return new MultiPublisher(publishers);
}
