/**
 * Asks a registry, cheaply, what a tag or digest of a repository resolves to:
 * one HEAD request (plus an anonymous token when the registry asks for one),
 * on Node's own http and https modules, so the unchanged-run check at the
 * CLI's entry loads neither the registry client nor Node's fetch. Anything
 * unexpected is `unknown`, and the caller then runs the command in full
 * instead of trusting a guess.
 */
import type { IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { parseChallenge } from './challenge.js';
import { registryBaseUrl } from './reference.js';

/** The answer: the digest, `missing` (404), or `unknown` (auth needed, errors). */
export type HeadAnswer = { digest: string } | 'missing' | 'unknown';

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** A token response is small; anything longer is not one. */
const MAX_BODY = 1 << 20;

/** HEADs `<registry>/v2/<repository>/manifests/<reference>`. */
export async function headManifest(
  registry: string,
  repository: string,
  reference: string,
  options: { insecure: boolean; signal?: AbortSignal; timeoutMs?: number },
): Promise<HeadAnswer> {
  const url = new URL(
    `${registryBaseUrl(registry, options.insecure)}/v2/${repository}/manifests/${reference}`,
  );
  const signal = AbortSignal.any([
    AbortSignal.timeout(options.timeoutMs ?? 5000),
    ...(options.signal ? [options.signal] : []),
  ]);
  try {
    let res = await send('HEAD', url, { accept: ACCEPT }, signal);
    if (res.status === 401) {
      const token = await anonymousToken(res.headers['www-authenticate'], repository, signal);
      if (!token) return 'unknown';
      res = await send('HEAD', url, { accept: ACCEPT, authorization: `Bearer ${token}` }, signal);
    }
    if (res.status === 404) return 'missing';
    const digest = res.headers['docker-content-digest'];
    return res.status >= 200 && res.status < 300 && typeof digest === 'string' ? { digest } : 'unknown';
  } catch {
    return 'unknown';
  }
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request with no redirects followed; the body is read up to MAX_BODY. */
async function send(
  method: 'HEAD' | 'GET',
  url: URL,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<Answer> {
  let request: typeof httpRequest;
  if (url.protocol === 'https:') {
    (await import('../system/extra-ca.js')).installExtraCa();
    request = (await import('node:https')).request;
  } else request = (await import('node:http')).request;
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, signal }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) req.destroy(new Error('response too large'));
        else chunks.push(c);
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Gets an anonymous pull token from a Bearer challenge; undefined when there is none to get. */
async function anonymousToken(
  challenge: string | undefined,
  repository: string,
  signal: AbortSignal,
): Promise<string | undefined> {
  const parsed = parseChallenge(challenge);
  if (parsed?.scheme !== 'bearer') return undefined;
  const { realm, service, scope } = parsed.params;
  if (!realm || !/^https?:\/\//.test(realm)) return undefined;
  const url = new URL(realm);
  if (service) url.searchParams.set('service', service);
  url.searchParams.set('scope', scope ?? `repository:${repository}:pull`);
  const res = await send('GET', url, { accept: 'application/json' }, signal);
  if (res.status !== 200) return undefined;
  const body = JSON.parse(res.body) as { token?: string; access_token?: string };
  return body.token ?? body.access_token;
}
