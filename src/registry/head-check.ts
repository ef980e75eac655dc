/**
 * Asks a registry, cheaply, what a tag or digest of a repository resolves to:
 * one HEAD request (plus an anonymous token when the registry asks for one),
 * on Node's built-in fetch, so the unchanged-build check runs without loading
 * the full registry client. Anything unexpected is `unknown`, and the caller
 * then does the full build instead of trusting a guess.
 */

import { registryBaseUrl } from './reference.js';

/** The answer: the digest, `missing` (404), or `unknown` (auth needed, errors). */
export type HeadAnswer = { digest: string } | 'missing' | 'unknown';

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** HEADs `<registry>/v2/<repository>/manifests/<reference>`. */
export async function headManifest(
  registry: string,
  repository: string,
  reference: string,
  options: { insecure: boolean; signal?: AbortSignal; timeoutMs?: number },
): Promise<HeadAnswer> {
  const url = `${registryBaseUrl(registry, options.insecure)}/v2/${repository}/manifests/${reference}`;
  const signal = AbortSignal.any([
    AbortSignal.timeout(options.timeoutMs ?? 5000),
    ...(options.signal ? [options.signal] : []),
  ]);
  try {
    let res = await fetch(url, { method: 'HEAD', headers: { accept: ACCEPT }, signal });
    if (res.status === 401) {
      const token = await anonymousToken(res.headers.get('www-authenticate'), repository, signal);
      if (!token) return 'unknown';
      res = await fetch(url, {
        method: 'HEAD',
        headers: { accept: ACCEPT, authorization: `Bearer ${token}` },
        signal,
      });
    }
    if (res.status === 404) return 'missing';
    const digest = res.headers.get('docker-content-digest');
    return res.ok && digest ? { digest } : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Gets an anonymous pull token from a Bearer challenge; undefined when there is none to get. */
async function anonymousToken(
  challenge: string | null,
  repository: string,
  signal: AbortSignal,
): Promise<string | undefined> {
  if (!challenge?.toLowerCase().startsWith('bearer ')) return undefined;
  const params = new Map<string, string>();
  for (const m of challenge.slice(7).matchAll(/(\w+)="([^"]*)"/g)) params.set(m[1] ?? '', m[2] ?? '');
  const realm = params.get('realm');
  if (!realm || !/^https?:\/\//.test(realm)) return undefined;
  const url = new URL(realm);
  const service = params.get('service');
  if (service) url.searchParams.set('service', service);
  url.searchParams.set('scope', params.get('scope') ?? `repository:${repository}:pull`);
  const res = await fetch(url, { signal });
  if (!res.ok) return undefined;
  const body = (await res.json()) as { token?: string; access_token?: string };
  return body.token ?? body.access_token;
}
