/**
 * Publishing into a kind cluster's nodes (`kind.local`), as ko does: every
 * node's containerd gets the image through `ctr images import` run inside the
 * node container, fed a streamed docker-archive, named
 * `kind.local/<name>:<manifest digest hex>` plus the `-t` tags. Pods can then
 * use it with `imagePullPolicy: Never` (or IfNotPresent).
 *
 * A docker-archive holds images, not indexes, so an index publishes its child
 * for the Docker daemon's own platform (the nodes are containers of that
 * daemon, so they share it), and the reference names that child's digest,
 * exactly as the daemon publisher does.
 */
import { Readable } from 'node:stream';
import type { BuildResult } from '../build/builder.js';
import { childForPlatform } from './daemon-platform.js';
import { dockerArchiveStream } from '../oci/docker-archive-stream.js';
import type { EngineClient } from '../docker/engine.js';
import { type EngineLine, execWithStdin, type ExecResult, openEngineLine } from '../docker/exec.js';
import { DEFAULT_KIND_CLUSTER, type KindNode, listKindNodes } from '../docker/kind-nodes.js';
import { UsageError, UserError } from '../errors.js';
import { digestHex } from '../oci/digest.js';
import type { Image, ImageIndex } from '../oci/image.js';
import type { Env } from '../system/env.js';
import { imageName, type NamingStrategy } from './naming.js';
import type { Publisher } from './publisher.js';

/** The repository ko uses for kind nodes. */
export const KIND_REPO = 'kind.local';
// kind's nodes keep Kubernetes' images in this containerd namespace.
const CTR = ['ctr', '--namespace=k8s.io'];

/** Which kind cluster, and how to exec into its nodes. */
export interface KindOptions {
  /** `KIND_CLUSTER_NAME`, default `kind`. */
  clusterName: string;
  /** Exec as `docker exec --privileged`, as kind does (default true). */
  privileged: boolean;
  /** The containerd snapshotter to unpack into; when unset, read from the node's containerd config as kind does. */
  snapshotter?: string;
}

/**
 * Reads `KIND_CLUSTER_NAME`, `KODEV_KIND_EXEC_PRIVILEGED` (true|false, for
 * daemons that refuse privileged execs) and `KODEV_KIND_SNAPSHOTTER`.
 */
export function kindOptionsFromEnv(env: Env): KindOptions {
  const clusterName = env.KIND_CLUSTER_NAME?.trim() || DEFAULT_KIND_CLUSTER;
  const raw = (env.KODEV_KIND_EXEC_PRIVILEGED ?? '').trim().toLowerCase();
  let privileged = true;
  if (['false', '0', 'no'].includes(raw)) privileged = false;
  else if (!['', 'true', '1', 'yes'].includes(raw)) {
    throw new UsageError(`KODEV_KIND_EXEC_PRIVILEGED=${env.KODEV_KIND_EXEC_PRIVILEGED}: not true or false`, {
      hint: 'set KODEV_KIND_EXEC_PRIVILEGED=false to exec into kind nodes without --privileged',
    });
  }
  const snapshotter = env.KODEV_KIND_SNAPSHOTTER?.trim();
  return { clusterName, privileged, ...(snapshotter ? { snapshotter } : {}) };
}

/** Options for the kind publisher. */
export interface KindPublisherOptions extends KindOptions {
  /** The Docker daemon the nodes run in. */
  engine: EngineClient;
  /** Repository images are named under (default `kind.local`). */
  repo?: string;
  naming: NamingStrategy;
  /** Tags added besides the digest tag. */
  tags: readonly string[];
  /** Bound on each exec into a node (default 10 minutes). */
  timeoutMs?: number;
  log?: (message: string) => void;
}

/** Loads built images into every node of a kind cluster and returns `<repo>/<name>:<digest hex>`. */
export class KindPublisher implements Publisher {
  private readonly repo: string;
  private readonly line: EngineLine;
  private disposed = false;
  private nodes?: Promise<KindNode[]>;
  private readonly snapshotters = new Map<string, Promise<string | undefined>>();

  constructor(private readonly o: KindPublisherOptions) {
    this.repo = o.repo ?? KIND_REPO;
    this.line = openEngineLine(o.engine);
  }

  async publish(result: BuildResult): Promise<string> {
    const a = result.artifact;
    const image = a.kind === 'image' ? a : await this.pickChild(result.importPath, a);
    const name = imageName(this.repo, result.importPath, this.o.naming);
    const digestTag = `${name}:${digestHex(image.digest)}`;
    const tags = this.o.tags.map((t) => `${name}:${t}`);
    this.nodes ??= listKindNodes(this.line, this.o.clusterName);
    const nodes = await this.nodes.catch((err: unknown) => {
      this.nodes = undefined;
      throw err;
    });
    const outcomes = await Promise.allSettled(nodes.map((n) => this.loadOnNode(n, image, digestTag, tags)));
    const failed = outcomes.flatMap((o, i) =>
      o.status === 'rejected' ? [{ node: nodes[i] as KindNode, err: o.reason as unknown }] : [],
    );
    if (failed.length > 0) {
      const details = failed.map(({ node, err }) => `  ${node.name}: ${describe(err)}`).join('\n');
      throw new UserError(
        `could not load ${digestTag} into ${failed.length} of ${nodes.length} nodes of kind cluster ${JSON.stringify(this.o.clusterName)} (${failed.map((f) => f.node.name).join(', ')}):\n${details}`,
        {
          hint: 'check the failed nodes are healthy (`docker exec NODE ctr version`); the other nodes have the image',
          cause: failed[0]?.err,
        },
      );
    }
    return digestTag;
  }

  /** Closes the exec connection, once; the command calls it on every path. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.line.close();
  }

  private async loadOnNode(node: KindNode, image: Image, digestTag: string, tags: string[]): Promise<void> {
    const log = this.o.log ?? (() => undefined);
    const listed = await this.ctr(node, ['images', 'ls', '-q', `name==${digestTag}`]);
    if (listed.stdout.split('\n').some((l) => l.trim() === digestTag)) {
      log(`Image ${digestTag} is already on kind node ${node.name}; skipping load`);
      if (tags.length > 0) await this.ctr(node, ['images', 'tag', '--force', digestTag, ...tags]);
      return;
    }
    const snapshotter = await this.snapshotter(node);
    log(`Loading ${digestTag} into kind node ${node.name}`);
    await this.ctr(
      node,
      [
        'images',
        'import',
        '--all-platforms',
        '--digests',
        ...(snapshotter ? [`--snapshotter=${snapshotter}`] : []),
        '-',
      ],
      // The archive's RepoTags are the names ctr imports the image under.
      dockerArchiveStream([{ image, tags: [digestTag, ...tags] }]),
    );
    log(`Loaded ${digestTag} into kind node ${node.name}`);
  }

  /** Runs ctr in the node's k8s.io namespace; a non-zero exit throws with its output. */
  private async ctr(node: KindNode, args: string[], stdin?: Readable): Promise<ExecResult> {
    const cmd = [...CTR, ...args];
    const r = await execWithStdin(this.line, node.id, cmd, stdin ?? Readable.from([]), this.execOptions());
    if (r.exitCode !== 0) {
      const output = (r.stderr.trim() || r.stdout.trim()).slice(-2000);
      throw new UserError(`\`${cmd.join(' ')}\` exited ${r.exitCode}${output ? `: ${output}` : ''}`);
    }
    return r;
  }

  /** The snapshotter given, else the one the node's CRI plugin uses (kind's way); undefined means ctr's default. */
  private snapshotter(node: KindNode): Promise<string | undefined> {
    if (this.o.snapshotter) return Promise.resolve(this.o.snapshotter);
    let found = this.snapshotters.get(node.id);
    if (!found) {
      found = execWithStdin(
        this.line,
        node.id,
        ['containerd', 'config', 'dump'],
        Readable.from([]),
        this.execOptions(),
      ).then((r) => (r.exitCode === 0 ? criSnapshotter(r.stdout) : undefined));
      this.snapshotters.set(node.id, found);
    }
    return found;
  }

  private execOptions() {
    return {
      privileged: this.o.privileged,
      ...(this.o.timeoutMs === undefined ? {} : { timeoutMs: this.o.timeoutMs }),
    };
  }

  /** The index child for the daemon's (and so the nodes') platform. */
  private async pickChild(importPath: string, index: ImageIndex): Promise<Image> {
    return childForPlatform(
      importPath,
      index,
      await this.o.engine.info(),
      `the kind nodes at ${this.o.engine.host.address}`,
      'kind',
    );
  }
}

/**
 * The CRI plugin's snapshotter from `containerd config dump`: containerd 1.x
 * (`[plugins."io.containerd.grpc.v1.cri".containerd]`) or 2.x
 * (`[plugins.'io.containerd.cri.v1.images']`).
 */
export function criSnapshotter(configDump: string): string | undefined {
  let section = '';
  for (const raw of configDump.split('\n')) {
    const line = raw.trim();
    const header = /^\[+(.*?)\]+$/.exec(line);
    if (header) {
      section = (header[1] ?? '').replace(/["']/g, '');
      continue;
    }
    if (
      section !== 'plugins.io.containerd.grpc.v1.cri.containerd' &&
      section !== 'plugins.io.containerd.cri.v1.images'
    )
      continue;
    const value = /^snapshotter\s*=\s*["']([^"']*)["']/.exec(line)?.[1];
    if (value) return value;
  }
  return undefined;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
