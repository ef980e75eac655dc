/**
 * Finds the nodes of a kind cluster the way kind does: they are the running
 * containers labelled `io.x-k8s.kind.cluster=<name>`, each with a role label.
 */
import { UserError } from '../errors.js';
import type { EngineLine } from './exec.js';

/** The label kind puts on every node container, valued with the cluster name. */
export const KIND_CLUSTER_LABEL = 'io.x-k8s.kind.cluster';
/** The label saying a node's role. */
export const KIND_ROLE_LABEL = 'io.x-k8s.kind.role';
/** The cluster kind and ko use when KIND_CLUSTER_NAME is unset. */
export const DEFAULT_KIND_CLUSTER = 'kind';

/** One node container of a kind cluster. */
export interface KindNode {
  id: string;
  /** The container name without the leading `/` (e.g. `kind-control-plane`). */
  name: string;
  /** `control-plane`, `worker`, or whatever the label says (empty when missing). */
  role: string;
}

interface ContainerSummary {
  Id: string;
  Names?: string[];
  Labels?: Record<string, string>;
}

/**
 * The running nodes of `clusterName`, sorted by name. Throws a UserError when
 * there are none, naming the kind clusters the daemon does have.
 */
export async function listKindNodes(line: EngineLine, clusterName: string): Promise<KindNode[]> {
  const running = await line.json<ContainerSummary[]>('GET', '/containers/json', {
    query: { filters: JSON.stringify({ label: [`${KIND_CLUSTER_LABEL}=${clusterName}`] }) },
    what: `list the nodes of kind cluster ${clusterName}`,
  });
  const nodes = (running ?? [])
    .map((c) => ({
      id: c.Id,
      name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
      role: c.Labels?.[KIND_ROLE_LABEL] ?? '',
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (nodes.length > 0) return nodes;

  const all = await line.json<ContainerSummary[]>('GET', '/containers/json', {
    query: { all: '1', filters: JSON.stringify({ label: [KIND_CLUSTER_LABEL] }) },
    what: 'list kind clusters',
  });
  const clusters = [...new Set((all ?? []).map((c) => c.Labels?.[KIND_CLUSTER_LABEL] ?? ''))]
    .filter((n) => n !== '')
    .sort();
  throw new UserError(
    `no running nodes of kind cluster ${JSON.stringify(clusterName)} in the Docker daemon at ${line.address}` +
      ` (kind clusters found: ${clusters.length > 0 ? clusters.join(', ') : 'none'})`,
    {
      hint:
        clusters.length > 0
          ? `set KIND_CLUSTER_NAME to one of: ${clusters.join(', ')} (or start the stopped nodes)`
          : 'create a cluster with `kind create cluster`, or set KIND_CLUSTER_NAME and DOCKER_HOST to reach yours',
    },
  );
}
