/** `kodev resolve`: manifests in, the same manifests out with every ko:// reference replaced by a built image. */
import { ExternalCommandError, UserError } from '../errors.js';
import type { FilenameFlags } from '../options/filename-options.js';
import { type ManifestDocument, location, renderManifests } from '../resolve/documents.js';
import { findReferences } from '../resolve/references.js';
import { resolveManifests } from '../resolve/resolve.js';
import { selectDocuments } from '../resolve/selector.js';
import type { BuildResult } from '../build/builder.js';
import { buildRecorder, recordRequest } from './build-fast-path.js';
import type { CommandContext } from './context.js';
import { type ManifestInput, readManifests } from './manifests.js';
import { type BuildCommandFlags, type BuildPipeline, openBuildPipeline } from './pipeline.js';

/** All flags of `kodev resolve`. */
export type ResolveFlags = BuildCommandFlags & FilenameFlags;

/** Resolves the manifests and returns the YAML to print. */
export async function resolveCommand(
  flags: ResolveFlags,
  ctx: CommandContext,
  readStdin: () => Promise<string>,
): Promise<string> {
  const input = await readManifests(flags, ctx.cwd, readStdin);
  const selected = input.selector ? selectDocuments(input.docs, input.selector) : input.docs;
  // Without ko:// references there is nothing to build, and no KO_DOCKER_REPO is needed.
  const refs = [...new Set(findReferences(selected).map((s) => s.ref))];
  if (refs.length === 0) return renderManifests(selected);
  const request = await recordRequest(flags, ctx);
  const recording = request ? buildRecorder(request, refs, ctx, input.paths) : undefined;
  const pipeline = await openBuildPipeline(flags, ctx);
  try {
    recording?.attach(pipeline);
    let published: readonly string[] = [];
    const out = renderManifests(
      await resolveInput(input, pipeline, {
        built: (results) => recording?.observe(results),
        published: (printed) => (published = printed),
      }),
    );
    await recording?.save(out, published);
    return out;
  } finally {
    await pipeline.close();
  }
}

/** Builds and publishes every selected ko:// reference once, then returns the selected documents with them replaced. */
export async function resolveInput(
  input: ManifestInput,
  pipeline: BuildPipeline,
  hooks: {
    /** Every image is built; the push has not started. */
    built?: (results: readonly BuildResult[]) => void;
    published?: (printed: readonly string[]) => void;
  } = {},
): Promise<ManifestDocument[]> {
  const sites = new Map<string, string>();
  for (const s of findReferences(input.docs))
    if (!sites.has(s.ref)) sites.set(s.ref, location(s.source, s.line));
  return resolveManifests(input.docs, {
    ...(input.selector ? { selector: input.selector } : {}),
    publish: async (refs) => {
      const printed = await pipeline.buildAndPublish(
        refs,
        (ref, err) => withSite(sites.get(ref), err),
        hooks.built,
      );
      hooks.published?.(printed);
      return new Map(refs.map((r, i) => [r, printed[i] as string]));
    },
  });
}

/** Prefixes a build error with the file and line that wrote the reference. */
function withSite(where: string | undefined, err: unknown): unknown {
  if (!where) return err;
  if (err instanceof UserError) {
    const e = new (err.constructor as typeof UserError)(`${where}: ${err.message}`, {
      ...(err.hint ? { hint: err.hint } : {}),
      cause: err,
    });
    return e;
  }
  if (err instanceof ExternalCommandError)
    return new ExternalCommandError(`${where}: ${err.message}`, err.command, err.output, { cause: err });
  return err;
}
