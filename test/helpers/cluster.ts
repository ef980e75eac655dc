/**
 * kodev's real single-node Kubernetes cluster for tests, driven through
 * scripts/cluster/*.sh: start (or reuse) it, check its health, import images
 * into its containerd, and hand each test a fresh namespace.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { execa } from 'execa';
import { REPO_ROOT } from './kodev.js';

/** Where the cluster scripts live. */
export const CLUSTER_SCRIPTS = join(REPO_ROOT, 'scripts/cluster');

/** What tests need to reach the cluster. */
export interface ClusterInfo {
  /** Admin kubeconfig (token auth, CA-verified, 127.0.0.1). */
  kubeconfig: string;
  /** The node's containerd socket, for `ctr` image imports. */
  containerdSocket: string;
  /** The directory holding the cluster's state and logs. */
  dir: string;
}

/** A started cluster; `stop` is a no-op when an already running one was reused. */
export interface StartedCluster extends ClusterInfo {
  reused: boolean;
  stop(): Promise<void>;
}

function clusterDir(): string {
  return process.env.KODEV_CLUSTER_DIR ?? '/tmp/kodev-cluster';
}

/** Runs health.sh; returns its report (component lines, and the failing one's log tail). */
export async function clusterHealth(): Promise<{ healthy: boolean; report: string }> {
  const r = await execa('bash', [join(CLUSTER_SCRIPTS, 'health.sh')], { reject: false, all: true });
  return { healthy: r.exitCode === 0, report: String(r.all) };
}

/**
 * Starts the cluster (building Kubernetes first on a new machine), or reuses a
 * healthy one that someone else started, which is then left running.
 */
export async function startCluster(): Promise<StartedCluster> {
  const before = await clusterHealth();
  const r = await execa('bash', [join(CLUSTER_SCRIPTS, 'start.sh')], {
    reject: false,
    all: true,
    timeout: 60 * 60_000,
  });
  if (r.exitCode !== 0) {
    const health = await clusterHealth();
    throw new Error(
      `the test cluster did not start (scripts/cluster/start.sh exit ${r.exitCode}):\n${String(r.all)}\n${health.report}`,
    );
  }
  const dir = clusterDir();
  const reused = before.healthy;
  return {
    kubeconfig: String(r.stdout).trim().split('\n').pop() as string,
    containerdSocket: join(dir, 'containerd/containerd.sock'),
    dir,
    reused,
    stop: async () => {
      if (!reused) await execa('bash', [join(CLUSTER_SCRIPTS, 'stop.sh')], { reject: false });
    },
  };
}

/** Imports a docker-archive into the node's containerd (as kind.local would), named by its RepoTags. */
export async function importImage(cluster: ClusterInfo, archive: string): Promise<void> {
  await execa('ctr', [
    '--address',
    cluster.containerdSocket,
    '-n',
    'k8s.io',
    'images',
    'import',
    '--snapshotter',
    'native',
    archive,
  ]);
}

/** A client for the cluster as the admin. */
export function kubeConfig(cluster: ClusterInfo): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  return kc;
}

/**
 * Creates a namespace of its own for a test and waits until its default
 * service account exists (pods are refused before that). Returns its name and
 * a cleanup that deletes it.
 */
export async function freshNamespace(
  cluster: ClusterInfo,
  prefix = 'kodev-test',
): Promise<{ name: string; remove(): Promise<void> }> {
  const core = kubeConfig(cluster).makeApiClient(CoreV1Api);
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  await core.createNamespace({ body: { metadata: { name, labels: { 'kodev.test/owned': 'true' } } } });
  await waitFor(`service account default in ${name}`, 30_000, async () => {
    await core.readNamespacedServiceAccount({ name: 'default', namespace: name });
    return true;
  });
  return { name, remove: async () => void (await core.deleteNamespace({ name }).catch(() => undefined)) };
}

/** Polls `check` until it returns a truthy value (errors count as not yet), or fails naming what it waited for. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | false | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const health = await clusterHealth();
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}\ncluster health:\n${health.report}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
