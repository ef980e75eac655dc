/**
 * Pure readings of workload and pod status: is a Deployment, StatefulSet,
 * DaemonSet or Job done rolling out, and is a pod stuck for a reason that
 * waiting will not fix (image pull, crash loop, OOM, unschedulable).
 */
import type { KubeObject } from './objects.js';

/** Where a workload stands. */
export interface WorkloadState {
  ready: boolean;
  /** A terminal failure (Job Failed, Deployment past its progress deadline). */
  failed?: string;
  /** `2/3 ready`, for progress and timeout messages. */
  summary: string;
}

/** Kinds `--wait` watches, by `group/Kind`. */
export const WAITED_KINDS = new Set(['apps/Deployment', 'apps/StatefulSet', 'apps/DaemonSet', 'batch/Job']);

/** True when kodev waits for this object to become ready. */
export function isWaitedKind(o: KubeObject): boolean {
  const group = o.apiVersion.includes('/') ? o.apiVersion.slice(0, o.apiVersion.indexOf('/')) : '';
  return WAITED_KINDS.has(`${group}/${o.kind}`);
}

type Status = Record<string, unknown> & {
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
};

/** Reads a live workload's status (kubectl rollout status semantics). */
export function workloadState(o: KubeObject): WorkloadState {
  const spec = (o.spec ?? {}) as Record<string, unknown>;
  const st = (o.status ?? {}) as Status;
  const num = (k: string) => (typeof st[k] === 'number' ? (st[k] as number) : 0);
  const observed = (st.observedGeneration as number | undefined) ?? 0;
  const current = observed >= (o.metadata.generation ?? 0);
  const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
  const cond = (type: string) => st.conditions?.find((c) => c.type === type);
  switch (o.kind) {
    case 'Deployment': {
      const progressing = cond('Progressing');
      if (progressing?.reason === 'ProgressDeadlineExceeded')
        return {
          ready: false,
          failed: `ProgressDeadlineExceeded: ${progressing.message ?? ''}`.trim(),
          summary: `${num('availableReplicas')}/${replicas} available`,
        };
      const ready =
        current &&
        num('updatedReplicas') >= replicas &&
        num('availableReplicas') >= replicas &&
        num('replicas') <= num('updatedReplicas');
      return { ready, summary: `${num('availableReplicas')}/${replicas} available` };
    }
    case 'StatefulSet': {
      const rolling = (spec.updateStrategy as { type?: string } | undefined)?.type !== 'OnDelete';
      const revisions =
        !rolling || st.updateRevision === undefined || st.updateRevision === st.currentRevision;
      const ready =
        current &&
        num('readyReplicas') >= replicas &&
        (!rolling || num('updatedReplicas') >= replicas) &&
        revisions;
      return { ready, summary: `${num('readyReplicas')}/${replicas} ready` };
    }
    case 'DaemonSet': {
      const desired = num('desiredNumberScheduled');
      const ready = current && num('updatedNumberScheduled') >= desired && num('numberAvailable') >= desired;
      return { ready, summary: `${num('numberAvailable')}/${desired} available` };
    }
    case 'Job': {
      const failed = cond('Failed');
      if (failed?.status === 'True')
        return {
          ready: false,
          failed: `${failed.reason ?? 'Failed'}: ${failed.message ?? ''}`.trim(),
          summary: 'failed',
        };
      const complete = cond('Complete')?.status === 'True';
      return {
        ready: complete,
        summary: complete ? 'complete' : `${num('succeeded')} succeeded, ${num('active')} active`,
      };
    }
    default:
      return { ready: true, summary: 'applied' };
  }
}

/** A pod problem waiting will not fix. */
export interface PodProblem {
  reason: string;
  message: string;
  container?: string;
  /** The container crashed: its previous instance's logs explain why. */
  previousLogs: boolean;
  /** The container has just exited: its own (current) logs explain why. */
  currentLogs?: boolean;
}

const STUCK_WAITING = new Set([
  'ImagePullBackOff',
  'ErrImagePull',
  'ErrImageNeverPull',
  'InvalidImageName',
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

interface ContainerStatus {
  name: string;
  restartCount?: number;
  state?: {
    waiting?: { reason?: string; message?: string };
    terminated?: { reason?: string; exitCode?: number; message?: string };
  };
  lastState?: { terminated?: { reason?: string; exitCode?: number } };
}

/** The first unfixable problem of a pod, or undefined while it is fine or still starting. */
export function podProblem(pod: KubeObject): PodProblem | undefined {
  // A pod being deleted (the old one of a rollout) exits on SIGTERM: that is not a crash.
  if (pod.metadata.deletionTimestamp) return undefined;
  const st = (pod.status ?? {}) as {
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
  const sched = st.conditions?.find((c) => c.type === 'PodScheduled');
  if (sched?.status === 'False' && sched.reason === 'Unschedulable')
    return { reason: 'Unschedulable', message: sched.message ?? '', previousLogs: false };
  for (const c of [...(st.initContainerStatuses ?? []), ...(st.containerStatuses ?? [])]) {
    const waiting = c.state?.waiting;
    if (waiting?.reason && STUCK_WAITING.has(waiting.reason)) {
      const last = c.lastState?.terminated;
      const why = last ? ` (last exit: ${last.reason ?? 'Error'}, code ${last.exitCode ?? '?'})` : '';
      return {
        reason: waiting.reason,
        message: `${waiting.message ?? ''}${why}`.trim(),
        container: c.name,
        previousLogs: waiting.reason === 'CrashLoopBackOff',
      };
    }
    const term = c.state?.terminated ?? c.lastState?.terminated;
    const restartsAlways =
      ((pod.spec as { restartPolicy?: string } | undefined)?.restartPolicy ?? 'Always') === 'Always';
    if (
      restartsAlways &&
      c.state?.terminated &&
      c.state.terminated.exitCode !== 0 &&
      term?.reason !== 'OOMKilled'
    )
      return {
        reason: 'CrashLoopBackOff',
        message: `container ${c.name} exited (last exit: ${c.state.terminated.reason ?? 'Error'}, code ${c.state.terminated.exitCode ?? '?'})`,
        container: c.name,
        previousLogs: false,
        currentLogs: true,
      };
    if (term?.reason === 'OOMKilled')
      return {
        reason: 'OOMKilled',
        message: `container ${c.name} ran out of memory (exit code ${term.exitCode ?? 137})`,
        container: c.name,
        previousLogs: !c.state?.terminated,
      };
  }
  return undefined;
}

/** The label selector string of a workload's pods (`a=b,c=d`), or undefined when it has none. */
export function podSelector(o: KubeObject): string | undefined {
  if (o.kind === 'Job') {
    const uid = o.metadata.uid;
    return uid ? `batch.kubernetes.io/controller-uid=${uid}` : undefined;
  }
  const sel = (o.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)?.selector;
  const labels = Object.entries(sel?.matchLabels ?? {});
  return labels.length ? labels.map(([k, v]) => `${k}=${v}`).join(',') : undefined;
}
