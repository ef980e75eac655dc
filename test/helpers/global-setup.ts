/**
 * Vitest global setup: starts ONE private dockerd and the single-node test
 * cluster for the whole run, side by side, and hands their addresses to tests
 * through `inject`, so test files share them instead of each paying for
 * start-up. A cluster that was already running is reused and left running.
 */
import type { TestProject } from 'vitest/node';
import { type ClusterInfo, startCluster } from './cluster.js';
import { startDockerd } from './dockerd.js';

declare module 'vitest' {
  interface ProvidedContext {
    /** `unix://...` address of the run's private dockerd, for `docker -H`. */
    dockerHost: string;
    /** The test cluster: admin kubeconfig and the node's containerd socket. */
    cluster: ClusterInfo;
  }
}

/** Starts the run's services and returns the teardown that stops what it started. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [dockerd, cluster] = await Promise.allSettled([startDockerd(), startCluster()]);
  if (dockerd.status === 'rejected' || cluster.status === 'rejected') {
    if (dockerd.status === 'fulfilled') await dockerd.value.stop();
    if (cluster.status === 'fulfilled') await cluster.value.stop();
    throw dockerd.status === 'rejected' ? dockerd.reason : (cluster as PromiseRejectedResult).reason;
  }
  project.provide('dockerHost', dockerd.value.host);
  project.provide('cluster', {
    kubeconfig: cluster.value.kubeconfig,
    containerdSocket: cluster.value.containerdSocket,
    dir: cluster.value.dir,
  });
  return async () => {
    await Promise.all([dockerd.value.stop(), cluster.value.stop()]);
  };
}
