/**
 * `kodev apply | create | delete` against the real single-node cluster, with
 * images pushed to a real registry the node pulls from. Results are checked
 * through client-node (not kodev's own client): pod phases, images, field
 * managers, logs.
 */
import { AppsV1Api, BatchV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { kubeConfig, waitFor } from '../helpers/cluster.js';
import { runKodev } from '../helpers/kodev.js';
import { clusterSuite } from '../helpers/k8s-suite.js';

const suite = clusterSuite();
const cluster = suite.cluster;
const namespace = () => suite.namespace();
const kc: KubeConfig = kubeConfig(cluster);

function kodev(args: string[], extra: Record<string, string> = {}, input?: string) {
  return runKodev(args, {
    cwd: suite.app,
    env: { KUBECONFIG: cluster.kubeconfig, KO_DOCKER_REPO: `${suite.registry.host}/apply`, ...extra },
    ...(input !== undefined ? { input } : {}),
  });
}

describe('kodev apply on the k8s-app fixture (two Deployments, a Service, a Job)', () => {
  let ns: string;
  let applied: Awaited<ReturnType<typeof kodev>>;

  beforeAll(async () => {
    ns = await namespace();
    applied = await kodev(['apply', '-f', 'config', '-n', ns, '--wait', '--timeout', '3m']);
  }, 300_000);

  it('exits 0 and prints one kubectl-style line per object on stdout', () => {
    expect(applied.stderr).not.toContain('Error');
    expect(applied.exitCode).toBe(0);
    expect(applied.stdout.trim().split('\n').sort()).toEqual([
      'deployment.apps/server created',
      'deployment.apps/ticker created',
      'job.batch/migrate created',
      'service/server created',
    ]);
  });

  it('runs the built images: Deployments Running and the Job Completed with its arguments', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const pods = (await core.listNamespacedPod({ namespace: ns })).items;
    const byApp = (name: string) => pods.filter((p) => p.metadata?.name?.startsWith(name));
    for (const name of ['server', 'ticker']) {
      const [pod] = byApp(name);
      expect(pod?.status?.phase, name).toBe('Running');
      expect(pod?.spec?.containers[0]?.image).toMatch(
        new RegExp(`^${suite.registry.host}/apply/${name}-[0-9a-f]{32}@sha256:[0-9a-f]{64}$`),
      );
    }
    const [job] = byApp('migrate');
    expect(job?.status?.phase).toBe('Succeeded');
    const log = await core.readNamespacedPodLog({ name: job?.metadata?.name ?? '', namespace: ns });
    expect(log).toBe('kodev-k8s migrate says hello\nargs: [up --to latest]\nmigration done\n');
    const ticker = byApp('ticker')[0]?.metadata?.name ?? '';
    await waitFor('a tick from the ticker', 30_000, async () =>
      (await core.readNamespacedPodLog({ name: ticker, namespace: ns })).includes('tick 1'),
    );
  });

  it('records kodev as the field manager of a server-side apply', async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    const d = await apps.readNamespacedDeployment({ name: 'server', namespace: ns });
    const managers = (d.metadata?.managedFields ?? []).map((f) => `${f.manager}:${f.operation}`);
    expect(managers).toContain('kodev:Apply');
  });

  it('applies again without changes (serverside-applied) and then deletes everything', async () => {
    const again = await kodev(['apply', '-f', 'config', '-n', ns]);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('deployment.apps/server serverside-applied');
    const del = await kodev(['delete', '-f', 'config', '-n', ns]);
    expect(del.exitCode).toBe(0);
    expect(del.stdout.trim().split('\n').sort()).toEqual([
      'deployment.apps "server" deleted',
      'deployment.apps "ticker" deleted',
      'job.batch "migrate" deleted',
      'service "server" deleted',
    ]);
    const apps = kc.makeApiClient(AppsV1Api);
    const batch = kc.makeApiClient(BatchV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    await waitFor('the objects to be gone', 60_000, async () => {
      const d = (await apps.listNamespacedDeployment({ namespace: ns })).items.length;
      const j = (await batch.listNamespacedJob({ namespace: ns })).items.length;
      const s = (await core.listNamespacedService({ namespace: ns })).items.length;
      return d + j + s === 0;
    });
    const twice = await kodev(['delete', '-f', 'config', '-n', ns]);
    expect(twice.exitCode).toBe(0);
    expect(twice.stdout).toBe('');
    expect(twice.stderr).toContain(
      `note: deployment.apps/server in namespace ${ns} was not found (already deleted)`,
    );
  });
});

describe('kodev apply --server-side=false and kodev create', () => {
  const configMap = (labels: string) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  labels: {${labels}}\ndata:\n  mode: fast\n`;

  it('client-side apply keeps the last applied configuration and removes a label dropped from the file', async () => {
    const ns = await namespace();
    const first = await kodev(
      ['apply', '--server-side=false', '-n', ns, '-f', '-'],
      {},
      configMap('a: "1", b: "2"'),
    );
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toBe('configmap/settings created\n');
    const second = await kodev(
      ['apply', '--server-side=false', '-n', ns, '-f', '-'],
      {},
      configMap('a: "1"'),
    );
    expect(second.stdout).toBe('configmap/settings configured\n');
    const third = await kodev(['apply', '--server-side=false', '-n', ns, '-f', '-'], {}, configMap('a: "1"'));
    expect(third.stdout).toBe('configmap/settings unchanged\n');
    const cm = await kc.makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: 'settings', namespace: ns });
    expect(cm.metadata?.labels).toEqual({ a: '1' });
    expect(
      JSON.parse(cm.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration'] ?? '{}'),
    ).toMatchObject({
      kind: 'ConfigMap',
      metadata: { name: 'settings', labels: { a: '1' } },
    });
    expect((cm.metadata?.managedFields ?? []).map((f) => f.manager)).toContain('kodev');
  });

  it('create makes new objects and refuses existing ones, naming the file and line', async () => {
    const ns = await namespace();
    const first = await kodev(['create', '-n', ns, '-f', '-'], {}, configMap('a: "1"'));
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toBe('configmap/settings created\n');
    const again = await kodev(['create', '-n', ns, '-f', '-'], {}, configMap('a: "1"'));
    expect(again.exitCode).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toBe(
      `Error: ConfigMap/settings in namespace ${ns} (<stdin>:1) already exists; nothing was created; kodev create only makes new objects; use kodev apply to update existing ones\n`,
    );
  });
});

describe('manifests without ko:// references', () => {
  it('apply and resolve need no KO_DOCKER_REPO when there is nothing to build', async () => {
    const ns = await namespace();
    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain # no images here\ndata: {a: b}\n';
    const env = { KUBECONFIG: cluster.kubeconfig };
    const applied = await runKodev(['apply', '-n', ns, '-f', '-'], { cwd: suite.app, env, input: cm });
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toBe('configmap/plain created\n');
    const resolved = await runKodev(['resolve', '-f', '-'], { cwd: suite.app, env: {}, input: cm });
    expect(resolved.exitCode).toBe(0);
    expect(resolved.stdout).toBe(cm);
  });
});

describe('CustomResourceDefinitions', () => {
  it('applies a CRD before its custom resource in the same file, waiting until it is Established', async () => {
    const ns = await namespace();
    const group = `${ns}.kodev.test`;
    const manifest = `apiVersion: ${group}/v1
kind: Widget
metadata:
  name: one
spec:
  size: 3
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.${group}
spec:
  group: ${group}
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
`;
    const r = await kodev(['apply', '-n', ns, '-f', '-'], {}, manifest);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(
      `customresourcedefinition.apiextensions.k8s.io/widgets.${group} created\nwidget.${group}/one created\n`,
    );
    const widget = (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
      group,
      version: 'v1',
      namespace: ns,
      plural: 'widgets',
      name: 'one',
    })) as { spec?: { size?: number } };
    expect(widget.spec?.size).toBe(3);
    const del = await kodev(['delete', '-n', ns, '-f', '-'], {}, manifest);
    expect(del.exitCode).toBe(0);
    expect(del.stdout).toBe(
      `widget.${group} "one" deleted\ncustomresourcedefinition.apiextensions.k8s.io "widgets.${group}" deleted\n`,
    );
  });
});
