/** `kodev build`: import paths in, image references out (one per line, in argument order). */
import { UsageError } from '../errors.js';
import type { CommandContext } from './context.js';
import { type BuildCommandFlags, openBuildPipeline } from './pipeline.js';

export type { BuildCommandFlags } from './pipeline.js';

/** Runs a build and returns the printed references. */
export async function buildCommand(
  refs: readonly string[],
  flags: BuildCommandFlags,
  ctx: CommandContext,
): Promise<string[]> {
  if (refs.length === 0)
    throw new UsageError('kodev build needs at least one import path', {
      hint: 'e.g. kodev build ./cmd/app',
    });
  const pipeline = await openBuildPipeline(flags, ctx);
  try {
    return await pipeline.buildAndPublish(refs);
  } finally {
    await pipeline.close();
  }
}
