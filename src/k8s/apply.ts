/**
 * Applies or creates planned objects: a server-side dry run of everything
 * that can be checked first (so an invalid object stops the run before any
 * change), then the real requests in plan order, waiting for new CRDs to be
 * Established before their custom resources. A failure part-way says which
 * objects were already applied.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../errors.js';
import { KubeApiError, type KubeApi } from './client.js';
import { clientSideApply } from './client-side-apply.js';
import { type Discovery, type ResourceInfo, resourcePath } from './discovery.js';
import { refusal } from './errors.js';
import { type KubeObject, objectName } from './objects.js';
import { type PlannedObject, newNamespaces } from './plan.js';

/** How to send objects. */
export interface ApplyOptions {
  /** `apply` updates existing objects; `create` refuses them. */
  mode: 'apply' | 'create';
  /** Server-side apply (default) or kubectl's client-side three-way merge. */
  serverSide: boolean;
  forceConflicts: boolean;
  fieldManager: string;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** How long to wait for a new CRD to be Established (default 60 s). */
  crdTimeoutMs?: number;
}

/** What happened to one object. */
export interface AppliedObject {
  planned: PlannedObject;
  /** The object as the server stored it. */
  live: KubeObject;
  action: 'created' | 'configured' | 'unchanged' | 'serverside-applied';
}

/** Checks every object with a dry run, then applies them in order; returns what the server stored. */
export async function applyObjects(
  api: KubeApi,
  discovery: Discovery,
  planned: readonly PlannedObject[],
  o: ApplyOptions,
): Promise<AppliedObject[]> {
  const verb = o.mode === 'create' ? 'create' : 'apply';
  if (o.mode === 'apply')
    for (const p of planned)
      if (!p.object.metadata.name)
        throw new UserError(
          `${p.where}: ${objectName(p.object)} uses generateName, which apply cannot track`,
          {
            hint: 'give it a metadata.name, or use kodev create',
          },
        );
  const fresh = newNamespaces(planned);
  for (const p of planned) {
    if (!p.resource || (p.namespace && fresh.has(p.namespace))) continue;
    try {
      await send(api, p, p.resource, o, true);
    } catch (err) {
      const e = refusal(err, p, p.namespace, verb);
      throw new UserError(`${e.message}; nothing was ${verb === 'create' ? 'created' : 'applied'}`, {
        ...(e.hint ? { hint: e.hint } : {}),
        cause: err,
      });
    }
  }
  const done: AppliedObject[] = [];
  for (const p of planned) {
    try {
      const resource = p.resource ?? (await customResource(discovery, p, o));
      const result = await send(api, p, resource, o, false);
      done.push({ planned: p, ...result });
      o.log?.(`${objectName(p.object)}${p.namespace ? ` (${p.namespace})` : ''} ${result.action}`);
      if (p.object.kind === 'CustomResourceDefinition' && planned.some((q) => q.definedBy === p)) {
        await waitEstablished(api, p, o);
        discovery.invalidate();
      }
    } catch (err) {
      const e = refusal(err, p, p.namespace, verb);
      const before = done.map((d) => objectName(d.planned.object));
      throw new UserError(
        `${e.message}; ${before.length ? `already ${verb === 'create' ? 'created' : 'applied'}: ${before.join(', ')}` : `nothing was ${verb === 'create' ? 'created' : 'applied'}`}`,
        { ...(e.hint ? { hint: e.hint } : {}), cause: err },
      );
    }
  }
  return done;
}

async function send(
  api: KubeApi,
  p: PlannedObject,
  resource: ResourceInfo,
  o: ApplyOptions,
  dryRun: boolean,
): Promise<{ live: KubeObject; action: AppliedObject['action'] }> {
  const body: KubeObject = withNamespace(p.object, p.namespace);
  const common = { fieldManager: o.fieldManager, ...(dryRun ? { dryRun: 'All' } : {}) };
  const signal = o.signal ? { signal: o.signal } : {};
  if (o.mode === 'create') {
    const r = await api.call<KubeObject>({
      method: 'POST',
      path: resourcePath(resource, p.namespace),
      query: common,
      body,
      ...signal,
    });
    return { live: r.body, action: 'created' };
  }
  if (!o.serverSide) return clientSideApply(api, resource, p.namespace, body, { ...o, dryRun });
  const r = await api.call<KubeObject>({
    method: 'PATCH',
    path: resourcePath(resource, p.namespace, p.object.metadata.name),
    query: { ...common, force: o.forceConflicts },
    body,
    contentType: 'application/apply-patch+yaml',
    ...signal,
  });
  return { live: r.body, action: r.statusCode === 201 ? 'created' : 'serverside-applied' };
}

function withNamespace(obj: KubeObject, namespace: string | undefined): KubeObject {
  if (!namespace || obj.metadata.namespace === namespace) return obj;
  return { ...obj, metadata: { ...obj.metadata, namespace } };
}

async function customResource(
  discovery: Discovery,
  p: PlannedObject,
  o: ApplyOptions,
): Promise<ResourceInfo> {
  // Discovery can lag a moment behind the CRD's Established condition.
  const deadline = Date.now() + (o.crdTimeoutMs ?? 60_000);
  for (;;) {
    const r = await discovery.resource(p.object.apiVersion, p.object.kind, o.signal);
    if (r) return r;
    if (Date.now() > deadline)
      throw new UserError(
        `${p.where}: the API server still does not serve ${p.object.kind} in ${p.object.apiVersion}`,
        { hint: `check that ${p.definedBy?.where ?? 'its CustomResourceDefinition'} defines this version` },
      );
    await sleep(200, undefined, o.signal ? { signal: o.signal } : {});
    discovery.invalidate();
  }
}

async function waitEstablished(api: KubeApi, p: PlannedObject, o: ApplyOptions): Promise<void> {
  const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${encodeURIComponent(p.object.metadata.name ?? '')}`;
  const deadline = Date.now() + (o.crdTimeoutMs ?? 60_000);
  for (;;) {
    try {
      const crd = await api.json<{ status?: { conditions?: { type: string; status: string }[] } }>({
        method: 'GET',
        path,
        ...(o.signal ? { signal: o.signal } : {}),
      });
      if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    } catch (err) {
      if (!(err instanceof KubeApiError && err.statusCode === 404)) throw err;
    }
    if (Date.now() > deadline)
      throw new UserError(
        `${p.where}: ${objectName(p.object)} was not Established within ${(o.crdTimeoutMs ?? 60_000) / 1000} s`,
        {
          hint: 'check the CRD with kubectl describe crd',
        },
      );
    await sleep(200, undefined, o.signal ? { signal: o.signal } : {});
  }
}
