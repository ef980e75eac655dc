/** `kodev build`: import paths in, image references out (one per line, in argument order). */
import { UsageError } from '../errors.js';
import type { CommandContext } from './context.js';
import { buildRecorder, fastPathRequest, unchangedBuild } from './build-fast-path.js';
import type { BuildCommandFlags } from './pipeline.js';

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
  const fast = await fastPathRequest(refs, flags, ctx);
  if (fast) {
    const printed = await unchangedBuild(fast, ctx);
    if (printed) {
      ctx.stderr('Nothing changed since the last identical build: no go build, no push\n');
      return printed;
    }
  }
  // Loaded only now: the unchanged path above needs none of it.
  const { openBuildPipeline } = await import('./pipeline.js');
  const recording = fast ? buildRecorder(fast, refs, ctx) : undefined;
  const pipeline = await openBuildPipeline(flags, ctx, recording ? { onCompiled: recording.compiled } : {});
  try {
    recording?.attach(pipeline);
    const printed = await pipeline.buildAndPublish(refs, undefined, recording?.observe);
    await recording?.save(printed);
    return printed;
  } finally {
    await pipeline.close();
  }
}
