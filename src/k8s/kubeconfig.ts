/**
 * Finds and loads the kubeconfig the way kubectl does (--kubeconfig, then
 * KUBECONFIG's list, then ~/.kube/config, then in-cluster), but never falls
 * back to an unauthenticated localhost:8080: no configuration is an error.
 */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { UserError } from '../errors.js';
import type { Env } from '../system/env.js';

/** Where to find the cluster, from flags and environment. */
export interface KubeTargetOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  env: Env;
  homeDir: string;
}

/** A loaded kubeconfig with the chosen context. */
export interface KubeTarget {
  config: KubeConfig;
  /** The context's name (or `in-cluster`). */
  context: string;
  /** The API server URL. */
  server: string;
  /** Namespace for objects that name none: -n, else the context's, else `default`. */
  namespace: string;
  /** True when -n was given (objects naming another namespace are then refused, like kubectl). */
  namespaceFromFlag: boolean;
  /** Where the configuration came from, for messages. */
  origin: string;
}

const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** Loads the kubeconfig and picks the context; throws a UserError naming what is missing. */
export function loadKubeTarget(o: KubeTargetOptions): KubeTarget {
  const config = new KubeConfig();
  const files = o.kubeconfig
    ? [o.kubeconfig]
    : (o.env.KUBECONFIG ?? '').split(delimiter).filter((f) => f !== '');
  let origin: string;
  if (o.kubeconfig && !existsSync(o.kubeconfig)) {
    throw new UserError(`--kubeconfig ${o.kubeconfig}: no such file`, { hint: 'check the path' });
  }
  const existing = files.filter((f) => existsSync(f));
  if (existing.length > 0) {
    loadFiles(config, existing);
    origin = existing.join(delimiter);
  } else if (files.length > 0) {
    throw new UserError(`KUBECONFIG=${o.env.KUBECONFIG} names no existing file`, {
      hint: 'point KUBECONFIG at your cluster configuration, or unset it to use ~/.kube/config',
    });
  } else if (existsSync(join(o.homeDir, '.kube', 'config'))) {
    origin = join(o.homeDir, '.kube', 'config');
    loadFiles(config, [origin]);
  } else if (o.env.KUBERNETES_SERVICE_HOST && existsSync(IN_CLUSTER_TOKEN)) {
    config.loadFromCluster();
    origin = 'in-cluster service account';
  } else {
    throw new UserError('no Kubernetes configuration found (no --kubeconfig, KUBECONFIG or ~/.kube/config)', {
      hint: 'point --kubeconfig or KUBECONFIG at your cluster configuration; kodev never guesses localhost:8080',
    });
  }
  if (o.context) {
    if (!config.getContextObject(o.context)) {
      const known = config.getContexts().map((c) => c.name);
      throw new UserError(`--context ${o.context}: no such context in ${origin}`, {
        hint: known.length ? `known contexts: ${known.join(', ')}` : 'the configuration has no contexts',
      });
    }
    config.setCurrentContext(o.context);
  }
  const contextName = config.getCurrentContext();
  const cluster = config.getCurrentCluster();
  if (!cluster?.server) {
    throw new UserError(
      contextName
        ? `context ${JSON.stringify(contextName)} in ${origin} names no cluster with a server`
        : `${origin} has no current context`,
      { hint: 'pick a context with --context, or set current-context in the kubeconfig' },
    );
  }
  const ctxNamespace = config.getContextObject(contextName)?.namespace;
  return {
    config,
    context: contextName || 'in-cluster',
    server: cluster.server.replace(/\/+$/, ''),
    namespace: o.namespace || ctxNamespace || 'default',
    namespaceFromFlag: Boolean(o.namespace),
    origin,
  };
}

/** Loads and merges files like kubectl: the first file to name a cluster, user or context (or current-context) wins. */
function loadFiles(config: KubeConfig, files: readonly string[]): void {
  const parts = files.map((file) => {
    const one = new KubeConfig();
    try {
      one.loadFromFile(file);
    } catch (err) {
      throw new UserError(`${file}: not a readable kubeconfig: ${(err as Error).message}`, {
        hint: 'check the file is valid kubeconfig YAML',
        cause: err,
      });
    }
    return one;
  });
  const firstByName = <T extends { name: string }>(lists: T[][]): T[] => {
    const seen = new Map<string, T>();
    for (const list of lists) for (const item of list) if (!seen.has(item.name)) seen.set(item.name, item);
    return [...seen.values()];
  };
  config.loadFromOptions({
    clusters: firstByName(parts.map((p) => p.getClusters())),
    users: firstByName(parts.map((p) => p.getUsers())),
    contexts: firstByName(parts.map((p) => p.getContexts())),
    currentContext: parts.map((p) => p.getCurrentContext()).find((c) => c) ?? '',
  });
}
