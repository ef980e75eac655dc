/**
 * `kodev run`'s pod: create a one-off Pod, wait for it to start (failing
 * fast on image pull or scheduling problems), follow its log, report the
 * container's exit code, and always delete it afterwards.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../errors.js';
import { KubeApiError, type KubeApi } from './client.js';
import type { KubeObject } from './objects.js';
import { podLogStream } from './pods.js';
import { podProblem } from './workload-status.js';

/** What to run. */
export interface RunPodSpec {
  name: string;
  namespace: string;
  image: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  labels: Readonly<Record<string, string>>;
}

/** How to run it. */
export interface RunPodOptions {
  /** Receives the program's output as it arrives. */
  output: (chunk: string) => void;
  log: (line: string) => void;
  /** Aborting stops following and deletes the pod. */
  signal: AbortSignal;
  /** How long the pod may take to start. */
  startTimeoutMs: number;
  pollMs?: number;
}

/** Runs the pod to completion and returns its container's exit code. */
export async function runPod(api: KubeApi, spec: RunPodSpec, o: RunPodOptions): Promise<number> {
  const podsPath = `/api/v1/namespaces/${encodeURIComponent(spec.namespace)}/pods`;
  const podPath = `${podsPath}/${encodeURIComponent(spec.name)}`;
  const container = spec.name.replace(/-[0-9a-f]{5}$/, '');
  const body: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: spec.name, namespace: spec.namespace, labels: { ...spec.labels } },
    spec: {
      restartPolicy: 'Never',
      containers: [
        {
          name: container,
          image: spec.image,
          args: [...spec.args],
          env: Object.entries(spec.env).map(([name, value]) => ({ name, value })),
        },
      ],
    },
  };
  try {
    await api.json({
      method: 'POST',
      path: podsPath,
      query: { fieldManager: 'kodev' },
      body,
      signal: o.signal,
    });
  } catch (err) {
    if (err instanceof KubeApiError)
      throw new UserError(`cannot create pod ${spec.name} in namespace ${spec.namespace}: ${err.message}`, {
        hint:
          err.reason === 'Forbidden'
            ? 'your credentials may not create pods there; try another -n'
            : 'check the namespace and your permissions',
        cause: err,
      });
    throw err;
  }
  o.log(`pod ${spec.name} created in namespace ${spec.namespace}`);
  try {
    await waitStarted(api, podPath, spec, o);
    const stream = await podLogStream(api, spec.namespace, spec.name, { follow: true, signal: o.signal });
    stream.setEncoding('utf8');
    for await (const chunk of stream) o.output(chunk as string);
    return await exitCode(api, podPath, o);
  } finally {
    await deletePod(api, podPath, spec, o);
  }
}

async function waitStarted(api: KubeApi, path: string, spec: RunPodSpec, o: RunPodOptions): Promise<void> {
  const deadline = Date.now() + o.startTimeoutMs;
  for (;;) {
    const pod = await api.json<KubeObject>({ method: 'GET', path, signal: o.signal });
    const phase = (pod.status as { phase?: string } | undefined)?.phase;
    if (phase === 'Running' || phase === 'Succeeded' || phase === 'Failed') return;
    const problem = podProblem(pod);
    if (problem)
      throw new UserError(
        `pod ${spec.name} ${problem.reason}${problem.message ? `: ${problem.message}` : ''}`,
        {
          hint:
            problem.reason === 'Unschedulable'
              ? 'no node can take the pod'
              : 'check that the cluster can pull from KO_DOCKER_REPO',
        },
      );
    if (Date.now() > deadline)
      throw new UserError(
        `pod ${spec.name} did not start within ${o.startTimeoutMs / 1000} s (phase ${phase ?? 'unknown'})`,
        {
          hint: 'look at the pod with kubectl describe, or raise --timeout',
        },
      );
    await sleep(o.pollMs ?? 300, undefined, { signal: o.signal });
  }
}

async function exitCode(api: KubeApi, path: string, o: RunPodOptions): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const pod = await api.json<KubeObject>({ method: 'GET', path, signal: o.signal });
    const statuses = (
      pod.status as { containerStatuses?: { state?: { terminated?: { exitCode?: number } } }[] } | undefined
    )?.containerStatuses;
    const code = statuses?.[0]?.state?.terminated?.exitCode;
    if (code !== undefined) return code;
    await sleep(o.pollMs ?? 300, undefined, { signal: o.signal });
  }
  throw new UserError('the pod log ended but the container is still running', {
    hint: 'run again; the pod was deleted',
  });
}

async function deletePod(api: KubeApi, path: string, spec: RunPodSpec, o: RunPodOptions): Promise<void> {
  try {
    // A fresh request with no signal: the run's own may already be aborted (Ctrl-C).
    await api.json({
      method: 'DELETE',
      path,
      query: { gracePeriodSeconds: 0, propagationPolicy: 'Background' },
    });
    o.log(`pod ${spec.name} deleted`);
  } catch (err) {
    if (!(err instanceof KubeApiError && err.statusCode === 404))
      o.log(
        `warning: could not delete pod ${spec.name} in namespace ${spec.namespace}: ${(err as Error).message}`,
      );
  }
}
