/**
 * kubectl's client-side apply, for `--server-side=false`: the last applied
 * configuration lives in an annotation; an update is a JSON merge patch that
 * sets what differs from the live object and removes what was applied last
 * time but is no longer written.
 */
import { KubeApiError, type KubeApi } from './client.js';
import { type ResourceInfo, resourcePath } from './discovery.js';
import type { KubeObject } from './objects.js';

/** The annotation kubectl keeps the last applied configuration in. */
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Creates the object, or patches it towards `desired`; with `dryRun` the server changes nothing. */
export async function clientSideApply(
  api: KubeApi,
  resource: ResourceInfo,
  namespace: string | undefined,
  desired: KubeObject,
  o: { fieldManager: string; dryRun: boolean; signal?: AbortSignal },
): Promise<{ live: KubeObject; action: 'created' | 'configured' | 'unchanged' }> {
  const name = desired.metadata.name as string;
  const query = { fieldManager: o.fieldManager, ...(o.dryRun ? { dryRun: 'All' } : {}) };
  const signal = o.signal ? { signal: o.signal } : {};
  const annotated = withLastApplied(desired);
  let live: KubeObject;
  try {
    live = await api.json<KubeObject>({
      method: 'GET',
      path: resourcePath(resource, namespace, name),
      ...signal,
    });
  } catch (err) {
    if (!(err instanceof KubeApiError && err.statusCode === 404)) throw err;
    const created = await api.json<KubeObject>({
      method: 'POST',
      path: resourcePath(resource, namespace),
      query,
      body: annotated,
      ...signal,
    });
    return { live: created, action: 'created' };
  }
  const lastText = live.metadata.annotations?.[LAST_APPLIED];
  const last = lastText ? (safeParse(lastText) as Json) : {};
  const patch = mergePatch(live as unknown as Json, annotated as unknown as Json, last);
  if (patch === undefined) return { live, action: 'unchanged' };
  const patched = await api.json<KubeObject>({
    method: 'PATCH',
    path: resourcePath(resource, namespace, name),
    query,
    body: patch,
    contentType: 'application/merge-patch+json',
    ...signal,
  });
  return { live: patched, action: 'configured' };
}

function withLastApplied(obj: KubeObject): KubeObject {
  const { [LAST_APPLIED]: _drop, ...annotations } = obj.metadata.annotations ?? {};
  const clean = { ...obj, metadata: { ...obj.metadata, annotations } };
  if (Object.keys(annotations).length === 0) delete (clean.metadata as { annotations?: unknown }).annotations;
  return {
    ...obj,
    metadata: { ...obj.metadata, annotations: { ...annotations, [LAST_APPLIED]: JSON.stringify(clean) } },
  };
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}

function isObject(v: Json | undefined): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The JSON merge patch (RFC 7386) taking `live` to `desired`, deleting keys
 * that `last` applied and `desired` no longer has; undefined when nothing differs.
 */
export function mergePatch(live: Json | undefined, desired: Json, last: Json | undefined): Json | undefined {
  if (!isObject(desired) || !isObject(live)) return deepEqual(live, desired) ? undefined : desired;
  const patch: { [k: string]: Json } = {};
  for (const [k, v] of Object.entries(desired)) {
    const sub = mergePatch(live[k], v, isObject(last) ? last[k] : undefined);
    if (sub !== undefined) patch[k] = sub;
  }
  if (isObject(last)) for (const k of Object.keys(last)) if (!(k in desired) && k in live) patch[k] = null;
  return Object.keys(patch).length ? patch : undefined;
}

function deepEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || a === undefined || b === undefined) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (typeof a !== 'object') return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return (
    ka.length === kb.length &&
    ka.every((k) => deepEqual((a as Record<string, Json>)[k], (b as Record<string, Json>)[k]))
  );
}
