/**
 * Maps apiVersion + kind to the REST resource that serves it, through the API
 * server's discovery documents (one request per group version, cached), so
 * any kind the server knows, CRDs included, can be applied and deleted.
 */
import { KubeApiError, type KubeApi } from './client.js';

/** Where a kind is served. */
export interface ResourceInfo {
  /** `apps/v1`, or `v1` for the core group. */
  apiVersion: string;
  kind: string;
  /** The plural resource name (`deployments`). */
  plural: string;
  namespaced: boolean;
}

interface ApiResourceList {
  resources?: { name: string; kind: string; namespaced: boolean }[];
}

/** Cached discovery for one client. */
export class Discovery {
  private readonly lists = new Map<string, Promise<ApiResourceList | undefined>>();

  constructor(private readonly api: KubeApi) {}

  /** The resource serving `kind` in `apiVersion`, or undefined when the server does not know it. */
  async resource(apiVersion: string, kind: string, signal?: AbortSignal): Promise<ResourceInfo | undefined> {
    let list = this.lists.get(apiVersion);
    if (!list) {
      list = this.fetch(apiVersion, signal);
      this.lists.set(apiVersion, list);
      list.catch(() => this.lists.delete(apiVersion));
    }
    const found = (await list)?.resources?.find((r) => r.kind === kind && !r.name.includes('/'));
    return found ? { apiVersion, kind, plural: found.name, namespaced: found.namespaced } : undefined;
  }

  /** Forgets cached group versions (after CRDs were created or deleted). */
  invalidate(): void {
    this.lists.clear();
  }

  private async fetch(apiVersion: string, signal?: AbortSignal): Promise<ApiResourceList | undefined> {
    try {
      return await this.api.json<ApiResourceList>({
        method: 'GET',
        path: groupVersionPath(apiVersion),
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if (err instanceof KubeApiError && err.statusCode === 404) return undefined;
      throw err;
    }
  }
}

/** `/api/v1` for the core group, `/apis/<group>/<version>` otherwise. */
export function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/** The REST path of a collection (no name) or one object, in a namespace when the kind is namespaced. */
export function resourcePath(info: ResourceInfo, namespace: string | undefined, name?: string): string {
  const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const tail = name === undefined ? '' : `/${encodeURIComponent(name)}`;
  return `${groupVersionPath(info.apiVersion)}${ns}/${info.plural}${tail}`;
}
