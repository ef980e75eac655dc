/**
 * Decides, before anything is sent, where each object goes: its REST
 * resource (through discovery, or from a CRD in the same batch), its
 * namespace, and the order (Namespaces, then CRDs, then the rest as written).
 */
import { UserError } from '../errors.js';
import type { Discovery, ResourceInfo } from './discovery.js';
import { type KubeObject, type ManifestObject, objectName } from './objects.js';

/** One object ready to send. */
export interface PlannedObject extends ManifestObject {
  /** Known now, or undefined for a custom resource whose CRD is in the same batch. */
  resource?: ResourceInfo;
  /** The CRD in the batch that defines this object's kind. */
  definedBy?: ManifestObject;
  namespace: string | undefined;
}

/** Where objects without a namespace go, and whether a different one is an error. */
export interface NamespaceRule {
  namespace: string;
  fromFlag: boolean;
}

const CRD_KIND = 'CustomResourceDefinition';

/** Orders and locates every object; throws naming the first one that cannot be placed. */
export async function planObjects(
  discovery: Discovery,
  objects: readonly ManifestObject[],
  rule: NamespaceRule,
  signal?: AbortSignal,
): Promise<PlannedObject[]> {
  const crds = objects.filter((o) => o.object.kind === CRD_KIND);
  const planned: PlannedObject[] = [];
  for (const o of objects) {
    const resource = await discovery.resource(o.object.apiVersion, o.object.kind, signal);
    const definedBy = resource ? undefined : crds.find((c) => definesKind(c.object, o.object));
    if (!resource && !definedBy)
      throw new UserError(
        `${o.where}: the API server has no kind ${o.object.kind} in ${o.object.apiVersion} (${objectName(o.object)})`,
        { hint: 'check apiVersion and kind, or include the CustomResourceDefinition that defines it' },
      );
    const namespaced = resource ? resource.namespaced : crdScope(definedBy?.object) === 'Namespaced';
    planned.push({
      ...o,
      ...(resource ? { resource } : {}),
      ...(definedBy ? { definedBy } : {}),
      namespace: placeNamespace(o, namespaced, rule),
    });
  }
  const rank = (p: PlannedObject) =>
    p.object.kind === 'Namespace' && !p.object.apiVersion.includes('/')
      ? 0
      : p.object.kind === CRD_KIND
        ? 1
        : 2;
  return planned
    .map((p, i) => ({ p, i }))
    .sort((a, b) => rank(a.p) - rank(b.p) || a.i - b.i)
    .map((x) => x.p);
}

function placeNamespace(o: ManifestObject, namespaced: boolean, rule: NamespaceRule): string | undefined {
  if (!namespaced) return undefined;
  const own = o.object.metadata.namespace;
  if (own && rule.fromFlag && own !== rule.namespace)
    throw new UserError(
      `${o.where}: ${objectName(o.object)} names namespace ${own}, which does not match -n ${rule.namespace}`,
      { hint: 'drop -n, or remove metadata.namespace from the manifest' },
    );
  return own || rule.namespace;
}

/** True when `crd` (a CustomResourceDefinition) defines the kind of `o`. */
export function definesKind(crd: KubeObject, o: KubeObject): boolean {
  const spec = crd.spec as
    { group?: string; names?: { kind?: string }; versions?: { name?: string }[] } | undefined;
  if (!spec?.group || spec.names?.kind !== o.kind) return false;
  return (spec.versions ?? []).some((v) => `${spec.group}/${v.name}` === o.apiVersion);
}

function crdScope(crd: KubeObject | undefined): string | undefined {
  return (crd?.spec as { scope?: string } | undefined)?.scope;
}

/** Namespaces created by this batch (objects in them cannot be dry-run first). */
export function newNamespaces(planned: readonly PlannedObject[]): Set<string> {
  return new Set(
    planned
      .filter((p) => p.object.kind === 'Namespace' && p.object.metadata.name)
      .map((p) => p.object.metadata.name as string),
  );
}
