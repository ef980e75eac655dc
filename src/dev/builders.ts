/**
 * The two ways the dev loop builds an image's output: an image pushed to the
 * target (cluster runtime), or a host binary on disk (local runtime). Both
 * report the binary's content ID so the engine can tell a functionally
 * identical rebuild from a real change.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { GoBuilder, GoBuilderOptions } from '../build/go-builder.js';
import type { Publisher } from '../publish/publisher.js';
import { type GoTool, goContentId } from '../gotool/go.js';
import type { Platform } from '../oci/types.js';
import type { ImageBuilder, PhaseTimer } from './engine.js';

type FreshBuilder = (extra: Pick<GoBuilderOptions, 'log' | 'onCompiled'>) => GoBuilder;

/** Builds images and publishes them (registry, ko.local or kind.local). */
export class PublishingBuilder implements ImageBuilder {
  constructor(
    private readonly o: {
      go: GoTool;
      fresh: FreshBuilder;
      publisher: Publisher;
      log: (importPath: string, line: string) => void;
      /** Told when the image starts going to the registry. */
      pushing?: (importPath: string) => void;
      now?: () => number;
    },
  ) {}

  async build(importPath: string, signal: AbortSignal, time: PhaseTimer, lastContentId: string | undefined) {
    const now = this.o.now ?? performance.now.bind(performance);
    const ids: string[] = [];
    let compileMs = 0;
    const builder = this.o.fresh({
      log: (line) => this.o.log(importPath, line),
      onCompiled: async (e) => {
        compileMs = Math.max(compileMs, e.compileMs);
        ids.push(await goContentId(this.o.go, e.file));
      },
    });
    const started = now();
    const result = await builder.build(importPath, signal);
    const built = now();
    time('compile', compileMs);
    time('layer', built - started - compileMs);
    signal.throwIfAborted();
    const contentId = ids.sort().join(',');
    // A functionally identical binary (a comment-only edit): nothing to push, apply or restart.
    if (contentId === lastContentId) return { contentId };
    this.o.pushing?.(importPath);
    const reference = await this.o.publisher.publish(result);
    time('publish', now() - built);
    return { contentId, output: reference };
  }
}

/** Builds host binaries into a state directory for the local runtime. */
export class BinaryBuilder implements ImageBuilder {
  private seq = 0;
  private readonly last = new Map<string, string>();

  constructor(
    private readonly o: {
      go: GoTool;
      fresh: FreshBuilder;
      platform: Platform;
      dir: string;
      log: (importPath: string, line: string) => void;
    },
  ) {}

  async build(importPath: string, signal: AbortSignal, time: PhaseTimer, lastContentId: string | undefined) {
    await mkdir(this.o.dir, { recursive: true });
    const name = importPath.replace(/[^A-Za-z0-9._-]+/g, '_');
    // A new file per build: a running process keeps its old binary until it is restarted.
    const tmp = join(this.o.dir, `.${name}.${process.pid}.${++this.seq}`);
    let contentId = '';
    const builder = this.o.fresh({
      log: (line) => this.o.log(importPath, line),
      onCompiled: async (e) => {
        time('compile', e.compileMs);
        contentId = await goContentId(this.o.go, e.file);
      },
    });
    try {
      await builder.buildBinary(importPath, this.o.platform, tmp, signal);
      if (contentId === lastContentId) return { contentId };
      const out = join(this.o.dir, `${name}-${this.seq}`);
      await rename(tmp, out);
      // The previous binary's process is restarted onto the new one; older files are no longer used.
      const previous = this.last.get(importPath);
      this.last.set(importPath, out);
      if (previous) await rm(previous, { force: true });
      return { contentId, output: out };
    } finally {
      await rm(tmp, { force: true });
    }
  }
}
