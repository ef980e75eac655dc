/** Pod reads: listing a workload's pods and fetching or following container logs. */
import type { Readable } from 'node:stream';
import { type KubeApi, KubeApiError } from './client.js';
import type { KubeObject } from './objects.js';

/** Pods in a namespace matching a label selector. */
export async function listPods(
  api: KubeApi,
  namespace: string,
  selector: string,
  signal?: AbortSignal,
): Promise<KubeObject[]> {
  const list = await api.json<{ items?: KubeObject[] }>({
    method: 'GET',
    path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`,
    query: { labelSelector: selector },
    ...(signal ? { signal } : {}),
  });
  return list.items ?? [];
}

/** One pod by name, or undefined when it no longer exists. */
export async function readPod(
  api: KubeApi,
  namespace: string,
  name: string,
  signal?: AbortSignal,
): Promise<KubeObject | undefined> {
  try {
    return await api.json<KubeObject>({
      method: 'GET',
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`,
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    if (err instanceof KubeApiError && err.statusCode === 404) return undefined;
    throw err;
  }
}

/** Options for a log request. */
export interface LogOptions {
  container?: string;
  follow?: boolean;
  previous?: boolean;
  tailLines?: number;
  /** Prefix every line with its RFC3339Nano timestamp and a space. */
  timestamps?: boolean;
  /** Only lines at or after this RFC3339 time. */
  sinceTime?: string;
  signal?: AbortSignal;
}

function logPath(namespace: string, pod: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`;
}

/** A container's log as a stream (with `follow`, until the container stops or the signal aborts). */
export function podLogStream(api: KubeApi, namespace: string, pod: string, o: LogOptions): Promise<Readable> {
  return api.stream(
    logPath(namespace, pod),
    {
      container: o.container,
      follow: o.follow || undefined,
      previous: o.previous || undefined,
      tailLines: o.tailLines,
      timestamps: o.timestamps || undefined,
      sinceTime: o.sinceTime,
    },
    o.signal,
  );
}

/** The last `n` lines of a container's log; empty when there is none (never throws). */
export async function lastLogLines(
  api: KubeApi,
  namespace: string,
  pod: string,
  o: { container?: string; previous?: boolean; lines: number; signal?: AbortSignal },
): Promise<string[]> {
  try {
    const stream = await podLogStream(api, namespace, pod, {
      ...(o.container ? { container: o.container } : {}),
      previous: Boolean(o.previous),
      tailLines: o.lines,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    return Buffer.concat(chunks)
      .toString('utf8')
      .split('\n')
      .filter((l) => l !== '');
  } catch {
    return [];
  }
}
