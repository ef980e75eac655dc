/**
 * Starts `go build` before the rest of the build pipeline loads. Loading the
 * registry client, the layer writer and the compressor takes about 0.2 s of
 * the CLI's single thread; the first `go build` (a separate process, on
 * another core) needs none of them. This module loads only the config, the
 * package resolver and the go tool, starts exactly the compiles GoBuilder
 * would start (same command, same output path under KOCACHE), and GoBuilder
 * then takes each started compile instead of running its own. Anything
 * unusual (templates in flags, `--platform=all`, an error of any kind) starts
 * nothing: the full build does it all, and reports any error. Once every
 * compile is running, this thread's priority is lowered until they end
 * (system/priority.ts).
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { cacheDir } from '../cache/content-cache.js';
import { loadConfig } from '../config/load.js';
import { templatedValues } from '../config/template.js';
import type { KodevConfig } from '../config/types.js';
import { goBuild, goBuildArgv, goTool } from '../gotool/go.js';
import { type MainPackage, MainPackageResolver } from '../gotool/main-package.js';
import { formatPlatform, parsePlatform, requestedPlatforms } from '../oci/platform.js';
import type { Platform } from '../oci/types.js';
import type { Env } from '../system/env.js';
import { lowerThreadPriority } from '../system/priority.js';
import type { RecordedCompile, RecordedCompiles } from './build-record.js';
import { goBuildEnv, goBuildFlags, type RenderTemplate } from './go-args.js';
import type { Prestarted } from './prestart.js';

/** One `go build` as GoBuilder runs it: environment, flags, and the key of those settings. */
export interface CompilePlan {
  env: string[];
  flags: string[];
  /** Everything that decides the binary; the stable output directory is named by its hash. */
  settings: string;
}

/** The `go build` of `pkg` for `platform` under `config`. */
export function compilePlan(
  pkg: MainPackage,
  platform: Platform,
  config: KodevConfig,
  render: RenderTemplate,
  options: { disableOptimizations: boolean; trimpath: boolean },
): CompilePlan {
  const env = goBuildEnv(platform, config, pkg.build, render);
  const flags = goBuildFlags(config, pkg.build, render, options);
  const settings = JSON.stringify([pkg.importPath, pkg.moduleDir, formatPlatform(platform), env, flags]);
  return { env, flags, settings };
}

/** The stable directory a plan's binary is built in, under `binDir`. */
export function planDir(binDir: string, plan: CompilePlan): string {
  return join(binDir, createHash('sha256').update(plan.settings).digest('hex').slice(0, 32));
}

/** Early compiles by the binary they write. */
const started = new Map<string, Promise<void>>();
/** Each early compile's command, for the build record (and so for build/prestart.ts). */
const commands: RecordedCompile[] = [];
let jobsAtOnce = 1;
let firstStartMs: number | undefined;
/** Early compiles queued, started and not yet ended; how to restore this thread's priority. */
let queued = 0;
let spawned = 0;
let running = 0;
let allQueued = false;
let restorePriority: (() => void) | undefined;

/** The compile started early to the binary `out`, if any; each is taken once. */
export function takeEarlyCompile(out: string): Promise<void> | undefined {
  const p = started.get(out);
  started.delete(out);
  return p;
}

/** The compiles started early, as a build record keeps them; undefined when there were none. */
export function earlyCompiles(): RecordedCompiles | undefined {
  return commands.length > 0 ? { jobs: jobsAtOnce, commands: [...commands] } : undefined;
}

/** When the first early compile started (Date.now()), so a build record can tell edits made after it. */
export function earlyCompileStartedAt(): number | undefined {
  return firstStartMs;
}

/** What the early start reads: the same inputs the full build reads. */
export interface EarlyCompileRequest {
  refs: readonly string[];
  platform?: string[];
  disableOptimizations: boolean;
  jobs: number;
  cwd: string;
  env: Env;
  hostArch: string;
  homeDir: string;
  signal: AbortSignal;
  /** Compiles the entry started from the build record (build/prestart.ts), by the binary they write. */
  prestarted?: ReadonlyMap<string, Prestarted>;
}

/** Starts the build's compiles, up to `jobs` at once; returns when they are started or queued. */
export async function startEarlyCompiles(req: EarlyCompileRequest): Promise<void> {
  const adopted = new Set<string>();
  try {
    const config = await loadConfig({ cwd: req.cwd, env: req.env });
    // Templates need git and the clock to render: the full build does those.
    if (templatedValues(config).some((s) => s.includes('{{'))) return;
    const platforms = requestedPlatforms(req.platform, config.defaultPlatforms, req.hostArch);
    if (platforms.includes('all')) return;
    const go = goTool(req.env);
    const packages = new MainPackageResolver(go, req.cwd, config);
    const binDir = join(cacheDir(req.env, req.homeDir), 'bin');
    jobsAtOnce = Math.max(1, req.jobs);
    const limit = pLimit(jobsAtOnce);
    for (const ref of new Set(req.refs)) {
      const pkg = await packages.resolve(ref);
      for (const platform of platforms.map(parsePlatform)) {
        const plan = compilePlan(pkg, platform, config, (t) => t, {
          disableOptimizations: req.disableOptimizations,
          trimpath: true,
        });
        const dir = planDir(binDir, plan);
        const out = join(dir, 'out');
        if (started.has(out)) continue;
        firstStartMs ??= Date.now();
        queued++;
        running++;
        const args = goBuildArgv({ flags: plan.flags, out, importPath: pkg.importPath });
        const command: RecordedCompile = { bin: go.bin, cwd: pkg.moduleDir, args, env: plan.env, out };
        commands.push(command);
        const pre = req.prestarted?.get(out);
        if (pre && sameCommand(pre.command, command)) {
          // The same command, already running since the entry: this compile is that one. It
          // holds one of the `jobs` places like the others (the entry starts at most that many).
          adopted.add(out);
          spawned++;
          // It has been reading the sources since then: the record must not vouch for edits after.
          firstStartMs = Math.min(firstStartMs, pre.startedAtMs);
          req.signal.addEventListener('abort', () => pre.stop(), { once: true });
          const compile = limit(() => pre.done).finally(ended);
          compile.catch(() => undefined);
          started.set(out, compile);
          continue;
        }
        const compile = limit(async () => {
          try {
            await mkdir(dir, { recursive: true });
            const build = goBuild(go, {
              cwd: pkg.moduleDir,
              importPath: pkg.importPath,
              out,
              env: plan.env,
              flags: plan.flags,
              signal: req.signal,
            });
            spawned++;
            stepBack();
            await build;
          } finally {
            ended();
          }
        });
        compile.catch(() => undefined);
        started.set(out, compile);
      }
    }
  } catch {
    // The full build runs (and reports) whatever could not be started here.
  } finally {
    // A recorded compile this run does not plan (an input changed what it builds) is stopped.
    for (const [out, pre] of req.prestarted ?? []) if (!adopted.has(out)) pre.stop();
  }
  allQueued = true;
  stepBack();
}

function sameCommand(a: RecordedCompile, b: RecordedCompile): boolean {
  return (
    JSON.stringify([a.bin, a.cwd, a.args, a.env, a.out]) ===
    JSON.stringify([b.bin, b.cwd, b.args, b.env, b.out])
  );
}

/** One early compile has ended: the thread's priority comes back after the last. */
function ended(): void {
  if (--running === 0 && restorePriority) {
    restorePriority();
    restorePriority = undefined;
  }
}

/**
 * Once every early compile is queued and has started (so every `go` runs at
 * normal priority: processes inherit the nice value of the thread that
 * starts them), this thread steps back until they have all ended.
 */
function stepBack(): void {
  if (allQueued && spawned === queued && running > 0 && !restorePriority)
    restorePriority = lowerThreadPriority();
}
