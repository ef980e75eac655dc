/** `kodev delete`: delete what the manifests describe (no builds), like `kubectl delete -f`. */
import { KubeClient } from '../k8s/client.js';
import { deleteObjects } from '../k8s/delete.js';
import { Discovery } from '../k8s/discovery.js';
import { loadKubeTarget } from '../k8s/kubeconfig.js';
import { manifestObjects } from '../k8s/objects.js';
import type { FilenameFlags } from '../options/filename-options.js';
import type { KubeFlags } from '../options/kube-options.js';
import { selectDocuments } from '../resolve/selector.js';
import { kubectlName } from './apply.js';
import type { CommandContext } from './context.js';
import { readManifests } from './manifests.js';

/** All flags of `kodev delete`. */
export type DeleteFlags = FilenameFlags & KubeFlags;

/** Deletes the objects; prints a line per deleted object on stdout and notes the rest on stderr. */
export async function deleteCommand(
  flags: DeleteFlags,
  ctx: CommandContext,
  readStdin: () => Promise<string>,
): Promise<string[]> {
  const input = await readManifests(flags, ctx.cwd, readStdin);
  const selected = input.selector ? selectDocuments(input.docs, input.selector) : input.docs;
  const objects = manifestObjects(selected);
  const target = loadKubeTarget({ ...flags, env: ctx.env, homeDir: ctx.homeDir });
  const api = new KubeClient(target);
  try {
    const done = await deleteObjects(
      api,
      new Discovery(api),
      objects,
      { namespace: target.namespace, fromFlag: target.namespaceFromFlag },
      { signal: ctx.signal },
    );
    const lines: string[] = [];
    for (const d of done) {
      const name = kubectlName(d.object.object);
      const ns = d.namespace ? ` in namespace ${d.namespace}` : '';
      if (d.outcome === 'deleted') {
        const [kind, objName] = [name.slice(0, name.indexOf('/')), name.slice(name.indexOf('/') + 1)];
        lines.push(`${kind} "${objName}" deleted`);
        ctx.stdout(`${kind} "${objName}" deleted\n`);
      } else if (d.outcome === 'not found')
        ctx.stderr(`note: ${name}${ns} was not found (already deleted)\n`);
      else
        ctx.stderr(
          `note: ${name}${ns} skipped: the cluster does not serve ${d.object.object.kind} any more\n`,
        );
    }
    return lines;
  } finally {
    await api.close();
  }
}
