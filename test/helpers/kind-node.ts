/**
 * Fake kind nodes for tests: containers in the run's private dockerd that
 * carry kind's labels and hold the host's `ctr` (with the two libraries it
 * links) and busybox, with a containerd socket bind-mounted where kind nodes
 * have theirs. Pointed at the test cluster's containerd, `ctr` inside the node
 * imports straight into the cluster's node, as on a real kind node. The image
 * is made with umoci and skopeo only, never with kodev's own code.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { docker } from './dockerd.js';

/** The node image's tag in the private dockerd. */
export const KIND_NODE_IMAGE = 'kodev-test/kind-node:v1';

// The host's ctr is dynamically linked against exactly these (ldd /usr/bin/ctr).
const FILES = [
  '/usr/bin/ctr',
  '/lib64/ld-linux-x86-64.so.2',
  '/lib/x86_64-linux-gnu/libc.so.6',
  '/bin/busybox',
];
const BUSYBOX_LINKS = ['sh', 'sleep', 'cat', 'ls'];

/** A running fake node. */
export interface KindNodeContainer {
  id: string;
  name: string;
  /** Removes the container (docker rm -f). */
  stop(): Promise<void>;
}

/** Options for `startKindNode`. */
export interface KindNodeOptions {
  /** The value of the io.x-k8s.kind.cluster label. */
  cluster: string;
  /** io.x-k8s.kind.role; default `control-plane`. */
  role?: string;
  /** The host path mounted at /run/containerd/containerd.sock (a missing path makes a broken node). */
  containerdSocket: string;
  /** The container name; default `<cluster>-<role>-<random>`. */
  name?: string;
}

const loaded = new Map<string, Promise<void>>();

/** Starts a node container detached (`sleep 3600`, `--network=none`, not privileged). */
export async function startKindNode(host: string, o: KindNodeOptions): Promise<KindNodeContainer> {
  await loadNodeImage(host);
  const role = o.role ?? 'control-plane';
  const name = o.name ?? `${o.cluster}-${role}-${randomBytes(3).toString('hex')}`;
  const { stdout } = await docker(host, [
    'run',
    '-d',
    '--network=none',
    '--name',
    name,
    '--label',
    `io.x-k8s.kind.cluster=${o.cluster}`,
    '--label',
    `io.x-k8s.kind.role=${role}`,
    '-v',
    `${o.containerdSocket}:/run/containerd/containerd.sock`,
    KIND_NODE_IMAGE,
    'sleep',
    '3600',
  ]);
  const id = stdout.trim();
  return {
    id,
    name,
    stop: async () => void (await docker(host, ['rm', '-f', id], { reject: false })),
  };
}

/** Builds the node image and loads it into the daemon, once per process and daemon. */
function loadNodeImage(host: string): Promise<void> {
  let done = loaded.get(host);
  if (!done) {
    done = (async () => {
      const work = await mkdtemp(join(tmpdir(), 'kodev-kind-node-'));
      try {
        await docker(host, ['load', '-i', await buildNodeArchive(work)], { timeoutMs: 300_000 });
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    })();
    loaded.set(host, done);
    // A failure is not cached, so a later call can retry.
    done.catch(() => loaded.delete(host));
  }
  return done;
}

/** Makes the node image with umoci in `work` and converts it to a docker-archive with skopeo. */
async function buildNodeArchive(work: string): Promise<string> {
  const layout = join(work, 'layout');
  const image = `${layout}:node`;
  const bundle = join(work, 'bundle');
  await execa('umoci', ['init', '--layout', layout]);
  await execa('umoci', ['new', '--image', image]);
  await execa('umoci', ['unpack', '--rootless', '--image', image, bundle]);
  const rootfs = join(bundle, 'rootfs');
  for (const file of FILES) {
    await mkdir(dirname(join(rootfs, file)), { recursive: true });
    // copyFile follows links, so ld.so and libc arrive as files.
    await copyFile(file, join(rootfs, file));
  }
  for (const link of BUSYBOX_LINKS) await symlink('busybox', join(rootfs, 'bin', link));
  await mkdir(join(rootfs, 'tmp'), { recursive: true });
  await mkdir(join(rootfs, 'run', 'containerd'), { recursive: true });
  await execa('umoci', ['repack', '--image', image, bundle]);
  await execa('umoci', [
    'config',
    '--image',
    image,
    '--architecture',
    'amd64',
    '--os',
    'linux',
    '--config.env',
    'PATH=/usr/bin:/bin',
  ]);
  const file = join(work, 'kind-node.tar');
  await execa('skopeo', ['copy', '--quiet', `oci:${image}`, `docker-archive:${file}:${KIND_NODE_IMAGE}`]);
  return file;
}
