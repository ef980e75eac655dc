/**
 * `kodev up` against the real cluster and a real registry: `--once` brings
 * the fixture up and exits, a failing workload makes `--once` fail with the
 * reason, and under the loop an edit reaches a new pod whose logs show it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { kubeConfig } from '../helpers/cluster.js';
import { clusterSuite } from '../helpers/k8s-suite.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { collectJsonEvents } from '../helpers/json-events.js';
import { runKodev, spawnKodev } from '../helpers/kodev.js';

const suite = clusterSuite();
const cluster = suite.cluster;
const namespace = () => suite.namespace();

const env = () => ({ KUBECONFIG: cluster.kubeconfig, KO_DOCKER_REPO: `${suite.registry.host}/up` });

describe('kodev up --once', () => {
  it('builds, applies and waits for two Deployments and a Job, then exits 0 with per-phase timings', async () => {
    const ns = await namespace();
    const r = await runKodev(['up', '--once', '-f', 'config', '-n', ns], { cwd: suite.app, env: env() });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /^kodev up: 3 image\(s\), kubernetes runtime \(context kodev-test, namespace kodev-test-[0-9a-f]+\)$/m,
    );
    expect(r.stderr).toMatch(
      /^cycle 1 done in \d+ ms \(detect \d+ ms, compile \d+ ms, layer \d+ ms, publish \d+ ms, apply \d+ ms, ready \d+ ms\)$/m,
    );
    for (const w of ['Deployment/server', 'Deployment/ticker', 'Job/migrate'])
      expect(r.stderr).toContain(`${w} ready`);
    expect(r.stdout).toMatch(/^\[Job\/migrate\/migrate-[a-z0-9]+\/migrate\] migration done$/m);
    const pods = await kubeConfig(cluster).makeApiClient(CoreV1Api).listNamespacedPod({ namespace: ns });
    const phases = pods.items.map((p) => `${p.metadata?.name?.split('-')[0]}:${p.status?.phase}`).sort();
    expect(phases).toEqual(['migrate:Succeeded', 'server:Running', 'ticker:Running']);
  }, 300_000);

  it('fails with the reason and the last log lines when a workload crashes', async () => {
    const ns = await namespace();
    await writeFile(
      join(suite.app, 'crash.yaml'),
      `apiVersion: apps/v1
kind: Deployment
metadata: {name: crasher}
spec:
  selector: {matchLabels: {app: crasher}}
  template:
    metadata: {labels: {app: crasher}}
    spec:
      containers: [{name: main, image: ko://example.com/kodev-k8s/cmd/migrate, args: ["-fail"]}]
`,
    );
    const r = await runKodev(['up', '--once', '-f', 'crash.yaml', '-n', ns, '--timeout', '2m'], {
      cwd: suite.app,
      env: env(),
    });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(
      /^cycle 1 failed in \d+ ms .*Deployment\/crasher in kodev-test-[0-9a-f]+: pod crasher-\S+ CrashLoopBackOff/m,
    );
  }, 300_000);
});

describe('kodev up (watching)', () => {
  it('an edit to one program reaches a new pod whose logs show the change; other workloads are untouched', async () => {
    const ns = await namespace();
    const child = spawnKodev(
      ['up', '--json', '-f', 'config/ticker.yaml', '-f', 'config/server.yaml', '-n', ns],
      {
        cwd: suite.app,
        env: env(),
      },
    );
    const { events, until } = collectJsonEvents(child.stdout);
    try {
      await until((e) => e.type === 'watching', 240_000);
      const firstTick = await until((e) => e.type === 'log' && String(e.line).startsWith('tick '), 120_000);
      const oldPod = (firstTick.source as { pod: string }).pod;
      const apps = kubeConfig(cluster).makeApiClient(AppsV1Api);
      const serverBefore = (await apps.readNamespacedDeployment({ name: 'server', namespace: ns })).metadata
        ?.generation;
      const from = events.length;
      const file = join(suite.app, 'cmd/ticker/main.go');
      await writeFile(file, (await readFile(file, 'utf8')).replace('"tick %d\\n"', '"TOCK %d\\n"'));
      const tock = await until((e) => e.type === 'log' && String(e.line).startsWith('TOCK '), 180_000);
      expect((tock.source as { pod: string }).pod).not.toBe(oldPod);
      const cycle = events.slice(from).find((e) => e.type === 'cycle-start');
      expect(cycle?.images).toEqual(['example.com/kodev-k8s/cmd/ticker']);
      const serverAfter = (await apps.readNamespacedDeployment({ name: 'server', namespace: ns })).metadata
        ?.generation;
      expect(serverAfter).toBe(serverBefore);
      expect(events.some((e) => e.type === 'first-log' && e.resource === 'Deployment/ticker')).toBe(true);
    } finally {
      child.kill('SIGINT');
      const r = await child;
      expect(String(r.stderr)).not.toContain('internal error');
    }
  }, 420_000);
});

describe('kodev up through a registry outage', () => {
  it('reports the failed push, keeps running, and retries until the change is deployed without another save', async () => {
    const ns = await namespace();
    const proxy = await startFaultProxy(suite.registry.url);
    const child = spawnKodev(['up', '--json', '-f', 'config/ticker.yaml', '-n', ns], {
      cwd: suite.app,
      env: { KUBECONFIG: cluster.kubeconfig, KO_DOCKER_REPO: `${proxy.host}/outage` },
    });
    const { until } = collectJsonEvents(child.stdout);
    try {
      await until((e) => e.type === 'watching', 240_000);
      // Every registry request fails for a while: more than one push attempt's own retries.
      proxy.inject({ match: {}, fault: { kind: 'status', status: 503 }, times: 25 });
      const file = join(suite.app, 'cmd/ticker/main.go');
      await writeFile(file, (await readFile(file, 'utf8')).replace(/"(tick|TOCK) %d\\n"/, '"OUTAGE %d\\n"'));
      await until((e) => e.type === 'error' && e.retrying === true, 120_000);
      await until((e) => e.type === 'cycle-end' && e.ok === false, 120_000);
      await until((e) => e.type === 'log' && String(e.line).startsWith('OUTAGE '), 240_000);
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGINT');
      await child;
      await proxy.stop();
    }
  }, 480_000);
});
