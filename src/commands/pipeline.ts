/**
 * The build-then-publish wiring every building command shares (build, resolve,
 * apply, create, run, deps): flags and environment in, a builder and a
 * publisher out.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BaseResolver } from '../build/base.js';
import { ContentCache, cacheDir } from '../cache/content-cache.js';
import { LayerCache } from '../cache/layer-cache.js';
import { buildAll } from '../build/build-all.js';
import { GoBuilder, type GoBuilderOptions } from '../build/go-builder.js';
import { SbomRecorder } from '../build/sbom-recorder.js';
import { kodevVersion } from '../version.js';
import { gitTemplateData } from '../config/git-info.js';
import { loadConfig } from '../config/load.js';
import { EMPTY_GIT_INFO, renderTemplate, templatedValues } from '../config/template.js';
import type { KodevConfig } from '../config/types.js';
import { UserError } from '../errors.js';
import { type GoTool, goTool } from '../gotool/go.js';
import { MainPackageResolver } from '../gotool/main-package.js';
import { prepareGzipWorkers } from '../oci/gzip.js';
import { requestedPlatforms } from '../oci/platform.js';
import {
  type BuildFlags,
  checkPlatforms,
  checkSbomFormat,
  parseKeyValues,
} from '../options/build-options.js';
import { type PublishFlags, type PublishOptions, resolvePublishOptions } from '../options/publish-options.js';
import type { Publisher } from '../publish/publisher.js';
import type { Builder, BuildResult } from '../build/builder.js';
import type { Artifact } from '../oci/image.js';
import { makePublisher } from '../publish/factory.js';
import { connectEngine, type EngineClient } from '../docker/engine.js';
import { readDaemonImage } from '../docker/read-image.js';
import { kindOptionsFromEnv } from '../publish/kind.js';
import { publishAll } from '../publish/publish-all.js';
import { attachSboms } from '../publish/sbom-attach.js';
import { resolveCredential } from '../registry/credentials.js';
import { RegistrySession } from '../registry/session.js';
import type { CommandContext } from './context.js';

/** All flags of a command that builds and publishes. */
export type BuildCommandFlags = BuildFlags & PublishFlags;

/** Builders and publishers wired from the build and publish flags, shared by every command that builds. */
export interface BuildPipeline {
  builder: Builder;
  publisher: Publisher;
  publish: PublishOptions;
  /** Builds every reference (each distinct one once), then publishes them all; references in input order. */
  buildAndPublish(
    refs: readonly string[],
    annotate?: (ref: string, err: unknown) => unknown,
    observe?: (results: readonly BuildResult[]) => void,
  ): Promise<string[]>;
  /** The base images loaded so far (for the build record). */
  bases: BaseResolver;
  /** Pulls an image or index from its registry (for commands that read images, like deps); `name` is the reference in full. */
  pull(reference: string): Promise<{ name: string; artifact: Artifact }>;
  /** Releases connections. */
  close(): Promise<void>;
  config: KodevConfig;
  go: GoTool;
  packages: MainPackageResolver;
  /** The platform spec builds use. */
  platforms: string[];
  /** A builder with no memory of earlier builds (the dev loop makes one per rebuild), with its own log and hooks. */
  freshBuilder(extra: Pick<GoBuilderOptions, 'log' | 'onCompiled'>): GoBuilder;
}

/** Validates the flags and wires the builder and publisher; call `close` when done. */
export async function openBuildPipeline(
  flags: BuildCommandFlags,
  ctx: CommandContext,
): Promise<BuildPipeline> {
  if (flags.platform?.length) checkPlatforms(flags.platform);
  const sbomFormat = checkSbomFormat(flags.sbom);
  const publish = resolvePublishOptions(flags, ctx.env);
  // Instantiated in the background, with its worker threads, ready when the first layer is compressed.
  prepareGzipWorkers().catch(() => undefined);
  const config = await loadConfig({ cwd: ctx.cwd, env: ctx.env });
  const platforms = requestedPlatforms(flags.platform, config.defaultPlatforms, ctx.hostArch);
  checkPlatforms(platforms);
  const go = goTool(ctx.env);
  const log = (m: string) => ctx.stderr(`${m}\n`);
  const cache = new ContentCache(cacheDir(ctx.env, ctx.homeDir));
  let daemon: EngineClient | undefined;
  const engine = () => (daemon ??= connectEngine(ctx.env));
  const session = new RegistrySession({
    credentials: (registry) =>
      resolveCredential(registry, { env: ctx.env, homeDir: ctx.homeDir, signal: ctx.signal }),
    insecure: flags.insecureRegistry,
    cache,
    signal: ctx.signal,
    ...(ctx.verbose ? { log } : {}),
  });
  const git = templatedValues(config).some((s) => s.includes('.Git'))
    ? await gitTemplateData(config.baseDir)
    : EMPTY_GIT_INFO;
  const date = ctx.now();
  const templateEnv = { LDFLAGS: '', ...ctx.env };
  const packages = new MainPackageResolver(go, ctx.cwd, config);
  const bases = new BaseResolver(
    config,
    (ref, source) => session.pull(ref, source),
    (ref) => readDaemonImage(engine(), ref, ctx.tmpDir),
  );
  const layerCache = new LayerCache(cache);
  const builderOptions: GoBuilderOptions = {
    go,
    config,
    packages,
    bases,
    platforms,
    disableOptimizations: flags.disableOptimizations,
    trimpath: true,
    ...epoch('SOURCE_DATE_EPOCH', ctx.env.SOURCE_DATE_EPOCH, 'sourceDateEpoch'),
    ...epoch('KO_DATA_DATE_EPOCH', ctx.env.KO_DATA_DATE_EPOCH, 'kodataDateEpoch'),
    labels: parseKeyValues(flags.imageLabel, '--image-label'),
    annotations: parseKeyValues(flags.imageAnnotation, '--image-annotation'),
    ...(flags.imageUser !== undefined ? { user: flags.imageUser } : {}),
    jobs: flags.jobs,
    tmpDir: ctx.tmpDir,
    binDir: join(cacheDir(ctx.env, ctx.homeDir), 'bin'),
    render: (t) => renderTemplate(t, { env: templateEnv, git, date }),
    log,
    layerCache,
    // Blobs of a finished image go up while the others build.
    onImage: (importPath, image) => publisher.prepare?.(importPath, image),
    sbom: new SbomRecorder({
      format: sbomFormat,
      toolName: `kodev-${kodevVersion()}`,
      ...(flags.sbomDir ? { dir: flags.sbomDir } : {}),
    }),
  };
  const builder = new GoBuilder(builderOptions);
  const publisher = makePublisher(publish, {
    registry: {
      client: (r) => session.client(r),
      jobs: Math.max(4, flags.jobs),
      log,
      afterPush: (client, repository, result) => attachSboms(client, repository, result, log),
    },
    engine,
    kind: kindOptionsFromEnv(ctx.env),
    log,
  });
  const close = async () => {
    // Layers go into the cache while they are pushed; a failed store only costs the next build time.
    await layerCache.flush().catch(() => undefined);
    await publisher.dispose?.();
    await session.close();
    await daemon?.close();
  };
  return {
    builder,
    publisher,
    publish,
    close,
    config,
    go,
    packages,
    platforms,
    bases,
    freshBuilder: (extra) => new GoBuilder({ ...builderOptions, ...extra }),
    pull: (reference) => session.pull(reference, 'image reference'),
    buildAndPublish: async (refs, annotate, observe) => {
      const results = await buildAll(builder, refs, ctx.signal, annotate);
      observe?.(results);
      const printed = await publishAll(publisher, results);
      if (publish.imageRefs) await writeFile(publish.imageRefs, printed.map((r) => `${r}\n`).join(''));
      return printed;
    },
  };
}

function epoch<K extends string>(
  name: string,
  value: string | undefined,
  key: K,
): Partial<Record<K, number>> {
  if (value === undefined || value === '') return {};
  if (!/^\d+$/.test(value))
    throw new UserError(`${name}=${JSON.stringify(value)} is not a whole number of seconds since 1970`, {
      hint: `e.g. ${name}=$(git log -1 --format=%ct)`,
    });
  return { [key]: Number(value) } as Partial<Record<K, number>>;
}
