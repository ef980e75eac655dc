/**
 * The Kubernetes commands facing bad input and failing workloads, against
 * the real cluster: one clear error line, exit 1, and nothing applied
 * half-way without saying so. Checked through client-node.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freshNamespace, kubeConfig, waitFor } from '../helpers/cluster.js';
import { copyFixture, removeAll, runKodev, spawnKodev, tempDir } from '../helpers/kodev.js';
import { type Registry, startRegistry } from '../helpers/registry.js';

const cluster = inject('cluster');
let registry: Registry;
let app: string;
let home: string;
let kc: KubeConfig;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  registry = await startRegistry();
  app = await copyFixture('k8s-app');
  home = await tempDir('kodev-home-');
  kc = kubeConfig(cluster);
}, 120_000);

afterAll(async () => {
  for (const c of cleanups) await c();
  await registry?.stop();
  await removeAll(join(app, '..'), home);
});

async function namespace(): Promise<string> {
  const ns = await freshNamespace(cluster);
  cleanups.push(ns.remove);
  return ns.name;
}

function kodev(args: string[], input?: string, env: Record<string, string> = {}) {
  return runKodev(args, {
    cwd: app,
    env: { HOME: home, KUBECONFIG: cluster.kubeconfig, KO_DOCKER_REPO: `${registry.host}/fail`, ...env },
    ...(input !== undefined ? { input } : {}),
  });
}

function errorLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.startsWith('Error:'));
  expect(lines).toHaveLength(1);
  return lines[0] as string;
}

const configMap = (name: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata: {a: b}\n`;

async function configMaps(ns: string): Promise<string[]> {
  const list = await kc.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace: ns });
  return list.items.map((c) => c.metadata?.name ?? '').filter((n) => n !== 'kube-root-ca.crt');
}

describe('where the cluster is, and who may use it', () => {
  it('no kubeconfig at all is an error, never a guess at localhost:8080', async () => {
    const r = await runKodev(['apply', '-f', '-'], {
      cwd: app,
      env: { HOME: home, KO_DOCKER_REPO: `${registry.host}/fail` },
      input: configMap('x'),
    });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(errorLine(r.stderr)).toBe(
      'Error: no Kubernetes configuration found (no --kubeconfig, KUBECONFIG or ~/.kube/config); point --kubeconfig or KUBECONFIG at your cluster configuration; kodev never guesses localhost:8080',
    );
  });

  it('an unreachable API server names the server and the context', async () => {
    const file = join(home, 'unreachable.kubeconfig');
    await writeFile(
      file,
      'apiVersion: v1\nkind: Config\nclusters: [{name: gone, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: abc}}]\ncontexts: [{name: gone, context: {cluster: gone, user: u}}]\ncurrent-context: gone\n',
    );
    const r = await kodev(['apply', '-f', '-', '--kubeconfig', file], configMap('x'));
    expect(r.exitCode).toBe(1);
    expect(errorLine(r.stderr)).toMatch(
      /^Error: cannot reach the Kubernetes API server https:\/\/127\.0\.0\.1:1 \(context gone\): ECONNREFUSED; check that the cluster is running/,
    );
  });

  it('an unknown --context lists the known ones', async () => {
    const r = await kodev(['delete', '-f', '-', '--context', 'nope'], configMap('x'));
    expect(r.exitCode).toBe(1);
    expect(errorLine(r.stderr)).toMatch(
      /^Error: --context nope: no such context in .*; known contexts: kodev-test$/,
    );
  });

  it('RBAC refusals name the object and say it is a permission problem; the token never appears', async () => {
    const ns = await namespace();
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'nobody' } } });
    const tr = await core.createNamespacedServiceAccountToken({
      name: 'nobody',
      namespace: ns,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const token = tr.status?.token ?? '';
    expect(token.length).toBeGreaterThan(20);
    const file = join(home, 'nobody.kubeconfig');
    await writeFile(
      file,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:16443", certificate-authority: "${join(cluster.dir, 'pki/ca.crt')}"}}]\nusers: [{name: nobody, user: {token: "${token}"}}]\ncontexts: [{name: nobody, context: {cluster: c, user: nobody, namespace: ${ns}}}]\ncurrent-context: nobody\n`,
    );
    const r = await kodev(['apply', '--kubeconfig', file, '-f', '-'], configMap('x'));
    expect(r.exitCode).toBe(1);
    expect(errorLine(r.stderr)).toMatch(/forbidden|cannot (get|list|patch)/i);
    expect(r.stderr).toContain('RBAC');
    expect(r.stdout + r.stderr).not.toContain(token);
  });
});

describe('nothing is half-applied', () => {
  it('an object the server rejects stops the run before any object is applied', async () => {
    const ns = await namespace();
    const manifest = `${configMap('first')}---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: no-selector
spec:
  template:
    metadata: {labels: {app: x}}
    spec: {containers: [{name: c, image: ko://example.com/kodev-k8s/cmd/ticker}]}
`;
    const r = await kodev(['apply', '-n', ns, '-f', '-'], manifest);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(errorLine(r.stderr)).toMatch(
      new RegExp(
        `^Error: Deployment/no-selector in namespace ${ns} \\(<stdin>:7\\) is invalid: spec\\.selector: .*; nothing was applied; fix the manifest$`,
      ),
    );
    expect(await configMaps(ns)).toEqual([]);
  });

  it('a failed build applies nothing and names the file and line of the reference', async () => {
    const ns = await namespace();
    await writeFile(
      join(app, 'half.yaml'),
      `${configMap('before')}---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: ko://example.com/kodev-k8s/internal/banner\n`,
    );
    const r = await kodev(['apply', '-n', ns, '-f', 'half.yaml']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(errorLine(r.stderr)).toMatch(/^Error: half\.yaml:13: .*not a main package/);
    expect(await configMaps(ns)).toEqual([]);
  });

  const before: { name: string; text: string; error: RegExp }[] = [
    {
      name: 'a document that is not a Kubernetes object',
      text: `${configMap('a')}---\n- just\n- a list\n`,
      error: /^Error: <stdin>:7: not a Kubernetes object \(a list\); every document must be/,
    },
    {
      name: 'an object with no kind',
      text: 'apiVersion: v1\nmetadata: {name: x}\n',
      error: /^Error: <stdin>:1: not a Kubernetes object: kind is missing; /,
    },
    {
      name: 'a kind the server does not serve',
      text: 'apiVersion: example.com/v1\nkind: Gizmo\nmetadata: {name: g}\n',
      error:
        /^Error: <stdin>:1: the API server has no kind Gizmo in example\.com\/v1 \(Gizmo\/g\); check apiVersion and kind/,
    },
    {
      name: 'an object naming another namespace than -n',
      text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: elsewhere}\n',
      error: /^Error: <stdin>:1: ConfigMap\/x names namespace elsewhere, which does not match -n /,
    },
  ];
  for (const c of before) {
    it(`${c.name} fails before any build`, async () => {
      const ns = await namespace();
      const r = await kodev(
        ['apply', '-n', ns, '-f', '-'],
        `${c.text}---\n${configMap('b').replace('data: {a: b}', 'data: {img: ko://example.com/kodev-k8s/cmd/server}')}`,
      );
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toBe('');
      expect(errorLine(r.stderr)).toMatch(c.error);
      expect(r.stderr).not.toContain('Building');
      expect(await configMaps(ns)).toEqual([]);
    });
  }
});

describe('apply --wait fails fast with the pod reason', () => {
  const deployment = (name: string, image: string, extra = '', args = '[]') => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      ${extra}
      containers: [{name: main, image: "${image}", args: ${args}}]
`;
  const cases: { name: string; manifest: () => string; error: RegExp; lines?: string[] }[] = [
    {
      name: 'an image the node cannot pull',
      manifest: () => deployment('unpullable', `${registry.host}/fail/missing:nope`),
      error:
        /^Error: Deployment\/unpullable in kodev-test-[0-9a-f]+: pod unpullable-[a-z0-9-]+ (ImagePullBackOff|ErrImagePull)/,
    },
    {
      name: 'a program that keeps crashing, with its last log lines',
      manifest: () => deployment('crasher', 'ko://example.com/kodev-k8s/cmd/migrate', '', '["-fail", "x"]'),
      error:
        /^Error: Deployment\/crasher in kodev-test-[0-9a-f]+: pod crasher-[a-z0-9-]+ CrashLoopBackOff: .*\(last exit: Error, code 3\); the program keeps exiting; its last log lines follow$/,
      lines: ['  kodev-k8s migrate says hello', '  args: [x]', '  migration failed: boom'],
    },
    {
      name: 'a pod no node can take',
      manifest: () =>
        deployment(
          'nowhere',
          'ko://example.com/kodev-k8s/cmd/ticker',
          'nodeSelector: {kodev.test/none: "true"}',
        ),
      error:
        /^Error: Deployment\/nowhere in kodev-test-[0-9a-f]+: pod nowhere-[a-z0-9-]+ Unschedulable: 0\/1 nodes are available/,
    },
  ];
  for (const c of cases) {
    it(
      c.name,
      async () => {
        const ns = await namespace();
        const r = await kodev(['apply', '-n', ns, '--wait', '--timeout', '2m', '-f', '-'], c.manifest());
        expect(r.exitCode).toBe(1);
        expect(r.stdout).toMatch(/^deployment\.apps\/\S+ created\n$/);
        const at = r.stderr.indexOf('Error:');
        const tail = r.stderr.slice(at).split('\n');
        expect(tail[0]).toMatch(c.error);
        if (c.lines) expect(tail.slice(1, 1 + c.lines.length)).toEqual(c.lines);
      },
      180_000,
    );
  }

  it('a Job that fails reports the failure and the last log lines', async () => {
    const ns = await namespace();
    const job = `apiVersion: batch/v1
kind: Job
metadata: {name: failing}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{name: main, image: "ko://example.com/kodev-k8s/cmd/migrate", args: ["-fail"]}]
`;
    const r = await kodev(['apply', '-n', ns, '--wait', '-f', '-'], job);
    expect(r.exitCode).toBe(1);
    const tail = r.stderr.slice(r.stderr.indexOf('Error:')).split('\n');
    expect(tail[0]).toMatch(
      new RegExp(
        `^Error: Job/failing in ${ns} failed: BackoffLimitExceeded: .*; fix the program or its manifest and apply again; its last log lines follow$`,
      ),
    );
    expect(tail.slice(1, 4)).toEqual([
      '  kodev-k8s migrate says hello',
      '  args: []',
      '  migration failed: boom',
    ]);
  }, 180_000);

  it('a timeout lists what was still not ready', async () => {
    const ns = await namespace();
    const r = await kodev(
      ['apply', '-n', ns, '--wait', '--timeout', '3s', '-f', '-'],
      deployment(
        'slow',
        'ko://example.com/kodev-k8s/cmd/ticker',
        'initContainers: [{name: wait, image: "ko://example.com/kodev-k8s/cmd/ticker", args: ["-interval", "1h"]}]',
      ),
    );
    expect(r.exitCode).toBe(1);
    expect(errorLine(r.stderr)).toMatch(
      /^Error: timed out after 3 s waiting for Deployment\/slow \(0\/1 available\); /,
    );
  }, 120_000);
});

describe('kodev run', () => {
  it('prints the program output on stdout, exits with its code and deletes the pod', async () => {
    const ns = await namespace();
    const ok = await kodev(['run', './cmd/migrate', '-n', ns, '--', 'one', 'two']);
    expect(ok.stdout).toBe('kodev-k8s migrate says hello\nargs: [one two]\nmigration done\n');
    expect(ok.exitCode).toBe(0);
    const failed = await kodev(['run', './cmd/migrate', '-n', ns, '--', '-fail']);
    expect(failed.stdout).toBe('kodev-k8s migrate says hello\nargs: []\nmigration failed: boom\n');
    expect(failed.exitCode).toBe(3);
    await waitFor('the run pods to be deleted', 60_000, async () => {
      const pods = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: ns });
      return pods.items.length === 0;
    });
  }, 180_000);

  it('deletes the pod when interrupted with Ctrl-C while the program still runs', async () => {
    const ns = await namespace();
    const child = spawnKodev(['run', './cmd/ticker', '-n', ns, '--', '-interval', '200ms'], {
      cwd: app,
      env: { HOME: home, KUBECONFIG: cluster.kubeconfig, KO_DOCKER_REPO: `${registry.host}/fail` },
    });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    await waitFor('the ticker to print a tick', 120_000, async () => out.includes('tick 2'));
    const core = kc.makeApiClient(CoreV1Api);
    expect((await core.listNamespacedPod({ namespace: ns })).items).toHaveLength(1);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(1);
    expect(String(r.stderr)).toMatch(/pod ticker-[0-9a-f]{5} deleted\nError: interrupted\n$/);
    await waitFor(
      'the pod to be gone',
      60_000,
      async () => (await core.listNamespacedPod({ namespace: ns })).items.length === 0,
    );
  }, 180_000);

  it('refuses --push=false before building, since the cluster could not pull the image', async () => {
    const r = await kodev(['run', './cmd/migrate', '--push=false']);
    expect(r.exitCode).toBe(2);
    expect(errorLine(r.stderr)).toBe(
      'Error: kodev run needs --push: the cluster must be able to pull the image; set KO_DOCKER_REPO to a registry the cluster can reach (or kind.local)',
    );
  });
});
