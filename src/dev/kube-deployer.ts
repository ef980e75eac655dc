/**
 * The cluster runtime's deployer: after a cycle, re-resolves only the
 * manifests that reference a changed image (every manifest the first time),
 * applies them with server-side apply, waits for the rollout, and points the
 * log follower at the workloads' pods.
 */
import { applyObjects } from '../k8s/apply.js';
import type { KubeApi } from '../k8s/client.js';
import { deleteObjects } from '../k8s/delete.js';
import type { Discovery } from '../k8s/discovery.js';
import type { FollowTarget } from '../k8s/log-follower.js';
import { type KubeObject, type ManifestObject, manifestObjects, objectName } from '../k8s/objects.js';
import { type NamespaceRule, planObjects } from '../k8s/plan.js';
import { waitForWorkloads } from '../k8s/wait.js';
import { isWaitedKind, podSelector } from '../k8s/workload-status.js';
import { type ManifestDocument, cloneManifest } from '../resolve/documents.js';
import { findReferences, replaceReferences } from '../resolve/references.js';
import type { Deployer, PhaseTimer } from './engine.js';
import type { EventSink } from './events.js';

/** What the deployer needs. */
export interface KubeDeployerOptions {
  api: KubeApi;
  discovery: Discovery;
  docs: readonly ManifestDocument[];
  /** ko:// reference as written -> import path (kept up to date by the caller). */
  refs: ReadonlyMap<string, string>;
  rule: NamespaceRule;
  fieldManager: string;
  waitTimeoutMs: number;
  emit: EventSink;
  /** Receives the workloads to follow after every apply. */
  follow: (targets: FollowTarget[]) => void;
  /** Told when an apply happened, for the first-log timing. */
  applied?: (at: number) => void;
}

/** Applies manifests for changed images. */
export class KubeDeployer implements Deployer {
  private first = true;
  private readonly applied = new Map<string, ManifestObject>();
  private readonly targets = new Map<string, FollowTarget>();

  constructor(private readonly o: KubeDeployerOptions) {}

  /** New manifests (an edit): the next deploy applies all of them. */
  setManifests(docs: readonly ManifestDocument[]): void {
    this.o.docs = docs;
    this.first = true;
  }

  async deploy(
    changed: ReadonlySet<string>,
    outputs: ReadonlyMap<string, string>,
    signal: AbortSignal,
    time: PhaseTimer,
  ): Promise<void> {
    const chosen: ManifestDocument[] = [];
    for (const d of this.o.docs) {
      const images = findReferences([d]).map((s) => this.o.refs.get(s.ref) ?? '');
      if (images.some((i) => !outputs.has(i))) continue; // an image that never built yet
      if (this.first || images.some((i) => changed.has(i))) chosen.push(d);
    }
    if (chosen.length === 0) return;
    const resolved = new Map<string, string>();
    for (const [ref, image] of this.o.refs) {
      const out = outputs.get(image);
      if (out) resolved.set(ref, out);
    }
    const docs = chosen.map(cloneManifest);
    replaceReferences(docs, resolved);
    const started = performance.now();
    const planned = await planObjects(this.o.discovery, manifestObjects(docs), this.o.rule, signal);
    const applied = await applyObjects(this.o.api, this.o.discovery, planned, {
      mode: 'apply',
      serverSide: true,
      forceConflicts: true,
      fieldManager: this.o.fieldManager,
      signal,
    });
    this.first = false;
    time('apply', performance.now() - started);
    this.o.applied?.(Date.now());
    this.o.emit({
      type: 'applied',
      objects: applied.map((a) => `${objectName(a.planned.object)} ${a.action}`),
    });
    for (const a of applied) {
      const key = `${a.planned.namespace ?? ''}/${objectName(a.planned.object)}`;
      this.applied.set(key, a.planned);
      const target = followTarget(a.live, a.planned.namespace);
      if (target) this.targets.set(key, target);
    }
    this.o.follow([...this.targets.values()]);
    const byReference = new Map([...outputs].map(([image, ref]) => [ref, image]));
    this.o.emit({
      type: 'workloads',
      workloads: applied.flatMap((a) => {
        const images = [...referencedImages(a.live, byReference)];
        return images.length
          ? [
              {
                name: objectName(a.live),
                images,
                ...(a.planned.namespace ? { namespace: a.planned.namespace } : {}),
              },
            ]
          : [];
      }),
    });
    for (const image of changed) this.o.emit({ type: 'image-state', image, state: 'rolling out' });
    const readyStart = performance.now();
    await waitForWorkloads(
      this.o.api,
      applied.flatMap((a) =>
        a.planned.resource
          ? [{ resource: a.planned.resource, namespace: a.planned.namespace, object: a.live }]
          : [],
      ),
      {
        timeoutMs: this.o.waitTimeoutMs,
        signal,
        onReady: (name, summary) => this.o.emit({ type: 'workload', name, ready: true, summary }),
      },
    );
    time('ready', performance.now() - readyStart);
  }

  async stop(cleanup: boolean): Promise<void> {
    if (!cleanup || this.applied.size === 0) return;
    await deleteObjects(this.o.api, this.o.discovery, [...this.applied.values()], this.o.rule, {});
  }
}

function followTarget(live: KubeObject, namespace: string | undefined): FollowTarget | undefined {
  if (!namespace || !isWaitedKind(live)) return undefined;
  const selector = podSelector(live);
  return selector ? { resource: objectName(live), namespace, selector } : undefined;
}

/** The images (import paths) whose published references appear anywhere in an object. */
function referencedImages(value: unknown, byReference: ReadonlyMap<string, string>, out = new Set<string>()) {
  if (typeof value === 'string') {
    const image = byReference.get(value);
    if (image) out.add(image);
  } else if (Array.isArray(value)) for (const v of value) referencedImages(v, byReference, out);
  else if (value && typeof value === 'object')
    for (const v of Object.values(value)) referencedImages(v, byReference, out);
  return out;
}
