/** Flags that pick the cluster and how objects are sent, shared by apply, create, delete and run. */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { parseBool } from './build-options.js';

/** Cluster flags as parsed. */
export interface KubeFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

/** Apply flags as parsed. */
export interface ApplyFlags extends KubeFlags {
  serverSide: boolean;
  forceConflicts: boolean;
  fieldManager: string;
  wait: boolean;
  timeout: string;
}

/** Adds --kubeconfig, --context and -n. */
export function bindKubeFlags(cmd: Command): Command {
  return cmd
    .option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use (default: the current context)')
    .option(
      '-n, --namespace <namespace>',
      'namespace for objects that name none (default: the context namespace)',
    );
}

/** Adds the apply flags. */
export function bindApplyFlags(cmd: Command, verb: 'apply' | 'create'): Command {
  bindKubeFlags(cmd);
  if (verb === 'apply')
    cmd
      .option(
        '--server-side [bool]',
        'server-side apply (--server-side=false: client-side three-way merge)',
        parseBool,
        true,
      )
      .option('--force-conflicts', 'take over fields another manager owns (server-side apply)', false);
  return cmd
    .option('--field-manager <name>', 'field manager recorded on the objects', 'kodev')
    .option(
      '--wait',
      'wait until Deployments, StatefulSets and DaemonSets are ready and Jobs complete',
      false,
    )
    .option('--timeout <duration>', 'how long --wait waits, e.g. 90s, 5m', '5m');
}

/** Parses a Go-style duration (`300ms`, `90s`, `5m`, `1h30m`) into milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    total += Number(m[1]) * unit;
    end = re.lastIndex;
  }
  if (text === '' || end !== text.length || total <= 0)
    throw new UsageError(`${flag} ${JSON.stringify(text)}: expected a duration such as 90s, 5m or 1h`);
  return total;
}
