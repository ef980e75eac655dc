/** `kodev run`: build one main package, run it as a Pod with the given arguments, print its output, delete the Pod. */
import { randomBytes } from 'node:crypto';
import { UsageError } from '../errors.js';
import { KubeClient } from '../k8s/client.js';
import { loadKubeTarget } from '../k8s/kubeconfig.js';
import { runPod } from '../k8s/run-pod.js';
import { parseKeyValues } from '../options/build-options.js';
import { type KubeFlags, parseDuration } from '../options/kube-options.js';
import type { CommandContext } from './context.js';
import { type BuildCommandFlags, openBuildPipeline } from './pipeline.js';

/** All flags of `kodev run`. */
export type RunFlags = BuildCommandFlags & KubeFlags & { env: string[]; timeout: string };

/** Runs the program in the cluster and returns its exit code. */
export async function runCommand(
  ref: string,
  args: readonly string[],
  flags: RunFlags,
  ctx: CommandContext,
): Promise<number> {
  if (!flags.push)
    throw new UsageError('kodev run needs --push: the cluster must be able to pull the image', {
      hint: 'set KO_DOCKER_REPO to a registry the cluster can reach (or kind.local)',
    });
  const env = parseKeyValues(flags.env, '--env');
  const startTimeoutMs = parseDuration(flags.timeout, '--timeout');
  const target = loadKubeTarget({ ...flags, env: ctx.env, homeDir: ctx.homeDir });
  const pipeline = await openBuildPipeline(flags, ctx);
  let image: string;
  try {
    [image] = (await pipeline.buildAndPublish([ref])) as [string];
  } finally {
    await pipeline.close();
  }
  const api = new KubeClient(target);
  try {
    return await runPod(
      api,
      {
        name: podName(ref, randomBytes(3).toString('hex').slice(0, 5)),
        namespace: target.namespace,
        image,
        args,
        env,
        labels: { 'app.kubernetes.io/managed-by': 'kodev', 'kodev.dev/run': 'true' },
      },
      {
        output: (t) => ctx.stdout(t),
        log: (l) => ctx.stderr(`${l}\n`),
        signal: ctx.signal,
        startTimeoutMs,
      },
    );
  } finally {
    await api.close();
  }
}

/** A DNS-1123 pod name from the import path's last element and a random suffix. */
export function podName(ref: string, suffix: string): string {
  const last =
    ref
      .replace(/^ko:\/\//, '')
      .replace(/\/+$/, '')
      .split('/')
      .pop() ?? '';
  const base =
    last
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 50) || 'kodev-run';
  return `${base}-${suffix}`;
}
