/**
 * The setup every Kubernetes end-to-end test file shares: a registry the
 * node pulls from, a copy of a fixture, and fresh namespaces removed at the
 * end. Call at the top level of a test file.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import { freshNamespace } from './cluster.js';
import { copyFixture, removeAll } from './kodev.js';
import { type Registry, startRegistry } from './registry.js';

/** What a Kubernetes test file works with; fields are set by its beforeAll. */
export interface ClusterSuite {
  cluster: ReturnType<typeof inject<'cluster'>>;
  registry: Registry;
  /** The fixture's copy. */
  app: string;
  /** A namespace of the test's own, deleted after the file. */
  namespace(): Promise<string>;
}

/** Registers the file's beforeAll/afterAll and returns the suite they fill in. */
export function clusterSuite(fixture = 'k8s-app'): ClusterSuite {
  const cleanups: (() => Promise<void>)[] = [];
  const suite = {
    cluster: inject('cluster'),
    registry: undefined as unknown as Registry,
    app: '',
    async namespace() {
      const ns = await freshNamespace(suite.cluster);
      cleanups.push(ns.remove);
      return ns.name;
    },
  };
  beforeAll(async () => {
    suite.registry = await startRegistry();
    suite.app = await copyFixture(fixture);
  }, 120_000);
  afterAll(async () => {
    for (const c of cleanups) await c();
    await suite.registry?.stop();
    if (suite.app) await removeAll(join(suite.app, '..'));
  });
  return suite;
}
