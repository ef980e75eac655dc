/**
 * `kodev up` (and `kodev up --once`, `kodev apply --watch`): wires the dev
 * loop engine to a runtime (the cluster, or local processes when no cluster
 * is configured), a file watcher and the plain or JSON event view.
 */
import { dirname, join, resolve as resolvePath } from 'node:path';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { glob } from 'tinyglobby';
import { cacheDir } from '../cache/content-cache.js';
import { goBuildEnv } from '../build/go-args.js';
import { BinaryBuilder, PublishingBuilder } from '../dev/builders.js';
import { DevEngine, type Deployer, type ImageBuilder } from '../dev/engine.js';
import type { DevEvent } from '../dev/events.js';
import { loadImageInputs, watchRoots } from '../dev/graph.js';
import { KubeDeployer } from '../dev/kube-deployer.js';
import { LocalDeployer, type LocalPackage } from '../dev/local-deployer.js';
import { LocalRuntime } from '../dev/local-runtime.js';
import { type LocalProcess, localProcesses } from '../dev/local-specs.js';
import { plainLogger } from '../dev/plain-log.js';
import { SessionStore } from '../dev/session-store.js';
import { ignoreMatcher, startWatcher } from '../dev/watcher.js';
import { UsageError, UserError } from '../errors.js';
import { withEnvEntries } from '../system/env.js';
import type { MainPackage } from '../gotool/main-package.js';
import type { DevImageSettings, KodevConfig } from '../config/types.js';
import { KubeClient } from '../k8s/client.js';
import { Discovery } from '../k8s/discovery.js';
import { loadKubeTarget } from '../k8s/kubeconfig.js';
import { LogFollower } from '../k8s/log-follower.js';
import { manifestObjects } from '../k8s/objects.js';
import { goArchFromNode, parsePlatform } from '../oci/platform.js';
import type { FilenameFlags } from '../options/filename-options.js';
import { type KubeFlags, parseDuration } from '../options/kube-options.js';
import { findReferences, uniqueReferences } from '../resolve/references.js';
import type { CommandContext } from './context.js';
import { readManifests } from './manifests.js';
import { startUi, wantsColor, wantsUi } from './up-ui.js';
import { type BuildCommandFlags, openBuildPipeline } from './pipeline.js';

/** All flags of `kodev up`. */
export type UpFlags = BuildCommandFlags &
  FilenameFlags &
  KubeFlags & {
    once: boolean;
    json: boolean;
    timeout: string;
    runtime?: string;
    cleanup?: boolean;
    tui?: boolean;
  };

/** Runs the loop; resolves with the exit code (after Ctrl-C, or at the end of `--once`). */
export async function upCommand(
  refs: readonly string[],
  flags: UpFlags,
  ctx: CommandContext,
  readStdin: () => Promise<string>,
): Promise<number> {
  const timeoutMs = parseDuration(flags.timeout, '--timeout');
  // Quitting from the UI (q) stops the loop like Ctrl-C does without one.
  const stop = new AbortController();
  const signal = stop.signal;
  const onInterrupt = () => stop.abort(ctx.signal.reason);
  if (ctx.signal.aborted) onInterrupt();
  else ctx.signal.addEventListener('abort', onInterrupt, { once: true });
  const store = wantsUi(ctx.terminal, ctx.env, flags) ? new SessionStore() : undefined;
  const emitRaw = store
    ? (e: DevEvent) => store.dispatch(e)
    : plainLogger({ stdout: ctx.stdout, stderr: ctx.stderr }, flags.json);
  let engine: DevEngine | undefined;
  let applyAt = 0;
  const seenPods = new Set<string>();
  const emit = (e: DevEvent) => {
    emitRaw(e);
    if (e.type === 'log' && e.source.uid && !seenPods.has(e.source.uid)) {
      seenPods.add(e.source.uid);
      if (applyAt) emitRaw({ type: 'first-log', resource: e.source.resource, ms: Date.now() - applyAt });
    }
  };
  const { loadConfig } = await import('../config/load.js');
  const config = await loadConfig({ cwd: ctx.cwd, env: ctx.env });
  const dev = config.dev;
  const manifestFlags = await manifestInputs(flags, dev.manifests, config.baseDir);
  const input = manifestFlags.filename.length
    ? await readManifests(manifestFlags, ctx.cwd, readStdin)
    : { docs: [], paths: [] };
  const kubeFlags = { ...flags, ...(!flags.namespace && dev.namespace ? { namespace: dev.namespace } : {}) };
  const runtime = pickRuntime(flags.runtime ?? dev.runtime ?? 'auto', input.docs.length > 0, kubeFlags, ctx);
  const env = { ...ctx.env };
  if (!env.KO_DOCKER_REPO && dev.repo) env.KO_DOCKER_REPO = dev.repo;
  const local = runtime.kind === 'local';
  // Local processes run on this (Linux) machine.
  const hostPlatform = `linux/${goArchFromNode(ctx.hostArch)}`;
  const pipeline = await openBuildPipeline(
    {
      ...flags,
      ...(local ? { push: false, platform: [hostPlatform] } : {}),
      ...(!flags.platform?.length && dev.platforms?.length && !local ? { platform: dev.platforms } : {}),
      ...(dev.concurrency ? { jobs: dev.concurrency } : {}),
    },
    { ...ctx, env, signal },
  );
  const cleanups: (() => Promise<void>)[] = [async () => pipeline.close()];
  /** Local processes that have neither printed nor exited yet. */
  const silent = new Set<string>();
  applyImageSettings(pipeline.config, dev.images ?? {});
  try {
    const koRefs = uniqueReferences(findReferences(input.docs));
    const wanted = [...refs, ...koRefs];
    if (wanted.length === 0)
      throw new UsageError('kodev up has nothing to build', {
        hint: 'pass import paths (kodev up ./cmd/app), manifests with -f, or set dev.manifests in kodev.config.ts',
      });
    const packages = new Map<string, MainPackage>();
    const refToImport = new Map<string, string>();
    for (const r of wanted) {
      const pkg = await pipeline.packages.resolve(r);
      packages.set(pkg.importPath, pkg);
      refToImport.set(r, pkg.importPath);
    }
    const extraWatch = new Map<string, string[]>();
    const ignoreFor = new Map<string, (path: string) => boolean>();
    for (const [key, img] of Object.entries(dev.images ?? {})) {
      const importPath =
        refToImport.get(key) ?? refToImport.get(`ko://${key}`) ?? key.replace(/^ko:\/\//, '');
      if (img.ignore?.length) ignoreFor.set(importPath, ignoreMatcher([config.baseDir], img.ignore, false));
      if (img.watch?.length)
        extraWatch.set(
          importPath,
          img.watch.map((w) => resolvePath(config.baseDir, w)),
        );
    }
    const platform = parsePlatform(local ? hostPlatform : (pipeline.platforms[0] ?? hostPlatform));
    const buildLog = (image: string, line: string) => emit({ type: 'build-output', image, line });
    let builder: ImageBuilder;
    let deployer: Deployer;
    let kubeDeployer: KubeDeployer | undefined;
    let localDeployer: LocalDeployer | undefined;
    const pkgs = new Map<string, LocalPackage>();
    const localPackage = (p: MainPackage): LocalPackage => ({ kodataDir: join(p.dir, 'kodata'), dir: p.dir });
    if (local) {
      const { processes, warnings } = localProcessesFor(input.docs, refs, refToImport);
      for (const w of warnings) emit({ type: 'error', message: w, retrying: false });
      for (const p of processes) silent.add(p.name);
      const localRuntime = new LocalRuntime({
        baseEnv: pick(ctx.env, ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ']),
        onLog: (l) => {
          silent.delete(l.process);
          emit({
            type: 'log',
            source: { resource: l.process, pod: 'local' },
            line: l.line,
            stream: l.stream,
          });
        },
        onExit: (x) => {
          silent.delete(x.process);
          if (x.expected) return;
          if (x.code === 0) emit({ type: 'workload', name: x.process, ready: true, summary: 'exited 0' });
          else
            emit({
              type: 'problem',
              resource: x.process,
              reason: 'Exited',
              message: `exit code ${x.code ?? x.signal}`,
            });
        },
      });
      for (const [k, p] of packages) pkgs.set(k, localPackage(p));
      const binDir = join(cacheDir(ctx.env, ctx.homeDir), 'dev', `bin-${randomBytes(4).toString('hex')}`);
      cleanups.push(() => rm(binDir, { recursive: true, force: true }));
      builder = new BinaryBuilder({
        go: pipeline.go,
        fresh: (x) => pipeline.freshBuilder(x),
        platform,
        dir: binDir,
        log: buildLog,
      });
      deployer = localDeployer = new LocalDeployer({
        runtime: localRuntime,
        processes,
        packages: pkgs,
        applied: (at) => (applyAt = at),
      });
    } else {
      const target = runtime.target as NonNullable<typeof runtime.target>;
      const api = new KubeClient(target);
      cleanups.push(() => api.close());
      const follower = new LogFollower(api, {
        onLine: (l) =>
          emit({
            type: 'log',
            source: { resource: l.resource, pod: l.pod, uid: l.uid, container: l.container },
            line: l.line,
          }),
        onNotice: (n) =>
          n.kind === 'problem' || n.kind === 'restarted'
            ? emit({
                type: 'problem',
                resource: `${n.resource} ${n.pod}`,
                reason: n.reason ?? n.kind,
                message: n.message ?? (n.exitCode !== undefined ? `exit code ${n.exitCode}` : ''),
                ...(n.lines ? { lines: n.lines } : {}),
              })
            : undefined,
        signal: signal,
      });
      cleanups.push(() => follower.stop());
      builder = new PublishingBuilder({
        go: pipeline.go,
        fresh: (x) => pipeline.freshBuilder(x),
        publisher: pipeline.publisher,
        log: buildLog,
        pushing: (image) => emit({ type: 'image-state', image, state: 'pushing' }),
      });
      deployer = kubeDeployer = new KubeDeployer({
        api,
        discovery: new Discovery(api),
        docs: input.docs,
        refs: refToImport,
        rule: { namespace: target.namespace, fromFlag: target.namespaceFromFlag },
        fieldManager: 'kodev',
        waitTimeoutMs: timeoutMs,
        emit,
        follow: (t) => follower.setTargets(t),
        applied: (at) => (applyAt = at),
      });
    }
    const loop = new DevEngine({
      images: [...packages.keys()].map((importPath) => ({ importPath })),
      loadInputs: (importPath, signal) => {
        const pkg = packages.get(importPath) as MainPackage;
        const env = withEnvEntries(
          pipeline.go.env,
          goBuildEnv(platform, pipeline.config, pkg.build, (t) => t),
        );
        return loadImageInputs(pipeline.go, pkg, env, signal);
      },
      hashExtra: (importPath) =>
        JSON.stringify([
          importPath,
          platform,
          pipeline.platforms,
          packages.get(importPath)?.build ?? null,
          runtime.kind,
        ]),
      builder,
      deployer,
      emit,
      concurrency: dev.concurrency ?? flags.jobs,
      extraWatch,
      ignoreFor,
    });
    engine = loop;
    if (store && ctx.terminal) {
      const images = () => [...packages.keys()];
      const ui = await startUi(
        store,
        {
          rebuild: (keys) =>
            engine?.rebuild(
              keys.filter((k) => packages.has(k)),
              signal,
            ),
          rebuildAll: () => engine?.rebuild(images(), signal),
          setPaused: (paused) => {
            engine?.setPaused(paused, signal);
            store.setPaused(paused);
          },
          quit: () => {
            store.setStopping();
            stop.abort(new UserError('interrupted'));
          },
        },
        ctx.terminal,
        wantsColor(ctx.env),
      );
      cleanups.push(async () => {
        await ui.close();
        store.dispose();
        ctx.stderr(`kodev up: stopped after ${store.state.cycle} cycle(s)\n`);
      });
    }
    emit({ type: 'session', runtime: runtime.kind, target: runtime.describe, images: [...packages.keys()] });
    if (localDeployer)
      emit({
        type: 'workloads',
        workloads: localWorkloads(localProcessesFor(input.docs, refs, refToImport).processes),
      });
    const ok = await loop.initial(signal);
    if (flags.once) {
      if (local) await settle(silent, timeoutMs, signal);
      await deployer.stop(flags.cleanup ?? dev.cleanup ?? false);
      emit({ type: 'stopped', cleanedUp: Boolean(flags.cleanup ?? dev.cleanup) });
      return ok ? 0 : 1;
    }
    const roots = watchRoots(loop.inputs().values());
    const manifestDirs = [
      ...new Set(
        manifestFlags.filename.filter((f) => f !== '-').map((f) => dirname(resolvePath(ctx.cwd, f))),
      ),
    ];
    const manifestGlobs = flags.filename.length ? [] : (dev.manifests ?? []);
    const manifestFiles = new Set(manifestFlags.filename.map((f) => resolvePath(ctx.cwd, f)));
    const globMatch = manifestGlobs.length
      ? ignoreMatcher([config.baseDir], manifestGlobs, false)
      : () => false;
    const isManifest = (path: string) =>
      manifestFiles.has(path) ||
      globMatch(path) ||
      (flags.recursive || manifestFlags.filename.some((f) => resolvePath(ctx.cwd, f) === dirname(path))
        ? /\.(ya?ml|json)$/.test(path) && manifestDirs.some((d) => path.startsWith(`${d}/`))
        : false);
    /** A manifest edit: new ko:// references become images, and every manifest is applied again. */
    const reloadManifests = async () => {
      const files = await manifestInputs(flags, dev.manifests, config.baseDir);
      const docs = (await readManifests(files, ctx.cwd, readStdin)).docs;
      const fresh: string[] = [];
      for (const r of uniqueReferences(findReferences(docs))) {
        if (refToImport.has(r)) continue;
        const pkg = await pipeline.packages.resolve(r);
        refToImport.set(r, pkg.importPath);
        if (!packages.has(pkg.importPath)) fresh.push(pkg.importPath);
        packages.set(pkg.importPath, pkg);
        pkgs.set(pkg.importPath, localPackage(pkg));
      }
      loop.addImages(fresh);
      kubeDeployer?.setManifests(docs);
      if (localDeployer) {
        const { processes } = localProcessesFor(docs, refs, refToImport);
        localDeployer.setProcesses(processes);
        emit({ type: 'workloads', workloads: localWorkloads(processes) });
      }
      loop.redeployAll(signal);
    };
    const watcher = startWatcher({
      roots: [...new Set([...roots, ...manifestDirs, ...[...extraWatch.values()].flat()])],
      ignore: dev.ignore ?? [],
      quietMs: dev.debounceMs ?? 50,
      onBatch: (changes, firstAt) => {
        if (changes.some((c) => isManifest(c.path)))
          void reloadManifests().catch((err: Error) =>
            emit({ type: 'error', message: err.message, retrying: false }),
          );
        loop.onChanges(changes, firstAt, signal);
      },
      onError: (err) => emit({ type: 'error', message: err.message, retrying: true }),
    });
    cleanups.push(() => watcher.close());
    await watcher.ready;
    await loop.catchUp(signal);
    emit({ type: 'watching', roots });
    await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
    loop.dispose();
    await loop.idle().catch(() => undefined);
    const cleanup = flags.cleanup ?? dev.cleanup ?? false;
    await deployer.stop(cleanup);
    emit({ type: 'stopped', cleanedUp: cleanup });
    return 0;
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    ctx.signal.removeEventListener('abort', onInterrupt);
  }
}

interface RuntimeChoice {
  kind: 'kubernetes' | 'local';
  target?: ReturnType<typeof loadKubeTarget>;
  describe: string;
}

function pickRuntime(
  choice: string,
  hasManifests: boolean,
  flags: KubeFlags,
  ctx: CommandContext,
): RuntimeChoice {
  if (choice !== 'auto' && choice !== 'kubernetes' && choice !== 'local')
    throw new UsageError(`--runtime ${JSON.stringify(choice)}: expected kubernetes, local or auto`);
  if (choice === 'local') return { kind: 'local', describe: 'processes on this machine' };
  let target: ReturnType<typeof loadKubeTarget> | undefined;
  try {
    target = loadKubeTarget({ ...flags, env: ctx.env, homeDir: ctx.homeDir });
  } catch (err) {
    if (
      choice === 'kubernetes' ||
      !(err instanceof UserError) ||
      !err.message.startsWith('no Kubernetes configuration')
    )
      throw err;
  }
  if (!target || (choice === 'auto' && !hasManifests))
    return { kind: 'local', describe: 'processes on this machine' };
  return { kind: 'kubernetes', target, describe: `context ${target.context}, namespace ${target.namespace}` };
}

async function manifestInputs(
  flags: FilenameFlags,
  globs: readonly string[] | undefined,
  baseDir: string,
): Promise<FilenameFlags> {
  if (flags.filename.length || !globs?.length) return flags;
  const files = await glob([...globs], { cwd: baseDir, absolute: true });
  return { ...flags, filename: files.sort() };
}

function localProcessesFor(
  docs: Parameters<typeof manifestObjects>[0],
  refs: readonly string[],
  refToImport: ReadonlyMap<string, string>,
): { processes: LocalProcess[]; warnings: string[] } {
  if (docs.length === 0)
    return {
      processes: refs.map((r) => {
        const importPath = refToImport.get(r) as string;
        return { name: importPath.split('/').pop() ?? importPath, importPath, args: [], env: {} };
      }),
      warnings: [],
    };
  const out = localProcesses(manifestObjects(docs));
  return {
    processes: out.processes.map((p) => ({
      ...p,
      importPath: refToImport.get(`ko://${p.importPath}`) ?? p.importPath,
    })),
    warnings: out.warnings,
  };
}

/** Local processes as the UI's workloads: each runs one image. */
function localWorkloads(processes: readonly LocalProcess[]) {
  return processes.map((p) => ({ name: p.name, images: [p.importPath] }));
}

function pick(
  env: Readonly<Record<string, string | undefined>>,
  keys: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) if (env[k] !== undefined) out[k] = env[k] as string;
  return out;
}

/**
 * `--once` with local processes: "ready" is a process that has printed or
 * exited. Waits (bounded) until none is silent, then a moment more for the
 * lines that follow the first.
 */
async function settle(silent: ReadonlySet<string>, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const { setTimeout: sleep } = await import('node:timers/promises');
  const deadline = Date.now() + timeoutMs;
  while (silent.size > 0 && Date.now() < deadline && !signal.aborted)
    await sleep(50, undefined, { signal }).catch(() => undefined);
  await sleep(300, undefined, { signal }).catch(() => undefined);
}

/** Maps `dev.images` onto ko's settings: build flags and env as a `builds:` entry, `fromImage` as a base override. */
function applyImageSettings(config: KodevConfig, images: Readonly<Record<string, DevImageSettings>>): void {
  for (const [key, img] of Object.entries(images)) {
    const importPath = key.replace(/^ko:\/\//, '');
    if (img.fromImage) config.baseImageOverrides[importPath] = img.fromImage;
    if (img.env || img.flags || img.ldflags || img.dir || img.main)
      config.builds.push({
        id: key,
        main: img.main ?? importPath,
        ...(img.dir ? { dir: img.dir } : {}),
        ...(img.env ? { env: img.env } : {}),
        ...(img.flags ? { flags: img.flags } : {}),
        ...(img.ldflags ? { ldflags: img.ldflags } : {}),
      });
  }
}
