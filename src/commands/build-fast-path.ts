/**
 * Recording runs for the unchanged-run replay (replay.ts). A `kodev build`
 * or `kodev resolve` that pushes to a registry records what it printed, the
 * inputs it read (followed through the import clauses of the module's files,
 * gotool/static-inputs.ts, or from a `go list -deps` where those cannot tell,
 * beside layering and pushing) and the registry facts its output relies on. Anything a later
 * check cannot vouch for (a kodev.config.ts, which may import other files;
 * local or daemon bases; registries that want credentials; local outputs;
 * manifests from stdin) is not recorded.
 */
import { delimiter, dirname, join, resolve } from 'node:path';
import {
  type BuildRecord,
  inputStatus,
  type RegistryFact,
  settledBefore,
  treePaths,
  writeRecord,
} from '../build/build-record.js';
import type { BuildResult } from '../build/builder.js';
import { earlyCompileStartedAt, earlyCompiles } from '../build/early-compile.js';
import { withEnvEntries } from '../system/env.js';
import { resolvePublishOptions } from '../options/publish-options.js';
import { parseReference, referenceTarget } from '../registry/reference.js';
import { isFile } from '../system/files.js';
import type { CommandContext } from './context.js';
import type { BuildCommandFlags, BuildPipeline } from './pipeline.js';
import { runRecordFile } from './replay.js';
import { traceMark } from '../system/timings.js';

/** A run that may be recorded: where its record goes and what the replay needs to know. */
export interface RecordRequest {
  file: string;
  insecure: boolean;
  imageRefs?: string;
  tags: string[];
}

/** Where this run's record goes, or undefined when a replay could not vouch for it. */
export async function recordRequest(
  flags: BuildCommandFlags & { filename?: readonly string[] },
  ctx: CommandContext,
): Promise<RecordRequest | undefined> {
  if (!ctx.argv) return undefined;
  const publish = resolvePublishOptions(flags, ctx.env);
  if (!publish.push || publish.target !== 'registry' || publish.ociLayoutPath || publish.tarball)
    return undefined;
  if (flags.platform?.includes('all') || flags.filename?.includes('-')) return undefined;
  const file = await runRecordFile({
    argv: ctx.argv,
    env: ctx.env,
    cwd: ctx.cwd,
    hostArch: ctx.hostArch,
    homeDir: ctx.homeDir,
  });
  if (!file) return undefined;
  return {
    file,
    insecure: publish.insecureRegistry,
    tags: publish.tags,
    ...(publish.imageRefs ? { imageRefs: publish.imageRefs } : {}),
  };
}

/**
 * Records a full run. `observe` (every image is built) starts listing the
 * inputs of every package `refs` build, so the listing's CPU falls in the
 * push's network waits rather than in front of the layers' compression;
 * `save` then writes the record if no input (those listed, and `extraInputs`
 * such as the manifests read) changed after the recorder was made, before
 * any `go build` started.
 */
export function buildRecorder(
  req: RecordRequest,
  refs: readonly string[],
  ctx: CommandContext,
  extraInputs: readonly string[] = [],
) {
  // A compile may have started before this recorder (build/early-compile.ts).
  const startedAt = Math.min(Date.now(), earlyCompileStartedAt() ?? Infinity);
  let pipeline: BuildPipeline | undefined;
  let inputs: Promise<Set<string> | undefined> | undefined;
  let results: readonly BuildResult[] = [];
  const list = () =>
    (inputs ??= pipeline
      ? listInputs(refs, pipeline, ctx)
          .then((r) => (traceMark('listed the build record inputs'), r))
          .catch(() => undefined)
      : Promise.resolve(undefined));
  return {
    attach: (p: BuildPipeline) => (pipeline = p),
    observe: (r: readonly BuildResult[]) => {
      results = r;
      void list();
    },
    save: async (stdout: string, printed: readonly string[]) => {
      if (!pipeline) return;
      const paths = await list();
      if (!paths) return;
      let facts: RegistryFact[] | undefined;
      try {
        facts = registryFacts(printed, results, req.tags, pipeline);
      } catch {
        // A reference that does not parse cannot be checked later: no record.
        return;
      }
      if (!facts) return;
      const statuses = await inputStatus([...paths, ...extraInputs]);
      if (!settledBefore(statuses, startedAt)) return;
      const record: BuildRecord = {
        version: 2,
        stdout,
        ...(req.imageRefs
          ? { imageRefs: { file: req.imageRefs, text: printed.map((r) => `${r}\n`).join('') } }
          : {}),
        insecure: req.insecure,
        inputs: statuses,
        facts,
      };
      const compiles = earlyCompiles();
      if (compiles) record.compiles = compiles;
      await writeRecord(req.file, record).catch(() => undefined);
    },
  };
}

async function listInputs(refs: readonly string[], pipeline: BuildPipeline, ctx: CommandContext) {
  const [
    { loadImageInputs },
    { goBuildEnv, goBuildFlags },
    { parsePlatform },
    { goEnvFile, staticImageInputs },
  ] = await Promise.all([
    import('../dev/graph.js'),
    import('../build/go-args.js'),
    import('../oci/platform.js'),
    import('../gotool/static-inputs.js'),
  ]);
  const paths = new Set<string>();
  const go = await whichGo(pipeline.go.bin, ctx.env.PATH ?? '');
  if (!go) return undefined;
  paths.add(go);
  // `go env -w` settings (GOFLAGS, GOPROXY...) change builds the environment does not show.
  const envFile = goEnvFile(pipeline.go.env);
  if (envFile) paths.add(envFile);
  const identity = (t: string) => t;
  for (const ref of new Set(refs)) {
    const pkg = await pipeline.packages.resolve(ref);
    const envOf = (platform: string) =>
      withEnvEntries(
        pipeline.go.env,
        goBuildEnv(parsePlatform(platform), pipeline.config, pkg.build, identity),
      );
    const flags = goBuildFlags(pipeline.config, pkg.build, identity, {
      disableOptimizations: false,
      trimpath: true,
    });
    // Read from the files when it can be (every platform at once: constraints are ignored),
    // else one go list per platform.
    const found = await staticImageInputs(pkg, envOf(pipeline.platforms[0] ?? ''), flags);
    const inputs = found
      ? [found]
      : await Promise.all(
          pipeline.platforms.map((p) => loadImageInputs(pipeline.go, pkg, envOf(p), ctx.signal)),
        );
    for (const i of inputs) {
      for (const p of [...i.files, ...i.packageDirs, ...i.embedDirs, ...i.moduleFiles]) paths.add(p);
      for (const p of await treePaths(i.kodataDir)) paths.add(p);
      // A go.work appearing above the module would change the build.
      for (let d = i.moduleDir; ; d = dirname(d)) {
        paths.add(join(d, 'go.work'));
        if (dirname(d) === d) break;
      }
    }
  }
  return paths;
}

/** What the registry must still say for the printed references to be current. */
function registryFacts(
  printed: readonly string[],
  results: readonly BuildResult[],
  tags: readonly string[],
  pipeline: BuildPipeline,
): RegistryFact[] | undefined {
  const facts: RegistryFact[] = [];
  for (const base of pipeline.bases.loaded) {
    if (base.kind === 'scratch') continue;
    if (base.kind !== 'registry' || !base.digest) return undefined;
    const ref = parseReference(base.reference, 'base image');
    facts.push({
      registry: ref.registry,
      repository: ref.repository,
      reference: referenceTarget(ref),
      digest: base.digest,
    });
  }
  if (results.length !== printed.length) return undefined;
  printed.forEach((ref, i) => {
    const result = results[i] as BuildResult;
    // `repo@digest`, `repo:tag@digest` (with -t) or `repo:tag` (--tag-only).
    const parsed = parseReference(ref);
    const digest = parsed.digest ?? result.artifact.digest;
    const repo = { registry: parsed.registry, repository: parsed.repository };
    facts.push({ ...repo, reference: digest, digest });
    for (const tag of tags) facts.push({ ...repo, reference: tag, digest });
    for (const sbom of result.sboms.keys())
      facts.push({ ...repo, reference: `${sbom.replace(':', '-')}.sbom`, digest: '' });
  });
  return facts;
}

/** The go binary that will run: KO_GO_PATH's value if it is a path, else the first on PATH. */
async function whichGo(bin: string, path: string): Promise<string | undefined> {
  if (bin.includes('/')) return resolve(bin);
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const file = join(dir, bin);
    if (await isFile(file)) return file;
  }
  return undefined;
}
