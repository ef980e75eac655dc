/**
 * Follows the logs of the pods behind applied workloads, for the dev loop:
 * every container instance of every matching pod gets one follow stream, the
 * pods of a rollout are picked up while the old ones keep streaming, a stream
 * that drops while its container still runs is reopened where it left off,
 * and restarts, pod problems and deletions arrive as notices.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeApi } from './client.js';
import { type ContainerInstance, containerInstances, followInstance } from './log-lines.js';
import type { KubeObject } from './objects.js';
import { lastLogLines, listPods } from './pods.js';
import { podProblem } from './workload-status.js';

/** A workload whose pods are followed. */
export interface FollowTarget {
  /** Display name, e.g. `Deployment/web`. */
  resource: string;
  namespace: string;
  /** The label selector of its pods. */
  selector: string;
}

/** One line a container printed. */
export interface LogLine {
  resource: string;
  pod: string;
  uid: string;
  container: string;
  line: string;
  /** restartCount of the container instance that printed it. */
  restart: number;
}

/** Something that happened to a followed pod. */
export interface PodNotice {
  resource: string;
  pod: string;
  uid: string;
  container?: string;
  kind: 'started' | 'restarted' | 'problem' | 'deleted';
  reason?: string;
  message?: string;
  /** For restarts: the previous instance's exit code. */
  exitCode?: number;
  /** For restarts: the previous instance's last lines. */
  lines?: string[];
}

/** Where lines and notices go, and how often pods are listed. The callbacks must not throw. */
export interface LogFollowerOptions {
  onLine(l: LogLine): void;
  onNotice(n: PodNotice): void;
  /** Pod list interval (default 1000 ms). */
  pollMs?: number;
  /** Reopen a stream that received nothing for this long (off by default; a dropped stream is always reopened). */
  stallMs?: number;
  /** Stops the follower when aborted. */
  signal?: AbortSignal;
}

/** How long a vanished pod's streams may drain before they are closed. */
const DRAIN_MS = 5_000;
const RESTART_LINES = 10;

interface Followed {
  target: FollowTarget;
  abort: AbortController;
  pods: Map<string, PodState>;
  tasks: Set<Promise<void>>;
  done: Promise<void>;
}

interface PodState {
  name: string;
  uid: string;
  abort: AbortController;
  containers: Map<string, ContainerState>;
  /** `container/restartCount` of every instance a stream was opened for. */
  opened: Set<string>;
  streams: Set<Promise<void>>;
  problems: Set<string>;
  gone: boolean;
}

interface ContainerState {
  /** The highest restartCount seen. */
  restart: number;
  /** Restart notices and stream openings in order, so a notice precedes the new instance's lines. */
  queue: Promise<void>;
  /** The stream of the latest instance followed. */
  stream?: Promise<void>;
  /** The last lines of each instance followed, by restartCount: what a restart notice shows. */
  tails: Map<number, string[]>;
}

/** Follows the pods of a changing set of workloads until stopped. */
export class LogFollower {
  private readonly followed = new Map<string, Followed>();
  private readonly closing = new Set<Promise<void>>();
  private readonly onAbort = () => void this.stop();
  private stopped = false;

  constructor(
    private readonly api: KubeApi,
    private readonly o: LogFollowerOptions,
  ) {
    if (o.signal?.aborted) this.stopped = true;
    else o.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Replaces the followed set (after each apply); new targets start, removed ones stop. */
  setTargets(targets: readonly FollowTarget[]): void {
    if (this.stopped) return;
    const wanted = new Map(targets.map((t) => [`${t.namespace}\n${t.resource}\n${t.selector}`, t]));
    for (const [key, f] of this.followed)
      if (!wanted.has(key)) {
        this.followed.delete(key);
        this.close(f);
      }
    for (const [key, t] of wanted) if (!this.followed.has(key)) this.followed.set(key, this.start(t));
  }

  /** Closes every stream and resolves once all are closed. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.o.signal?.removeEventListener('abort', this.onAbort);
    for (const f of this.followed.values()) this.close(f);
    this.followed.clear();
    while (this.closing.size > 0) await Promise.all([...this.closing]);
  }

  private start(target: FollowTarget): Followed {
    const f: Followed = {
      target,
      abort: new AbortController(),
      pods: new Map(),
      tasks: new Set(),
      done: Promise.resolve(),
    };
    f.done = this.poll(f);
    return f;
  }

  private close(f: Followed): void {
    f.abort.abort();
    const closed: Promise<void> = f.done.finally(() => this.closing.delete(closed));
    this.closing.add(closed);
  }

  private async poll(f: Followed): Promise<void> {
    const { signal } = f.abort;
    while (!signal.aborted) {
      try {
        this.reconcile(f, await listPods(this.api, f.target.namespace, f.target.selector, signal));
      } catch {
        // A failed list (API server restarting, network blip) is retried at the next poll; pods
        // count as gone only when a list succeeds without them.
      }
      await sleep(this.o.pollMs ?? 1000, undefined, { signal }).catch(() => undefined);
    }
    for (const p of f.pods.values()) p.abort.abort();
    while (f.tasks.size > 0) await Promise.all([...f.tasks]);
  }

  private spawn(f: Followed, work: Promise<void>): Promise<void> {
    const task: Promise<void> = work.catch(() => undefined).finally(() => f.tasks.delete(task));
    f.tasks.add(task);
    return task;
  }

  private notice(f: Followed, p: PodState, n: Omit<PodNotice, 'resource' | 'pod' | 'uid'>): void {
    this.o.onNotice({ resource: f.target.resource, pod: p.name, uid: p.uid, ...n });
  }

  private reconcile(f: Followed, pods: KubeObject[]): void {
    if (f.abort.signal.aborted) return;
    const live = new Set<string>();
    for (const pod of pods) {
      const { uid, name } = pod.metadata;
      if (!uid || !name) continue;
      live.add(uid);
      let p = f.pods.get(uid);
      if (!p) {
        p = {
          name,
          uid,
          abort: new AbortController(),
          containers: new Map(),
          opened: new Set(),
          streams: new Set(),
          problems: new Set(),
          gone: false,
        };
        f.pods.set(uid, p);
      }
      const problem = podProblem(pod);
      if (problem && !p.problems.has(problem.reason)) {
        p.problems.add(problem.reason);
        this.notice(f, p, {
          kind: 'problem',
          reason: problem.reason,
          message: problem.message,
          ...(problem.container ? { container: problem.container } : {}),
        });
      }
      for (const c of containerInstances(pod)) this.container(f, p, c);
    }
    for (const p of f.pods.values())
      if (!live.has(p.uid) && !p.gone) {
        p.gone = true;
        this.spawn(f, this.vanished(f, p));
      }
  }

  private container(f: Followed, p: PodState, c: ContainerInstance): void {
    const cs: ContainerState = p.containers.get(c.name) ?? {
      restart: c.restartCount,
      queue: Promise.resolve(),
      tails: new Map(),
    };
    p.containers.set(c.name, cs);
    if (c.restartCount > cs.restart) {
      cs.restart = c.restartCount;
      const previous = cs.stream;
      this.enqueue(f, cs, () => this.restarted(f, p, c, cs, previous));
    }
    const key = `${c.name}/${c.restartCount}`;
    if (!(c.running || c.terminated) || c.restartCount !== cs.restart || p.opened.has(key)) return;
    const started = ![...p.opened].some((k) => k.startsWith(`${c.name}/`));
    p.opened.add(key);
    this.enqueue(f, cs, async () => {
      if (p.abort.signal.aborted) return;
      if (started) this.notice(f, p, { kind: 'started', container: c.name });
      cs.stream = this.spawn(f, this.follow(f, p, c.name, c.restartCount, cs));
      p.streams.add(cs.stream);
    });
  }

  /** Runs `work` after what is already queued for the container. */
  private enqueue(f: Followed, cs: ContainerState, work: () => Promise<void>): void {
    cs.queue = this.spawn(f, cs.queue.then(work));
  }

  private async restarted(
    f: Followed,
    p: PodState,
    c: ContainerInstance,
    cs: ContainerState,
    previous: Promise<void> | undefined,
  ): Promise<void> {
    // The previous instance's stream ends when it exits; wait so its last lines come before the notice.
    if (previous) await within(previous, DRAIN_MS, p.abort.signal);
    // What was followed is used first: the kubelet may already have removed a fast crasher's container.
    const lines =
      cs.tails.get(c.restartCount - 1) ??
      (await lastLogLines(this.api, f.target.namespace, p.name, {
        container: c.name,
        previous: true,
        lines: RESTART_LINES,
        signal: p.abort.signal,
      }));
    for (const n of cs.tails.keys()) if (n < c.restartCount) cs.tails.delete(n);
    if (p.abort.signal.aborted) return;
    const last = c.lastTerminated;
    this.notice(f, p, {
      kind: 'restarted',
      container: c.name,
      ...(last?.reason ? { reason: last.reason } : {}),
      ...(last?.exitCode !== undefined ? { exitCode: last.exitCode } : {}),
      lines,
    });
  }

  private async follow(f: Followed, p: PodState, container: string, restart: number, cs: ContainerState) {
    const tail: string[] = [];
    cs.tails.set(restart, tail);
    const { resource } = f.target;
    const result = await followInstance(this.api, {
      namespace: f.target.namespace,
      pod: p.name,
      uid: p.uid,
      container,
      restart,
      signal: p.abort.signal,
      ...(this.o.stallMs ? { stallMs: this.o.stallMs } : {}),
      gone: () => p.gone,
      onLine: (line) => {
        if (tail.push(line) > RESTART_LINES) tail.shift();
        this.o.onLine({ resource, pod: p.name, uid: p.uid, container, line, restart });
      },
    });
    if (result === 'lost')
      this.notice(f, p, {
        kind: 'problem',
        container,
        reason: 'LogStreamLost',
        message: `the log stream of container ${container} kept closing; its logs are no longer followed`,
      });
  }

  private async vanished(f: Followed, p: PodState): Promise<void> {
    const streams = Promise.all([...p.streams]);
    await within(streams, DRAIN_MS, p.abort.signal);
    p.abort.abort();
    await streams;
    f.pods.delete(p.uid);
    if (!f.abort.signal.aborted) this.notice(f, p, { kind: 'deleted' });
  }
}

/** Waits for `p`, at most `ms` or until `signal` aborts, leaving no timer behind. */
async function within(p: Promise<unknown>, ms: number, signal: AbortSignal): Promise<void> {
  const timer = new AbortController();
  await Promise.race([
    p.catch(() => undefined),
    sleep(ms, undefined, { signal: AbortSignal.any([signal, timer.signal]) }).catch(() => undefined),
  ]);
  timer.abort();
}
