/**
 * Kubernetes objects read from manifests: checked to be objects at all
 * (apiVersion, kind, metadata.name), `List`s expanded, and each one remembering
 * the file and line it came from for messages.
 */
import { isMap, isSeq } from 'yaml';
import { UserError } from '../errors.js';
import { type ManifestDocument, location } from '../resolve/documents.js';

/** The parts of an object kodev reads; everything else is sent as written. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name?: string;
    generateName?: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
  };
  [field: string]: unknown;
}

/** An object and where it was written. */
export interface ManifestObject {
  object: KubeObject;
  /** `file:line`, for messages. */
  where: string;
}

/** Turns documents into objects, expanding `List` kinds; throws naming the file and line of the first non-object. */
export function manifestObjects(docs: readonly ManifestDocument[]): ManifestObject[] {
  const out: ManifestObject[] = [];
  for (const d of docs) {
    const where = location(d.source, d.line);
    const value = d.doc.toJS({ maxAliasCount: 1000 }) as unknown;
    if (isListObject(value) && isMap(d.doc.contents)) {
      const itemsNode = d.doc.contents.get('items', true);
      const items = (value as { items: unknown[] }).items;
      items.forEach((item, i) => {
        const node = isSeq(itemsNode) ? itemsNode.items[i] : undefined;
        const range = (node as { range?: [number, number, number] } | undefined)?.range;
        const itemWhere = range ? location(d.source, d.lineAt(range[0])) : where;
        out.push({ object: checkObject(item, itemWhere), where: itemWhere });
      });
    } else {
      out.push({ object: checkObject(value, where), where });
    }
  }
  return out;
}

function isListObject(v: unknown): boolean {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return typeof o.kind === 'string' && o.kind.endsWith('List') && Array.isArray(o.items);
}

function checkObject(value: unknown, where: string): KubeObject {
  const hint = 'every document must be a Kubernetes object with apiVersion, kind and metadata.name';
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new UserError(
      `${where}: not a Kubernetes object (a ${Array.isArray(value) ? 'list' : typeof value})`,
      {
        hint,
      },
    );
  const o = value as Record<string, unknown>;
  for (const key of ['apiVersion', 'kind'] as const) {
    if (typeof o[key] !== 'string' || o[key] === '')
      throw new UserError(`${where}: not a Kubernetes object: ${key} is missing`, { hint });
  }
  const meta = o.metadata;
  if (!meta || typeof meta !== 'object' || Array.isArray(meta))
    throw new UserError(`${where}: ${String(o.kind)} has no metadata`, { hint });
  const m = meta as Record<string, unknown>;
  if (
    (typeof m.name !== 'string' || m.name === '') &&
    (typeof m.generateName !== 'string' || m.generateName === '')
  )
    throw new UserError(`${where}: ${String(o.kind)} has no metadata.name`, { hint });
  if (m.namespace !== undefined && typeof m.namespace !== 'string')
    throw new UserError(`${where}: ${String(o.kind)} metadata.namespace must be a string`, { hint });
  return value as KubeObject;
}

/** `Deployment/web`, for messages and output. */
export function objectName(o: KubeObject): string {
  return `${o.kind}/${o.metadata.name ?? `${o.metadata.generateName ?? ''}*`}`;
}

/** `group/version` split into its group ('' for core). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}
