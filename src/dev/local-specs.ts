/**
 * What the `local` runtime runs: the containers of the manifests' workloads
 * whose image is a `ko://` reference, each turned into a host process with
 * the container's args and plain env values. Pure: takes objects, returns
 * processes and the warnings about what could not be carried over.
 */
import { type ManifestObject, objectName } from '../k8s/objects.js';
import { KO_PREFIX } from '../resolve/references.js';

/** One container to run as a host process. */
export interface LocalProcess {
  /** Unique display name: `<workload name>/<container name>` (for a Pod, its name). */
  name: string;
  /** The import path behind the container's ko:// image. */
  importPath: string;
  args: string[];
  env: Record<string, string>;
  /** Replicas are ignored: one process per container. */
}

/** Where ko puts the binary in the image; a command naming it means "the app itself". */
const KO_APP_DIR = '/ko-app/';

/** Workload kinds by apiVersion, and the path from the object to its pod spec. */
const POD_SPEC_PATHS: Record<string, Record<string, readonly string[]>> = {
  'apps/v1': {
    Deployment: ['spec', 'template', 'spec'],
    StatefulSet: ['spec', 'template', 'spec'],
    DaemonSet: ['spec', 'template', 'spec'],
    ReplicaSet: ['spec', 'template', 'spec'],
  },
  'batch/v1': {
    Job: ['spec', 'template', 'spec'],
    CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
  },
  v1: { Pod: ['spec'] },
};

interface Container {
  name?: unknown;
  image?: unknown;
  command?: unknown;
  args?: unknown;
  env?: unknown;
  envFrom?: unknown;
}

/**
 * For every Deployment/StatefulSet/DaemonSet/ReplicaSet/Job/CronJob/Pod, every
 * container and init container whose image starts with ko:// becomes a
 * LocalProcess. A command whose first word is under /ko-app/ is dropped (the
 * rest is prepended to args); any other command is unsupported and the
 * container is skipped with a warning. `$(VAR)` in args and env values is
 * expanded as Kubernetes does (`$$` escapes). `valueFrom` and `envFrom` are
 * skipped with a warning. Objects of other kinds holding ko:// strings are
 * reported as not run.
 */
export function localProcesses(objects: readonly ManifestObject[]): {
  processes: LocalProcess[];
  warnings: string[];
} {
  const processes: LocalProcess[] = [];
  const warnings: string[] = [];
  const taken = new Set<string>();
  for (const { object, where } of objects) {
    const path = POD_SPEC_PATHS[object.apiVersion]?.[object.kind];
    if (!path) {
      if (hasKoReference(object))
        warnings.push(
          `${where}: ${objectName(object)} is not a workload the local runtime runs; its ko:// images are not started`,
        );
      continue;
    }
    const podSpec = dig(object, path);
    const workload = object.metadata.name ?? object.metadata.generateName ?? '';
    for (const c of [...list(podSpec?.initContainers), ...list(podSpec?.containers)]) {
      if (typeof c.image !== 'string' || !c.image.trim().startsWith(KO_PREFIX)) continue;
      const container = typeof c.name === 'string' ? c.name : '';
      const about = `${where}: ${objectName(object)} container ${JSON.stringify(container)}`;
      const p = toProcess(c, about, warnings);
      if (!p) continue;
      let name = `${workload}/${container}`;
      for (let n = 2; taken.has(name); n++) name = `${workload}/${container}#${n}`;
      taken.add(name);
      processes.push({ name, importPath: c.image.trim().slice(KO_PREFIX.length), ...p });
    }
  }
  return { processes, warnings };
}

function toProcess(
  c: Container,
  about: string,
  warnings: string[],
): { args: string[]; env: Record<string, string> } | undefined {
  const env: Record<string, string> = {};
  for (const e of list(c.env)) {
    if (typeof e.name !== 'string') continue;
    if (e.valueFrom !== undefined) {
      warnings.push(
        `${about}: env ${e.name} uses valueFrom, which the local runtime does not resolve; it is left unset`,
      );
      continue;
    }
    // A later entry sees only the entries before it, as in Kubernetes.
    env[e.name] = expand(typeof e.value === 'string' ? e.value : '', env);
  }
  if (list(c.envFrom).length > 0)
    warnings.push(`${about}: envFrom is not resolved by the local runtime; those variables are left unset`);

  const command = strings(c.command);
  if (command.length > 0 && !command[0]!.startsWith(KO_APP_DIR)) {
    warnings.push(
      `${about}: command ${JSON.stringify(command)} does not run the ko-built program (${KO_APP_DIR}...); the container is not run locally`,
    );
    return undefined;
  }
  const args = [...command.slice(1), ...strings(c.args)].map((a) => expand(a, env));
  return { args, env };
}

/**
 * Kubernetes' `$(VAR)` expansion: a defined VAR is replaced, an undefined one
 * is left as written, `$$` becomes `$`, and any other `$` is kept.
 */
export function expand(input: string, vars: Readonly<Record<string, string>>): string {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    const next = input[i + 1];
    if (ch !== '$' || next === undefined) {
      out += ch;
      i++;
    } else if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += '$(';
        i += 2;
        continue;
      }
      const name = input.slice(i + 2, close);
      out += Object.hasOwn(vars, name) ? vars[name] : `$(${name})`;
      i = close + 1;
    } else {
      out += ch + next;
      i += 2;
    }
  }
  return out;
}

function dig(o: unknown, path: readonly string[]): Record<string, unknown> | undefined {
  let cur = o;
  for (const key of path) {
    if (!isRecord(cur)) return undefined;
    cur = cur[key];
  }
  return isRecord(cur) ? cur : undefined;
}

function list(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.filter(isRecord) : [];
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map((s) => String(s)) : [];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hasKoReference(v: unknown): boolean {
  if (typeof v === 'string') return v.startsWith(KO_PREFIX);
  if (Array.isArray(v)) return v.some(hasKoReference);
  if (isRecord(v)) return Object.values(v).some(hasKoReference);
  return false;
}
