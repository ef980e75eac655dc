/**
 * `kodev build`'s unchanged-build path. Before loading the build pipeline,
 * the request (arguments, flags, the environment Go and ko read, .ko.yaml)
 * is hashed; if a record for it exists, no input file changed, the base
 * tags still resolve as they did, and the registry still holds what was
 * pushed under the same tags, the recorded references are printed and
 * nothing is built. Every full registry build writes such a record, from a
 * `go list -deps` that runs beside `go build`. Anything the check cannot
 * vouch for (a kodev.config.ts, which may import other files; local or
 * daemon bases; registries that want credentials; local outputs) takes the
 * full build.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join, resolve } from 'node:path';
import {
  type BuildRecord,
  inputStatus,
  inputsUnchanged,
  readRecord,
  recordFile,
  type RegistryFact,
  requestKey,
  settledBefore,
  treePaths,
  writeRecord,
} from '../build/build-record.js';
import type { BuildResult } from '../build/builder.js';
import { cacheDir } from '../cache/content-cache.js';
import { resolvePublishOptions } from '../options/publish-options.js';
import { headManifest } from '../registry/head-check.js';
import { parseReference, referenceTarget } from '../registry/reference.js';
import { kodevVersion } from '../version.js';
import type { CommandContext } from './context.js';
import type { BuildCommandFlags, BuildPipeline } from './pipeline.js';

/** A build that may take the unchanged path: where its record lives. */
export interface FastPathRequest {
  file: string;
  insecure: boolean;
  imageRefs?: string;
  tags: string[];
}

const CODE_CONFIGS = ['kodev.config.ts', 'kodev.config.mts', 'kodev.config.js', 'kodev.config.mjs'];
/** Environment that changes what a build produces or where it goes. */
const RELEVANT_ENV =
  /^(GO|CGO_|KO_|KODEV_(?!TIMINGS)|SOURCE_DATE_EPOCH$|PATH$|HOME$|DOCKER_CONFIG$|XDG_|CC$|CXX$|AR$|PKG_CONFIG|GCCGO$)/;

/** The request's record location, or undefined when this build cannot take the unchanged path. */
export async function fastPathRequest(
  refs: readonly string[],
  flags: BuildCommandFlags,
  ctx: CommandContext,
): Promise<FastPathRequest | undefined> {
  const publish = resolvePublishOptions(flags, ctx.env);
  if (!publish.push || publish.target !== 'registry' || publish.ociLayoutPath || publish.tarball)
    return undefined;
  if (flags.platform?.includes('all')) return undefined;
  for (const name of CODE_CONFIGS) if (await isFile(join(ctx.cwd, name))) return undefined;
  const koYaml = await koYamlFile(ctx);
  const env = Object.fromEntries(
    Object.entries(ctx.env)
      .filter(([k]) => RELEVANT_ENV.test(k))
      .sort(([a], [b]) => a.localeCompare(b)),
  );
  const key = requestKey({
    kodev: kodevVersion(),
    cwd: ctx.cwd,
    hostArch: ctx.hostArch,
    refs,
    flags,
    env,
    koYaml: koYaml ? { path: koYaml, text: await readFile(koYaml, 'utf8') } : null,
  });
  return {
    file: recordFile(cacheDir(ctx.env, ctx.homeDir), key),
    insecure: publish.insecureRegistry,
    tags: publish.tags,
    ...(publish.imageRefs ? { imageRefs: publish.imageRefs } : {}),
  };
}

/** The recorded references when nothing changed since the recorded build, else undefined. */
export async function unchangedBuild(
  req: FastPathRequest,
  ctx: CommandContext,
): Promise<string[] | undefined> {
  const record = await readRecord(req.file);
  if (!record || !(await inputsUnchanged(record.inputs))) return undefined;
  const answers = await Promise.all(
    record.facts.map((f) =>
      headManifest(f.registry, f.repository, f.reference, { insecure: req.insecure, signal: ctx.signal }),
    ),
  );
  const hold = answers.every((a, i) => {
    const want = record.facts[i]?.digest;
    return typeof a === 'object' && (want === '' || a.digest === want);
  });
  if (!hold) return undefined;
  if (req.imageRefs) await writeFile(req.imageRefs, record.printed.map((r) => `${r}\n`).join(''));
  return record.printed;
}

/**
 * Records a full build. `compiled` (the first binary is done) starts listing
 * the inputs of every package `refs` build, one `go list -deps` per package
 * and platform, so it runs beside layering and pushing rather than competing
 * with `go build`; `save` then writes the record if no input changed after
 * the recorder was made (before any `go build` started).
 */
export function buildRecorder(req: FastPathRequest, refs: readonly string[], ctx: CommandContext) {
  const startedAt = Date.now();
  let pipeline: BuildPipeline | undefined;
  let inputs: Promise<Set<string> | undefined> | undefined;
  let results: readonly BuildResult[] = [];
  const list = () =>
    (inputs ??= pipeline
      ? listInputs(refs, pipeline, ctx).catch(() => undefined)
      : Promise.resolve(undefined));
  return {
    attach: (p: BuildPipeline) => (pipeline = p),
    compiled: async () => void list(),
    observe: (r: readonly BuildResult[]) => (results = r),
    save: async (printed: readonly string[]) => {
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
      const statuses = await inputStatus(paths);
      if (!settledBefore(statuses, startedAt)) return;
      const record: BuildRecord = { version: 1, printed: [...printed], inputs: statuses, facts };
      await writeRecord(req.file, record).catch(() => undefined);
    },
  };
}

async function listInputs(refs: readonly string[], pipeline: BuildPipeline, ctx: CommandContext) {
  const [{ loadImageInputs }, { goBuildEnv }, { parsePlatform }] = await Promise.all([
    import('../dev/graph.js'),
    import('../build/go-args.js'),
    import('../oci/platform.js'),
  ]);
  const paths = new Set<string>();
  const go = await whichGo(pipeline.go.bin, ctx.env.PATH ?? '');
  if (!go) return undefined;
  paths.add(go);
  for (const ref of new Set(refs)) {
    const pkg = await pipeline.packages.resolve(ref);
    for (const platform of pipeline.platforms.map((p) => parsePlatform(p))) {
      const goEnv = Object.fromEntries(
        goBuildEnv(platform, pipeline.config, pkg.build, (t) => t).map((kv) => [
          kv.slice(0, kv.indexOf('=')),
          kv.slice(kv.indexOf('=') + 1),
        ]),
      );
      const i = await loadImageInputs(pipeline.go, pkg, { ...pipeline.go.env, ...goEnv }, ctx.signal);
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

async function koYamlFile(ctx: CommandContext): Promise<string | undefined> {
  const configured = ctx.env.KO_CONFIG_PATH;
  const target = configured ? resolve(ctx.cwd, configured) : ctx.cwd;
  if (await isFile(target)) return target;
  const file = join(target, '.ko.yaml');
  return (await isFile(file)) ? file : undefined;
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}
