/**
 * `--wait`: polls applied workloads until every one is ready (Jobs
 * complete), failing fast with the reason when a pod is stuck (image pull,
 * crash loop with its last log lines, OOM, unschedulable), and listing what
 * was still not ready on timeout.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../errors.js';
import type { KubeApi } from './client.js';
import { type ResourceInfo, resourcePath } from './discovery.js';
import { type KubeObject, objectName } from './objects.js';
import { lastLogLines, listPods } from './pods.js';
import { isWaitedKind, podProblem, podSelector, workloadState } from './workload-status.js';

/** A workload to wait for. */
export interface WaitTarget {
  resource: ResourceInfo;
  namespace: string | undefined;
  object: KubeObject;
}

/** Options for waiting. */
export interface WaitOptions {
  timeoutMs: number;
  pollMs?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Log lines shown with a crash (default 10). */
  logLines?: number;
  now?: () => number;
  /** Told when each workload becomes ready. */
  onReady?: (name: string, summary: string) => void;
}

/** Waits until every waited kind among `targets` is ready; other kinds are ignored. */
export async function waitForWorkloads(
  api: KubeApi,
  targets: readonly WaitTarget[],
  o: WaitOptions,
): Promise<void> {
  const now = o.now ?? Date.now;
  const deadline = now() + o.timeoutMs;
  let pending = targets.filter((t) => isWaitedKind(t.object));
  const states = new Map<WaitTarget, string>();
  // A crashing container is Running (so "available") for an instant: a
  // long-running workload counts as ready only when it is still ready, with
  // healthy pods, on the next poll.
  const seenReady = new Set<WaitTarget>();
  while (pending.length > 0) {
    const still: WaitTarget[] = [];
    for (const t of pending) {
      const live = await api.json<KubeObject>({
        method: 'GET',
        path: resourcePath(t.resource, t.namespace, t.object.metadata.name),
        ...(o.signal ? { signal: o.signal } : {}),
      });
      const state = workloadState(live);
      const name = `${objectName(live)}${t.namespace ? ` in ${t.namespace}` : ''}`;
      if (state.failed) throw await failure(api, t, live, `${name} failed: ${state.failed}`, o);
      if (!state.ready || live.kind !== 'Job') await checkPods(api, t, live, name, o);
      if (state.ready && (live.kind === 'Job' || seenReady.has(t))) {
        o.log?.(`${name} ready (${state.summary})`);
        o.onReady?.(objectName(live), state.summary);
        continue;
      }
      if (state.ready) seenReady.add(t);
      else seenReady.delete(t);
      states.set(t, state.summary);
      still.push(t);
    }
    pending = still;
    if (pending.length === 0) return;
    if (now() > deadline) {
      const list = pending.map((t) => `${objectName(t.object)} (${states.get(t)})`).join(', ');
      throw new UserError(`timed out after ${o.timeoutMs / 1000} s waiting for ${list}`, {
        hint: 'look at the pods with kubectl describe, or raise --timeout',
      });
    }
    await sleep(o.pollMs ?? 1000, undefined, o.signal ? { signal: o.signal } : {});
  }
}

async function checkPods(
  api: KubeApi,
  t: WaitTarget,
  live: KubeObject,
  name: string,
  o: WaitOptions,
): Promise<void> {
  const selector = podSelector(live);
  if (!selector || !t.namespace) return;
  for (const pod of await listPods(api, t.namespace, selector, o.signal)) {
    const problem = podProblem(pod);
    if (!problem) continue;
    const podName = pod.metadata.name ?? '';
    const lines =
      problem.previousLogs || problem.currentLogs
        ? await lastLogLines(api, t.namespace, podName, {
            ...(problem.container ? { container: problem.container } : {}),
            previous: problem.previousLogs,
            lines: o.logLines ?? 10,
            ...(o.signal ? { signal: o.signal } : {}),
          })
        : [];
    throw new UserError(
      `${name}: pod ${podName} ${problem.reason}${problem.message ? `: ${problem.message}` : ''}`,
      {
        hint: hintFor(problem.reason),
        ...logDetails(lines),
      },
    );
  }
}

async function failure(
  api: KubeApi,
  t: WaitTarget,
  live: KubeObject,
  message: string,
  o: WaitOptions,
): Promise<UserError> {
  const selector = podSelector(live);
  let lines: string[] = [];
  if (selector && t.namespace) {
    const pods = await listPods(api, t.namespace, selector, o.signal).catch(() => []);
    const last = pods.at(-1);
    if (last?.metadata.name)
      lines = await lastLogLines(api, t.namespace, last.metadata.name, {
        lines: o.logLines ?? 10,
        ...(o.signal ? { signal: o.signal } : {}),
      });
  }
  return new UserError(message, {
    hint: `fix the program or its manifest and apply again${lines.length ? '; its last log lines follow' : ''}`,
    ...logDetails(lines),
  });
}

function hintFor(reason: string): string {
  switch (reason) {
    case 'ImagePullBackOff':
    case 'ErrImagePull':
    case 'InvalidImageName':
      return 'the node cannot pull the image: check KO_DOCKER_REPO is reachable from the cluster and its credentials (imagePullSecrets)';
    case 'CrashLoopBackOff':
      return 'the program keeps exiting; its last log lines follow';
    case 'OOMKilled':
      return 'raise the container memory limit or reduce the program memory use';
    case 'Unschedulable':
      return 'no node can take the pod: check resource requests, node selectors and taints';
    default:
      return 'kubectl describe pod shows more';
  }
}

/** A program's last log lines, indented, as an error's details. */
function logDetails(lines: readonly string[]): { details?: string } {
  return lines.length ? { details: lines.map((l) => `  ${l}`).join('\n') } : {};
}
