/**
 * The dev loop engine: turns batches of file changes into rebuilds of
 * exactly the images they affect, skips `go build` when an image's inputs are
 * unchanged and everything after it when the binary's content ID is
 * unchanged, cancels a build when a newer change to the same image arrives
 * (latest wins), and hands what changed to the deployer. It only emits events;
 * it never prints.
 */
import pLimit from 'p-limit';
import type { EventSink, Phase } from './events.js';
import { explainChanges, type ImageInputs, type Impact, impactOf } from './graph.js';
import { hashInputs } from './input-hash.js';
import type { FileChange } from './watcher.js';

/** One image the loop keeps up to date. */
export interface DevImage {
  /** The main package's import path (the image's key everywhere). */
  importPath: string;
}

/** Records a phase's duration for the current cycle. */
export type PhaseTimer = (phase: Phase, ms: number) => void;

/** Builds one image's deployable output: an image reference (cluster) or a host binary (local). */
export interface ImageBuilder {
  /**
   * Builds; when the new binary's content ID equals `lastContentId` nothing
   * after the compile happens (no push) and `output` is undefined.
   */
  build(
    importPath: string,
    signal: AbortSignal,
    time: PhaseTimer,
    lastContentId: string | undefined,
  ): Promise<{ contentId: string; output?: string }>;
}

/** Puts changed images to work: re-applies manifests (cluster) or restarts processes (local). */
export interface Deployer {
  deploy(
    changed: ReadonlySet<string>,
    outputs: ReadonlyMap<string, string>,
    signal: AbortSignal,
    time: PhaseTimer,
  ): Promise<void>;
  stop(cleanup: boolean): Promise<void>;
}

/** What the engine needs. */
export interface EngineOptions {
  images: readonly DevImage[];
  /** Loads an image's build inputs (the import graph under its target platform). */
  loadInputs(importPath: string, signal: AbortSignal): Promise<ImageInputs>;
  /** Build settings that change the binary (flags, platform, base): part of the input hash. */
  hashExtra(importPath: string): string;
  builder: ImageBuilder;
  deployer: Deployer;
  emit: EventSink;
  /** go builds at once. */
  concurrency: number;
  extraWatch?: ReadonlyMap<string, readonly string[]>;
  /** Per image: paths whose changes never rebuild it (`dev.images.*.ignore`). */
  ignoreFor?: ReadonlyMap<string, (path: string) => boolean>;
  now?: () => number;
}

interface ImageMemory {
  inputs?: ImageInputs;
  inputHash?: string;
  contentId?: string;
  output?: string;
  building?: AbortController;
}

/** The engine; `cycle` runs one rebuild, `onChanges` feeds it from the watcher. */
/** How an image-state detail starts when the build was fine and the deploy failed. */
export const DEPLOY_FAILED = 'deploy failed: ';

export class DevEngine {
  private readonly memory = new Map<string, ImageMemory>();
  private readonly limit;
  private cycles = 0;
  private running?: Promise<void>;
  private pending = new Map<string, Set<string>>();
  private pendingFirstAt?: number;
  private readonly reload = new Set<string>();
  private paused = false;
  /** Images built but not deployed because the deploy failed. */
  private readonly undeployed = new Set<string>();
  /** Images to try again without a new change, after a backoff. */
  private readonly retry = new Set<string>();
  private retryAttempt = 0;
  private retryTimer?: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly o: EngineOptions) {
    this.limit = pLimit(Math.max(1, o.concurrency));
    this.now = o.now ?? Date.now;
    for (const i of o.images) this.memory.set(i.importPath, {});
  }

  /** Every image's current inputs (loaded by the first cycle). */
  inputs(): Map<string, ImageInputs> {
    const out = new Map<string, ImageInputs>();
    for (const [k, m] of this.memory) if (m.inputs) out.set(k, m.inputs);
    return out;
  }

  /** The last good output of every image built so far. */
  outputs(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [k, m] of this.memory) if (m.output) out.set(k, m.output);
    return out;
  }

  /** Builds and deploys every image; resolves true when all of it succeeded. */
  async initial(signal: AbortSignal): Promise<boolean> {
    return this.cycle(new Map(this.o.images.map((i) => [i.importPath, []])), 'start', this.now(), signal);
  }

  /** Manual trigger (`r`/`R`): rebuilds the images even if their inputs are unchanged. */
  rebuild(images: readonly string[], signal: AbortSignal): void {
    for (const i of images) {
      const m = this.memory.get(i);
      if (m) m.inputHash = undefined;
    }
    this.enqueue(new Map(images.map((i) => [i, []])), this.now(), signal, true);
  }

  /** Pauses or resumes automatic rebuilds; while paused, changes queue up and show as pending. */
  setPaused(paused: boolean, signal: AbortSignal): void {
    this.paused = paused;
    if (!paused && this.pending.size) this.kick(signal);
  }

  /** Feeds a batch of file changes from the watcher. */
  onChanges(changes: readonly FileChange[], firstAt: number, signal: AbortSignal): Impact {
    const impact = impactOf(this.inputs(), changes, this.o.extraWatch);
    for (const [image, ignored] of this.o.ignoreFor ?? []) {
      const files = impact.images.get(image)?.filter((f) => !ignored(f));
      if (files?.length === 0) impact.images.delete(image);
      else if (files) impact.images.set(image, files);
    }
    for (const i of impact.reload) this.reload.add(i);
    if (impact.images.size) this.enqueue(impact.images, firstAt, signal, false);
    return impact;
  }

  /**
   * Once the watcher is up: rebuilds images whose sources changed while the
   * first cycle ran (those saves came before anything was watching).
   */
  async catchUp(signal: AbortSignal): Promise<void> {
    const stale = new Map<string, string[]>();
    for (const [image, m] of this.memory) {
      if (!m.inputs || !m.inputHash) continue;
      if ((await hashInputs(m.inputs, this.o.hashExtra(image))) !== m.inputHash) stale.set(image, []);
    }
    if (stale.size) this.enqueue(stale, this.now(), signal, false);
  }

  /** Starts keeping new images up to date (a manifest edit referenced them). */
  addImages(importPaths: readonly string[]): void {
    for (const i of importPaths) if (!this.memory.has(i)) this.memory.set(i, {});
  }

  /** Deploys everything again (the manifests changed): builds what is new, then applies all. */
  redeployAll(signal: AbortSignal): void {
    for (const [i, m] of this.memory) if (m.output) this.undeployed.add(i);
    this.enqueue(new Map([...this.memory.keys()].map((i) => [i, []])), this.now(), signal, false);
  }

  /** Stops pending retries (on exit). */
  dispose(): void {
    clearTimeout(this.retryTimer);
  }

  /** After a failed cycle, tries the outage-hit images again with exponential backoff (1 s .. 30 s). */
  private scheduleRetry(ok: boolean, signal: AbortSignal): void {
    if (ok) this.retryAttempt = 0;
    if (this.retry.size === 0 || signal.aborted || this.retryTimer) return;
    const delay = Math.min(30_000, 1000 * 2 ** this.retryAttempt++);
    const images = [...this.retry];
    this.retry.clear();
    this.o.emit({
      type: 'error',
      message: `retrying ${images.join(', ')} in ${delay / 1000} s`,
      retrying: true,
    });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!signal.aborted) this.enqueue(new Map(images.map((i) => [i, []])), this.now(), signal, false);
    }, delay);
    this.retryTimer.unref();
  }

  /** Resolves when no cycle is running or queued. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private enqueue(
    images: ReadonlyMap<string, readonly string[]>,
    firstAt: number,
    signal: AbortSignal,
    manual: boolean,
  ) {
    for (const [image, files] of images) {
      const set = this.pending.get(image) ?? new Set<string>();
      for (const f of files) set.add(f);
      this.pending.set(image, set);
      // Latest wins: a build of this image already under way is for stale sources.
      this.memory.get(image)?.building?.abort(new Error('superseded by a newer change'));
    }
    this.pendingFirstAt = Math.min(this.pendingFirstAt ?? firstAt, firstAt);
    if (this.paused && !manual) {
      this.o.emit({
        type: 'pending',
        images: [...this.pending.keys()],
        files: [...new Set([...this.pending.values()].flatMap((s) => [...s]))],
      });
      return;
    }
    this.kick(signal);
  }

  private kick(signal: AbortSignal): void {
    if (this.running) return;
    this.running = (async () => {
      try {
        while (this.pending.size && !signal.aborted && !this.paused) {
          const batch = new Map([...this.pending].map(([k, v]) => [k, [...v]]));
          const firstAt = this.pendingFirstAt ?? this.now();
          this.pending = new Map();
          this.pendingFirstAt = undefined;
          await this.cycle(batch, 'change', firstAt, signal);
        }
      } finally {
        this.running = undefined;
      }
    })();
  }

  /** One cycle over `images` (image -> the files that triggered it). */
  private async cycle(
    images: ReadonlyMap<string, readonly string[]>,
    reason: string,
    firstAt: number,
    signal: AbortSignal,
  ): Promise<boolean> {
    const cycle = ++this.cycles;
    const started = this.now();
    const timings: Partial<Record<Phase, number>> = { detect: Math.max(0, started - firstAt) };
    const time: PhaseTimer = (phase, ms) => {
      timings[phase] = Math.max(timings[phase] ?? 0, Math.round(ms));
    };
    const files = [...new Set([...images.values()].flat())];
    const why: Record<string, string[]> = {};
    for (const [image, changed] of images) {
      const inputs = this.memory.get(image)?.inputs;
      if (inputs && changed.length) why[image] = explainChanges(inputs, changed);
    }
    this.o.emit({ type: 'cycle-start', cycle, images: [...images.keys()], files, reason, why });
    for (const image of images.keys()) this.o.emit({ type: 'image-state', image, state: 'queued' });
    const changed = new Set<string>();
    const failures: string[] = [];
    await Promise.all(
      [...images.keys()].map((image) =>
        this.limit(() => this.buildOne(image, signal, time, changed, failures)),
      ),
    );
    let error = failures[0];
    // Images whose last deploy failed (an API server outage) go out with this cycle's.
    for (const i of this.undeployed) changed.add(i);
    if (changed.size && !signal.aborted) {
      for (const image of changed) this.o.emit({ type: 'image-state', image, state: 'applying' });
      try {
        await this.o.deployer.deploy(changed, this.outputs(), signal, time);
        this.undeployed.clear();
        for (const image of changed) this.o.emit({ type: 'image-state', image, state: 'ready' });
      } catch (err) {
        for (const image of changed)
          this.o.emit({
            type: 'image-state',
            image,
            state: 'failed',
            detail: `${DEPLOY_FAILED}${(err as Error).message}`,
          });
        error ??= (err as Error).message;
        failures.push((err as Error).message);
        if (!signal.aborted)
          for (const i of changed) {
            this.undeployed.add(i);
            this.retry.add(i);
          }
      }
    }
    const ok = failures.length === 0 && !signal.aborted;
    this.scheduleRetry(ok, signal);
    this.o.emit({
      type: 'cycle-end',
      cycle,
      images: [...images.keys()],
      ok,
      timings,
      totalMs: this.now() - started + (timings.detect ?? 0),
      ...(error ? { error } : {}),
    });
    return ok;
  }

  private async buildOne(
    image: string,
    signal: AbortSignal,
    time: PhaseTimer,
    changed: Set<string>,
    failures: string[],
  ): Promise<void> {
    const m = this.memory.get(image) ?? {};
    this.memory.set(image, m);
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    m.building = controller;
    try {
      // Always reloaded (one `go list`, ~0.1 s): an edit may have added an import or a build tag.
      this.reload.delete(image);
      m.inputs = await this.o.loadInputs(image, controller.signal);
      const hash = await hashInputs(m.inputs, this.o.hashExtra(image));
      if (hash === m.inputHash && m.output) {
        this.o.emit({ type: 'image-skipped', image, why: 'inputs unchanged' });
        this.o.emit({ type: 'image-state', image, state: 'unchanged' });
        return;
      }
      this.o.emit({ type: 'image-state', image, state: 'building' });
      const built = await this.o.builder.build(
        image,
        controller.signal,
        time,
        m.output ? m.contentId : undefined,
      );
      m.inputHash = hash;
      if (built.output === undefined || (built.contentId === m.contentId && m.output)) {
        this.o.emit({ type: 'image-skipped', image, why: 'binary unchanged' });
        this.o.emit({ type: 'image-state', image, state: 'unchanged' });
        return;
      }
      m.contentId = built.contentId;
      m.output = built.output;
      changed.add(image);
      this.o.emit({ type: 'published', image, reference: built.output });
    } catch (err) {
      if (controller.signal.aborted && !signal.aborted) {
        // Superseded: the newer change is already queued for this image.
        this.o.emit({ type: 'image-state', image, state: 'queued', detail: 'superseded by a newer change' });
        return;
      }
      const message = (err as Error).message;
      const output = (err as { output?: string }).output;
      if (output)
        for (const line of output.trim().split('\n')) this.o.emit({ type: 'build-output', image, line });
      this.o.emit({ type: 'image-state', image, state: 'failed', detail: message });
      failures.push(message);
      // A compile error waits for the next save; anything else (a registry outage) is retried.
      if (!output) this.retry.add(image);
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (m.building === controller) m.building = undefined;
    }
  }
}
