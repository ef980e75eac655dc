/** Parses `WWW-Authenticate` challenges (RFC 7235) as registries send them. */

/** One challenge: its scheme and parameters (realm, service, scope, error). */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `Bearer realm="...",service="...",scope="a b"` (quoted or token values). */
export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*([A-Za-z][\w-]*)\s*(.*)$/s.exec(header);
  if (!m?.[1]) return undefined;
  const params: Record<string, string> = {};
  const re = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?/g;
  for (let p = re.exec(m[2] ?? ''); p; p = re.exec(m[2] ?? '')) {
    params[(p[1] ?? '').toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
  }
  return { scheme: m[1].toLowerCase(), params };
}

/** Merges scope strings (`repository:a/b:pull,push`), unioning actions per resource. */
export function mergeScopes(...lists: readonly (readonly string[])[]): string[] {
  const byResource = new Map<string, Set<string>>();
  for (const scope of lists.flat()) {
    for (const one of scope.split(' ').filter(Boolean)) {
      const i = one.lastIndexOf(':');
      const resource = i > 0 ? one.slice(0, i) : one;
      const actions = i > 0 ? one.slice(i + 1).split(',') : [];
      const set = byResource.get(resource) ?? new Set<string>();
      for (const a of actions) if (a) set.add(a);
      byResource.set(resource, set);
    }
  }
  return [...byResource.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([r, a]) => (a.size ? `${r}:${[...a].sort().join(',')}` : r));
}
