/**
 * `kodev apply` and `kodev create`: resolve ko:// references (every build must
 * succeed first), then send the objects to the cluster and optionally wait
 * for the workloads. Prints one kubectl-style line per object on stdout.
 */
import { Discovery } from '../k8s/discovery.js';
import { applyObjects } from '../k8s/apply.js';
import { KubeClient } from '../k8s/client.js';
import { loadKubeTarget } from '../k8s/kubeconfig.js';
import { type KubeObject, manifestObjects } from '../k8s/objects.js';
import { planObjects } from '../k8s/plan.js';
import { waitForWorkloads } from '../k8s/wait.js';
import type { FilenameFlags } from '../options/filename-options.js';
import { type ApplyFlags, parseDuration } from '../options/kube-options.js';
import { findReferences } from '../resolve/references.js';
import { selectDocuments } from '../resolve/selector.js';
import type { CommandContext } from './context.js';
import { readManifests } from './manifests.js';
import { type BuildCommandFlags, openBuildPipeline } from './pipeline.js';
import { resolveInput } from './resolve.js';

/** All flags of `kodev apply` and `kodev create`. */
export type ApplyCommandFlags = BuildCommandFlags & FilenameFlags & ApplyFlags;

/** Applies (or creates) the manifests; returns the lines to print. */
export async function applyCommand(
  verb: 'apply' | 'create',
  flags: ApplyCommandFlags,
  ctx: CommandContext,
  readStdin: () => Promise<string>,
): Promise<string[]> {
  const timeoutMs = parseDuration(flags.timeout, '--timeout');
  const input = await readManifests(flags, ctx.cwd, readStdin);
  const target = loadKubeTarget({ ...flags, env: ctx.env, homeDir: ctx.homeDir });
  const api = new KubeClient(target);
  const discovery = new Discovery(api);
  const rule = { namespace: target.namespace, fromFlag: target.namespaceFromFlag };
  const log = (m: string) => ctx.stderr(`${m}\n`);
  try {
    // Checked before any build: the objects are objects, their kinds are served, their namespaces fit.
    const selected = input.selector ? selectDocuments(input.docs, input.selector) : input.docs;
    await planObjects(discovery, manifestObjects(selected), rule, ctx.signal);
    // Without ko:// references there is nothing to build, and no KO_DOCKER_REPO is needed.
    let resolved = selected;
    if (findReferences(selected).length > 0) {
      const pipeline = await openBuildPipeline(flags, ctx);
      try {
        resolved = await resolveInput(input, pipeline);
      } finally {
        await pipeline.close();
      }
    }
    const planned = await planObjects(discovery, manifestObjects(resolved), rule, ctx.signal);
    const applied = await applyObjects(api, discovery, planned, {
      mode: verb,
      serverSide: verb === 'create' || flags.serverSide,
      forceConflicts: Boolean(flags.forceConflicts),
      fieldManager: flags.fieldManager,
      signal: ctx.signal,
      ...(ctx.verbose ? { log } : {}),
    });
    const lines = applied.map((a) => `${kubectlName(a.live.kind ? a.live : a.planned.object)} ${a.action}`);
    for (const l of lines) ctx.stdout(`${l}\n`);
    if (flags.wait) {
      await waitForWorkloads(
        api,
        applied.map((a) => ({
          resource: a.planned.resource ?? {
            apiVersion: a.live.apiVersion,
            kind: a.live.kind,
            plural: '',
            namespaced: true,
          },
          namespace: a.planned.namespace,
          object: a.live,
        })),
        { timeoutMs, signal: ctx.signal, log },
      );
    }
    return lines;
  } finally {
    await api.close();
  }
}

/** kubectl's `kind.group/name` spelling (`deployment.apps/web`, `service/web`). */
export function kubectlName(o: KubeObject): string {
  const slash = o.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : `.${o.apiVersion.slice(0, slash)}`;
  return `${o.kind.toLowerCase()}${group}/${o.metadata.name ?? ''}`;
}
