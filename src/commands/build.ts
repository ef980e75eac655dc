/** `kodev build`: import paths in, image references out (one per line, in argument order). */
import { UsageError } from '../errors.js';
import type { CommandContext } from './context.js';
import { buildRecorder, recordRequest } from './build-fast-path.js';
import { type BuildCommandFlags, openBuildPipeline } from './pipeline.js';

export type { BuildCommandFlags } from './pipeline.js';

/**
 * Runs a build and returns the printed references. An unchanged repeat of a
 * recorded build never gets here: the CLI's entry replays it (replay.ts).
 */
export async function buildCommand(
  refs: readonly string[],
  flags: BuildCommandFlags,
  ctx: CommandContext,
): Promise<string[]> {
  if (refs.length === 0)
    throw new UsageError('kodev build needs at least one import path', {
      hint: 'e.g. kodev build ./cmd/app',
    });
  const request = await recordRequest(flags, ctx);
  const recording = request ? buildRecorder(request, refs, ctx) : undefined;
  const pipeline = await openBuildPipeline(flags, ctx);
  try {
    recording?.attach(pipeline);
    const printed = await pipeline.buildAndPublish(refs, undefined, recording?.observe);
    await recording?.save(printed.map((r) => `${r}\n`).join(''), printed);
    return printed;
  } finally {
    await pipeline.close();
  }
}
