/**
 * KindPublisher (kind.local) against fake kind nodes in the run's private
 * dockerd whose ctr talks to the real test cluster's containerd: the image
 * lands in the cluster node, runs under ctr and in a Pod, a second publish
 * only tags, and failures name the cluster or node at fault.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BuildResult } from '../../src/build/builder.js';
import { connectEngine, type EngineClient } from '../../src/docker/engine.js';
import { execWithStdin, openEngineLine } from '../../src/docker/exec.js';
import type { EnginePlatform } from '../../src/docker/host.js';
import { UsageError, UserError } from '../../src/errors.js';
import type { Artifact, Image } from '../../src/oci/image.js';
import { criSnapshotter, KindPublisher, kindOptionsFromEnv } from '../../src/publish/kind.js';
import { freshNamespace, kubeConfig, waitFor } from '../helpers/cluster.js';
import { type KindNodeContainer, startKindNode } from '../helpers/kind-node.js';
import { removeAll, tempDir } from '../helpers/kodev.js';
import { busyboxImage, busyboxIndex } from './images.js';

const host = inject('dockerHost');
const cluster = inject('cluster');
const suffix = randomBytes(3).toString('hex');
const GOOD = `kodev-kind-${suffix}`;
const MIXED = `kodev-kind-mixed-${suffix}`;

let engine: EngineClient;
let platform: EnginePlatform;
let work: string;
const nodes: KindNodeContainer[] = [];
const published: string[] = [];

beforeAll(async () => {
  engine = connectEngine({ DOCKER_HOST: host });
  platform = await engine.info();
  work = await tempDir();
  nodes.push(await startKindNode(host, { cluster: GOOD, containerdSocket: cluster.containerdSocket }));
});

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  if (published.length > 0) await ctr(['images', 'rm', ...published], false);
  await engine?.close();
  await removeAll(work);
});

/** ctr on the host against the test cluster's containerd. */
async function ctr(args: string[], reject = true): Promise<string> {
  const r = await execa('ctr', ['--address', cluster.containerdSocket, '-n', 'k8s.io', ...args], {
    reject,
    timeout: 120_000,
  });
  return String(r.stdout);
}

function result(importPath: string, artifact: Artifact): BuildResult {
  return { importPath, artifact, sboms: new Map() };
}

function publisher(clusterName: string, tags: string[], lines: string[] = []): KindPublisher {
  const o = kindOptionsFromEnv({
    KIND_CLUSTER_NAME: clusterName,
    KODEV_KIND_EXEC_PRIVILEGED: 'false',
    // The fake nodes have no containerd binary to ask, and the test cluster unpacks into native.
    KODEV_KIND_SNAPSHOTTER: 'native',
  });
  return new KindPublisher({ ...o, engine, naming: 'base', tags, log: (m) => lines.push(m) });
}

async function publish(p: KindPublisher, importPath: string, artifact: Artifact): Promise<string> {
  try {
    const ref = await p.publish(result(importPath, artifact));
    published.push(ref);
    return ref;
  } finally {
    await p.dispose();
  }
}

const hex = (image: Image) => image.digest.slice('sha256:'.length);

describe('kindOptionsFromEnv', () => {
  it.each([
    ['defaults to cluster kind, privileged', {}, { clusterName: 'kind', privileged: true }],
    [
      'reads the cluster name and privileged=false',
      { KIND_CLUSTER_NAME: 'dev', KODEV_KIND_EXEC_PRIVILEGED: 'false' },
      { clusterName: 'dev', privileged: false },
    ],
    ['accepts 0 for false', { KODEV_KIND_EXEC_PRIVILEGED: '0' }, { clusterName: 'kind', privileged: false }],
    ['accepts TRUE', { KODEV_KIND_EXEC_PRIVILEGED: 'TRUE' }, { clusterName: 'kind', privileged: true }],
    [
      'reads the snapshotter override',
      { KODEV_KIND_SNAPSHOTTER: 'native' },
      { clusterName: 'kind', privileged: true, snapshotter: 'native' },
    ],
  ])('%s', (_name, env, want) => {
    expect(kindOptionsFromEnv(env)).toEqual(want);
  });

  it('rejects a privileged value that is not a boolean', () => {
    expect(() => kindOptionsFromEnv({ KODEV_KIND_EXEC_PRIVILEGED: 'maybe' })).toThrow(UsageError);
  });
});

describe('criSnapshotter', () => {
  it.each([
    [
      'containerd 1.x config',
      '[plugins]\n  [plugins."io.containerd.grpc.v1.cri"]\n    sandbox_image = "x"\n    [plugins."io.containerd.grpc.v1.cri".containerd]\n      snapshotter = "overlayfs"\n',
      'overlayfs',
    ],
    [
      'containerd 2.x config',
      "[plugins.'io.containerd.cri.v1.images']\n  snapshotter = 'native'\n",
      'native',
    ],
    [
      'a snapshotter in another section is not the CRI one',
      '[plugins."io.containerd.transfer.v1.local"]\n  snapshotter = "zfs"\n',
      undefined,
    ],
  ])('%s', (_name, dump, want) => {
    expect(criSnapshotter(dump)).toBe(want);
  });
});

describe('execWithStdin', () => {
  const run = async (cmd: string[], stdin: Readable, timeoutMs?: number) => {
    const line = openEngineLine(engine);
    try {
      return await execWithStdin(line, nodes[0]?.id as string, cmd, stdin, {
        privileged: false,
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      });
    } finally {
      await line.close();
    }
  };
  // 8 MiB in odd-sized chunks, so frames and writes straddle chunk boundaries.
  const big = () => Readable.from(Array.from({ length: 64 }, (_, i) => Buffer.alloc(131_071, i)));

  it('streams stdin to the end, half-closes it, and splits stdout from stderr', async () => {
    const r = await run(['sh', '-c', 'busybox md5sum; echo done >&2; exit 0'], big());
    const want = createHash('md5');
    for await (const c of big()) want.update(c as Buffer);
    expect(r).toEqual({ exitCode: 0, stdout: `${want.digest('hex')}  -\n`, stderr: 'done\n' });
  });

  it('returns the exit code and output of a process that stops reading stdin early', async () => {
    const r = await run(['sh', '-c', 'busybox head -c 10 >/dev/null; echo gave up >&2; exit 3'], big());
    expect(r).toEqual({ exitCode: 3, stdout: '', stderr: 'gave up\n' });
  });

  it('fails with the stdin stream’s own error', async () => {
    const broken = new Readable({ read: () => undefined });
    setTimeout(() => broken.destroy(new Error('layer unreadable')), 200);
    await expect(run(['cat'], broken)).rejects.toThrow('layer unreadable');
  });

  it('gives up after the timeout', async () => {
    const err = await run(['sleep', '30'], Readable.from([]), 500).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(
      /exec sleep 30 in container \w{12} did not finish within 500 ms$/,
    );
  });
});

describe('KindPublisher', () => {
  it('imports the image into the node’s containerd as kind.local/<name>:<hex> plus the tags, and ctr runs it', async () => {
    const image = await busyboxImage(platform);
    const lines: string[] = [];
    const ref = await publish(
      publisher(GOOD, ['latest', 'v1'], lines),
      'example.com/kodev/cmd/kindone',
      image,
    );
    expect(ref).toBe(`kind.local/kindone:${hex(image)}`);
    published.push('kind.local/kindone:latest', 'kind.local/kindone:v1');
    expect(lines).toContain(`Loaded ${ref} into kind node ${nodes[0]?.name}`);

    const listed = (await ctr(['images', 'ls', '-q'])).split('\n');
    expect(listed).toEqual(
      expect.arrayContaining([ref, 'kind.local/kindone:latest', 'kind.local/kindone:v1']),
    );
    const run = await ctr([
      'run',
      '--rm',
      '--snapshotter',
      'native',
      'kind.local/kindone:v1',
      `kodev-kind-${randomBytes(4).toString('hex')}`,
      '/ko-app/busybox',
      'echo',
      'hi',
    ]);
    expect(run.trim()).toBe('hi');
  });

  it('a second publish of the same image skips the import and only tags', async () => {
    const image = await busyboxImage(platform);
    const ip = 'example.com/kodev/cmd/kindagain';
    const ref = await publish(publisher(GOOD, ['latest']), ip, image);
    published.push('kind.local/kindagain:latest', 'kind.local/kindagain:v2');
    const lines: string[] = [];
    expect(await publish(publisher(GOOD, ['v2'], lines), ip, image)).toBe(ref);
    expect(lines).toEqual([`Image ${ref} is already on kind node ${nodes[0]?.name}; skipping load`]);
    const listed = (await ctr(['images', 'ls', '-q'])).split('\n');
    expect(listed).toEqual(expect.arrayContaining([ref, 'kind.local/kindagain:v2']));
  });

  it("imports the index child for the daemon's platform, named by the child's digest", async () => {
    const other = { os: 'linux', architecture: platform.architecture === 's390x' ? 'riscv64' : 's390x' };
    const index = await busyboxIndex([other, platform]);
    const child = index.children[1]?.image as Image;
    const ref = await publish(publisher(GOOD, []), 'example.com/kodev/cmd/kindmulti', index);
    expect(ref).toBe(`kind.local/kindmulti:${hex(child)}`);
    expect((await ctr(['images', 'ls', '-q'])).split('\n')).toContain(ref);
  });

  it('a Pod in the cluster runs the image with imagePullPolicy Never', async () => {
    const image = await busyboxImage(platform);
    const ref = await publish(publisher(GOOD, []), 'example.com/kodev/cmd/kindpod', image);
    const ns = await freshNamespace(cluster, 'kodev-kind');
    try {
      const core = kubeConfig(cluster).makeApiClient(CoreV1Api);
      await core.createNamespacedPod({
        namespace: ns.name,
        body: {
          metadata: { name: 'kind-pod' },
          spec: {
            restartPolicy: 'Never',
            terminationGracePeriodSeconds: 1,
            containers: [
              { name: 'main', image: ref, imagePullPolicy: 'Never', args: ['echo', 'pod says hi'] },
            ],
          },
        },
      });
      await waitFor('pod kind-pod succeeded', 120_000, async () => {
        const pod = await core.readNamespacedPod({ name: 'kind-pod', namespace: ns.name });
        if (pod.status?.phase === 'Failed') throw new Error(`pod failed: ${JSON.stringify(pod.status)}`);
        return pod.status?.phase === 'Succeeded';
      });
      const log = await core.readNamespacedPodLog({ name: 'kind-pod', namespace: ns.name });
      expect(log).toBe('pod says hi\n');
    } finally {
      await ns.remove();
    }
  });

  it('with no nodes for the cluster name, says which kind clusters there are', async () => {
    const image = await busyboxImage(platform);
    const err = await publisher('no-such-cluster', [])
      .publish(result('example.com/kodev/cmd/nowhere', image))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    const message = (err as UserError).message;
    expect(message).toMatch(/^no running nodes of kind cluster "no-such-cluster" in the Docker daemon at /);
    expect(message).toMatch(new RegExp(`kind clusters found: .*\\b${GOOD}\\b`));
    expect((err as UserError).hint).toContain('set KIND_CLUSTER_NAME to one of:');
  });

  it('a broken node fails with its name and ctr’s output, and the good node still gets the image', async () => {
    const good = await startKindNode(host, {
      cluster: MIXED,
      role: 'control-plane',
      containerdSocket: cluster.containerdSocket,
    });
    nodes.push(good);
    const bad = await startKindNode(host, {
      cluster: MIXED,
      role: 'worker',
      containerdSocket: join(work, 'missing', 'containerd.sock'),
    });
    nodes.push(bad);
    const image = await busyboxImage(platform);
    const ref = `kind.local/kindmixed:${hex(image)}`;
    published.push(ref);
    const p = publisher(MIXED, []);
    const err = await p
      .publish(result('example.com/kodev/cmd/kindmixed', image))
      .catch((e: unknown) => e)
      .finally(() => p.dispose());
    expect(err).toBeInstanceOf(UserError);
    const message = (err as UserError).message;
    expect(message).toContain(
      `could not load ${ref} into 1 of 2 nodes of kind cluster "${MIXED}" (${bad.name})`,
    );
    expect(message).toContain(`${bad.name}: \`ctr --namespace=k8s.io images`);
    expect(message).toMatch(/containerd\.sock/);
    expect(message).not.toContain(`${good.name}:`);
    expect((await ctr(['images', 'ls', '-q'])).split('\n')).toContain(ref);
  });
});
