/** A publisher that writes nothing and returns the reference it would push. */
import type { BuildResult } from '../build/builder.js';
import { imageName, type NamingStrategy } from './naming.js';
import type { Publisher } from './publisher.js';

/** Options for the no-op publisher. */
export interface NoopOptions {
  repo: string;
  naming: NamingStrategy;
  /** Explicit tag to show in the reference, if any. */
  tag?: string;
  tagOnly: boolean;
}

/** Prints `<repo>/<name>[:tag]@sha256:...` (or `:tag` alone with --tag-only). */
export class NoopPublisher implements Publisher {
  constructor(private readonly o: NoopOptions) {}

  async publish(result: BuildResult): Promise<string> {
    const name = imageName(this.o.repo, result.importPath, this.o.naming);
    if (this.o.tagOnly && this.o.tag) return `${name}:${this.o.tag}`;
    return `${name}${this.o.tag ? `:${this.o.tag}` : ''}@${result.artifact.digest}`;
  }
}
