/**
 * Proof that the test cluster really runs pods: an image packed by umoci and
 * skopeo (busybox-static as the program), imported with ctr, runs as a
 * Deployment and a Job; logs come back through the API server; deleting them
 * removes the pods.
 */
import { join } from 'node:path';
import { AppsV1Api, BatchV1Api, CoreV1Api } from '@kubernetes/client-node';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeDockerArchiveBase, makeOciBase } from '../helpers/base-images.js';
import { clusterHealth, freshNamespace, importImage, kubeConfig, waitFor } from '../helpers/cluster.js';
import { tempDir } from '../helpers/kodev.js';

const IMAGE = 'kodev.test/busybox:proof';
const cluster = inject('cluster');
let ns: { name: string; remove(): Promise<void> };

beforeAll(async () => {
  const work = await tempDir();
  const base = await makeOciBase(join(work, 'layout'), { tag: 'proof' });
  const archive = await makeDockerArchiveBase(base.ref, join(work, 'proof.tar'), IMAGE);
  await importImage(cluster, archive.file);
  ns = await freshNamespace(cluster);
});

afterAll(async () => {
  await ns?.remove();
});

describe('the single-node test cluster', () => {
  it('reports every component healthy', async () => {
    const h = await clusterHealth();
    expect(h.healthy, h.report).toBe(true);
    expect(h.report).toMatch(
      /etcd: ok[^]*containerd: ok[^]*kube-apiserver: ok[^]*kube-controller-manager: ok[^]*kube-scheduler: ok[^]*kubelet: ok/,
    );
  });

  it('the imported image is in the node containerd, listed by ctr', async () => {
    const { stdout } = await execa('ctr', [
      '--address',
      cluster.containerdSocket,
      '-n',
      'k8s.io',
      'images',
      'ls',
      '-q',
    ]);
    expect(stdout.split('\n')).toContain(IMAGE);
  });

  it('runs a Deployment to Running, serves its log through the API server, and deleting it removes the pod', async () => {
    const kc = kubeConfig(cluster);
    const apps = kc.makeApiClient(AppsV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    const labels = { app: 'proof-deploy' };
    await apps.createNamespacedDeployment({
      namespace: ns.name,
      body: {
        metadata: { name: 'proof', labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              terminationGracePeriodSeconds: 1,
              containers: [
                {
                  name: 'main',
                  image: IMAGE,
                  imagePullPolicy: 'Never',
                  command: ['/bin/sh', '-c', 'echo deployment says hello; exec sleep 3600'],
                },
              ],
            },
          },
        },
      },
    });
    await waitFor('deployment proof available', 120_000, async () => {
      const d = await apps.readNamespacedDeployment({ name: 'proof', namespace: ns.name });
      return (d.status?.availableReplicas ?? 0) === 1;
    });
    const pods = await core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=proof-deploy' });
    expect(pods.items).toHaveLength(1);
    const pod = pods.items[0];
    expect(pod?.status?.phase).toBe('Running');
    const podName = pod?.metadata?.name as string;
    const log = await waitFor('deployment log', 30_000, async () => {
      const text = await core.readNamespacedPodLog({ name: podName, namespace: ns.name });
      return text.includes('deployment says hello') ? text : false;
    });
    expect(log).toBe('deployment says hello\n');

    await apps.deleteNamespacedDeployment({
      name: 'proof',
      namespace: ns.name,
      propagationPolicy: 'Foreground',
    });
    await waitFor('deployment pods gone', 90_000, async () => {
      const left = await core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=proof-deploy' });
      return left.items.length === 0;
    });
  });

  it('runs a Job to Completed and its log says what the program printed', async () => {
    const kc = kubeConfig(cluster);
    const batch = kc.makeApiClient(BatchV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    await batch.createNamespacedJob({
      namespace: ns.name,
      body: {
        metadata: { name: 'proof-job' },
        spec: {
          backoffLimit: 0,
          template: {
            spec: {
              restartPolicy: 'Never',
              containers: [
                {
                  name: 'main',
                  image: IMAGE,
                  imagePullPolicy: 'Never',
                  command: ['/bin/busybox', 'echo', 'job done'],
                },
              ],
            },
          },
        },
      },
    });
    await waitFor('job complete', 120_000, async () => {
      const j = await batch.readNamespacedJob({ name: 'proof-job', namespace: ns.name });
      return (j.status?.succeeded ?? 0) === 1;
    });
    const pods = await core.listNamespacedPod({ namespace: ns.name, labelSelector: 'job-name=proof-job' });
    expect(pods.items.map((p) => p.status?.phase)).toEqual(['Succeeded']);
    const log = await core.readNamespacedPodLog({
      name: pods.items[0]?.metadata?.name as string,
      namespace: ns.name,
    });
    expect(log).toBe('job done\n');

    await batch.deleteNamespacedJob({
      name: 'proof-job',
      namespace: ns.name,
      propagationPolicy: 'Background',
    });
    await waitFor('job pods gone', 90_000, async () => {
      const left = await core.listNamespacedPod({ namespace: ns.name, labelSelector: 'job-name=proof-job' });
      return left.items.length === 0;
    });
  });
});
