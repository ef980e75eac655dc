/**
 * Deletes what manifests describe, last written first (custom resources
 * before CRDs, Namespaces last), with background
 * propagation. Objects that are already gone, or whose kind the server no
 * longer serves (a CRD deleted earlier in the run), are noted and skipped.
 */
import { KubeApiError, type KubeApi } from './client.js';
import { type Discovery, resourcePath } from './discovery.js';
import { refusal } from './errors.js';
import { type ManifestObject, objectName } from './objects.js';
import type { NamespaceRule } from './plan.js';

/** What happened to one object. */
export interface DeletedObject {
  object: ManifestObject;
  namespace: string | undefined;
  outcome: 'deleted' | 'not found' | 'kind not served';
}

/** Deletes every object (in reverse order); throws on the first refusal other than NotFound. */
export async function deleteObjects(
  api: KubeApi,
  discovery: Discovery,
  objects: readonly ManifestObject[],
  rule: NamespaceRule,
  o: { signal?: AbortSignal; log?: (line: string) => void; dryRun?: boolean },
): Promise<DeletedObject[]> {
  const out: DeletedObject[] = [];
  for (const m of deletionOrder(objects)) {
    const resource = await discovery.resource(m.object.apiVersion, m.object.kind, o.signal);
    const namespace = resource?.namespaced ? m.object.metadata.namespace || rule.namespace : undefined;
    const name = `${objectName(m.object)}${namespace ? ` (${namespace})` : ''}`;
    if (!resource) {
      out.push({ object: m, namespace, outcome: 'kind not served' });
      o.log?.(`${name} skipped: the server does not serve ${m.object.kind} in ${m.object.apiVersion}`);
      continue;
    }
    try {
      await api.json({
        method: 'DELETE',
        path: resourcePath(resource, namespace, m.object.metadata.name),
        query: { propagationPolicy: 'Background', ...(o.dryRun ? { dryRun: 'All' } : {}) },
        ...(o.signal ? { signal: o.signal } : {}),
      });
      out.push({ object: m, namespace, outcome: 'deleted' });
      o.log?.(`${name} deleted`);
    } catch (err) {
      if (err instanceof KubeApiError && err.statusCode === 404) {
        out.push({ object: m, namespace, outcome: 'not found' });
        o.log?.(`${name} not found (already deleted)`);
        continue;
      }
      throw refusal(err, m, namespace, 'delete');
    }
  }
  if (out.some((d) => d.object.object.kind === 'CustomResourceDefinition')) discovery.invalidate();
  return out;
}

/** Last written first, but custom resources before their CRDs and everything before Namespaces. */
function deletionOrder(objects: readonly ManifestObject[]): ManifestObject[] {
  const rank = (m: ManifestObject) =>
    m.object.kind === 'Namespace' && m.object.apiVersion === 'v1'
      ? 2
      : m.object.kind === 'CustomResourceDefinition'
        ? 1
        : 0;
  return [...objects].reverse().sort((a, b) => rank(a) - rank(b));
}
