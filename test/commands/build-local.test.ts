/**
 * `KO_DOCKER_REPO=ko.local` and `-L`: images go straight into the Docker
 * daemon through the Engine API (no docker CLI), checked with `docker run`.
 */
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { makeDockerArchiveBase, makeOciBase } from '../helpers/base-images.js';
import { freshNamespace, kubeConfig, waitFor } from '../helpers/cluster.js';
import { docker } from '../helpers/dockerd.js';
import { startKindNode } from '../helpers/kind-node.js';
import { copyFixture, runKodev, tempDir } from '../helpers/kodev.js';

let work: string;
let example: string;
let host: string;

beforeAll(async () => {
  work = await tempDir();
  example = await copyFixture('example', join(work, 'example'));
  host = inject('dockerHost');
});

const env = (extra: Record<string, string> = {}) => ({
  DOCKER_HOST: host,
  KOCACHE: join(work, 'kc'),
  KO_DEFAULTBASEIMAGE: 'scratch',
  ...extra,
});

describe('ko.local', () => {
  it('loads the image into the daemon, tags ko.local/<name>:<digest hex>, and docker run prints the output', async () => {
    const r = await runKodev(['build', './cmd/hello'], {
      cwd: example,
      env: env({ KO_DOCKER_REPO: 'ko.local' }),
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ko\.local\/hello-02517e9b69e5e762885ffb14a4585f1b:[a-f0-9]{64}\n$/);
    const run = await docker(host, ['run', '--rm', '--network=none', r.stdout.trim()]);
    expect(run.stdout.split('\n')).toContain('greeting.txt: greetings from kodata');
  });

  it('-L with -B and -t: extra tags, and an unchanged image is only tagged, not loaded again', async () => {
    const first = await runKodev(['build', './cmd/worker', '-L', '-B', '-t', 'dev'], {
      cwd: example,
      env: env(),
    });
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^ko\.local\/worker:[a-f0-9]{64}\n$/);
    const tagged = await docker(host, ['run', '--rm', '--network=none', 'ko.local/worker:dev']);
    expect(tagged.stdout).toBe('Hello, worker, from a kodev image!');
    const before = await docker(host, [
      'image',
      'inspect',
      '--format',
      '{{.Id}} {{.Created}}',
      'ko.local/worker:dev',
    ]);
    const second = await runKodev(['build', './cmd/worker', '-L', '-B', '-t', 'dev'], {
      cwd: example,
      env: env(),
    });
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(second.stderr).toMatch(/already/i);
    const after = await docker(host, [
      'image',
      'inspect',
      '--format',
      '{{.Id}} {{.Created}}',
      'ko.local/worker:dev',
    ]);
    expect(after.stdout).toBe(before.stdout);
  });

  it('a ko.local/... base image is read back from the daemon', async () => {
    const base = await makeOciBase(join(work, 'bases'), { tag: 'busybox' });
    const archive = await makeDockerArchiveBase(base.ref, join(work, 'busybox.tar'), 'ko.local/busybox:base');
    await docker(host, ['load', '-i', archive.file]);
    const r = await runKodev(['build', './cmd/hello', '-L', '-B', '-t', 'onbusybox'], {
      cwd: example,
      env: env({ KO_DEFAULTBASEIMAGE: 'ko.local/busybox:base' }),
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const sh = await docker(host, [
      'run',
      '--rm',
      '--network=none',
      '--entrypoint',
      '/bin/sh',
      'ko.local/hello:onbusybox',
      '-c',
      'command -v hello && ls /bin/busybox',
    ]);
    expect(sh.stdout.split('\n')).toEqual(['/ko-app/hello', '/bin/busybox']);
  });

  it('a daemon that is not running is a clear error naming DOCKER_HOST, and nothing is printed', async () => {
    const r = await runKodev(['build', './cmd/worker', '-L'], {
      cwd: example,
      env: env({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' }),
    });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/unix:\/\/\/nonexistent\/docker\.sock/);
    expect(r.stderr).toMatch(/DOCKER_HOST/);
  });
});

describe('kind.local', () => {
  it('imports into every kind node and the test cluster runs the image as a Pod', async () => {
    const cluster = inject('cluster');
    const name = `kodevcli${Date.now() % 100000}`;
    const node = await startKindNode(host, { cluster: name, containerdSocket: cluster.containerdSocket });
    const ns = await freshNamespace(cluster);
    try {
      const r = await runKodev(['build', './cmd/hello', '-t', 'e2e'], {
        cwd: example,
        env: env({
          KO_DOCKER_REPO: 'kind.local',
          KIND_CLUSTER_NAME: name,
          KODEV_KIND_EXEC_PRIVILEGED: 'false',
          KODEV_KIND_SNAPSHOTTER: 'native',
        }),
      });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^kind\.local\/hello-02517e9b69e5e762885ffb14a4585f1b:[a-f0-9]{64}\n$/);
      const core = kubeConfig(cluster).makeApiClient(CoreV1Api);
      await core.createNamespacedPod({
        namespace: ns.name,
        body: {
          metadata: { name: 'hello' },
          spec: {
            restartPolicy: 'Never',
            containers: [{ name: 'main', image: r.stdout.trim(), imagePullPolicy: 'Never' }],
          },
        },
      });
      await waitFor('pod hello succeeded', 120_000, async () => {
        const p = await core.readNamespacedPod({ name: 'hello', namespace: ns.name });
        return p.status?.phase === 'Succeeded';
      });
      const log = await core.readNamespacedPodLog({ name: 'hello', namespace: ns.name });
      expect(log).toContain('greeting.txt: greetings from kodata');
    } finally {
      await ns.remove();
      await node.stop();
    }
  });

  it('no nodes for the cluster name: the error lists the kind clusters found', async () => {
    const r = await runKodev(['build', './cmd/worker'], {
      cwd: example,
      env: env({
        KO_DOCKER_REPO: 'kind.local',
        KIND_CLUSTER_NAME: 'nosuchcluster',
        KODEV_KIND_EXEC_PRIVILEGED: 'false',
      }),
    });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/nosuchcluster/);
    expect(r.stderr).toMatch(/KIND_CLUSTER_NAME/);
  });
});
