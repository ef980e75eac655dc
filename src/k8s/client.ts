/**
 * Raw JSON requests to the Kubernetes API server over undici, authenticated
 * from the kubeconfig (client certificates, bearer tokens, exec plugins via
 * client-node). Objects are sent as they are written, so fields client-node's
 * typed serializer does not know are never dropped.
 */
import type { Readable } from 'node:stream';
import { Agent, request } from '../system/http.js';
import { UserError } from '../errors.js';
import { isUntrustedCertificate, TRUST_HINT } from '../system/tls-errors.js';
import type { KubeTarget } from './kubeconfig.js';

/** A Kubernetes `Status` object as the API server returns it on failure. */
export interface KubeStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    kind?: string;
    causes?: { field?: string; message?: string; reason?: string }[];
  };
}

/** The API server answered with an error status. */
export class KubeApiError extends Error {
  override name = 'KubeApiError';
  constructor(
    readonly statusCode: number,
    readonly status: KubeStatus,
    readonly method: string,
    readonly path: string,
  ) {
    super(status.message || `${method} ${path}: HTTP ${statusCode}`);
  }

  /** The Status reason (`NotFound`, `AlreadyExists`, `Forbidden`, `Invalid`, `Conflict`...). */
  get reason(): string {
    return this.status.reason ?? '';
  }
}

/** One request. */
export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

/** The seam every Kubernetes operation goes through; tests and faults wrap it. */
export interface KubeApi {
  /** Where the client points, for messages. */
  readonly server: string;
  readonly context: string;
  json<T>(req: KubeRequest): Promise<T>;
  /** Like `json`, with the HTTP status (201 tells a creation from an update). */
  call<T>(req: KubeRequest): Promise<{ statusCode: number; body: T }>;
  /** A streaming GET (logs, watches); the caller consumes or destroys the body. */
  stream(path: string, query: KubeRequest['query'], signal?: AbortSignal): Promise<Readable>;
  close(): Promise<void>;
}

/** The undici-based client for one kubeconfig context. */
export class KubeClient implements KubeApi {
  readonly server: string;
  readonly context: string;
  private agent?: Promise<{ agent: Agent; headers: Record<string, string> }>;

  constructor(private readonly target: KubeTarget) {
    this.server = target.server;
    this.context = target.context;
  }

  async json<T>(req: KubeRequest): Promise<T> {
    return (await this.call<T>(req)).body;
  }

  async call<T>(req: KubeRequest): Promise<{ statusCode: number; body: T }> {
    const res = await this.send(req);
    const text = await res.body.text();
    if (res.statusCode >= 400) throw apiError(res.statusCode, text, req.method, req.path);
    return { statusCode: res.statusCode, body: (text ? JSON.parse(text) : {}) as T };
  }

  async stream(path: string, query: KubeRequest['query'], signal?: AbortSignal): Promise<Readable> {
    const res = await this.send({
      method: 'GET',
      path,
      ...(query ? { query } : {}),
      ...(signal ? { signal } : {}),
    });
    if (res.statusCode >= 400) throw apiError(res.statusCode, await res.body.text(), 'GET', path);
    return res.body;
  }

  async close(): Promise<void> {
    const agent = this.agent;
    this.agent = undefined;
    if (agent) await (await agent).agent.close();
  }

  private async send(req: KubeRequest) {
    const { agent, headers } = await (this.agent ??= this.connect());
    const auth = await this.authHeaders();
    const url = new URL(this.server + req.path);
    for (const [k, v] of Object.entries(req.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    try {
      return await request(url, {
        method: req.method,
        dispatcher: agent,
        headers: {
          ...headers,
          ...auth,
          accept: 'application/json',
          'user-agent': 'kodev',
          ...(body !== undefined ? { 'content-type': req.contentType ?? 'application/json' } : {}),
        },
        ...(body !== undefined ? { body } : {}),
        ...(req.signal ? { signal: req.signal } : {}),
      });
    } catch (err) {
      if (req.signal?.aborted) throw req.signal.reason ?? err;
      const code = (err as { code?: string }).code;
      if (isUntrustedCertificate(code))
        throw new UserError(
          `the Kubernetes API server ${this.server} (context ${this.context}) presented a certificate kodev does not trust: ${code}`,
          {
            hint: `set certificate-authority for the cluster in ${this.target.origin}, or ${TRUST_HINT}`,
            cause: err,
          },
        );
      throw new UserError(
        `cannot reach the Kubernetes API server ${this.server} (context ${this.context}): ${code ?? (err as Error).message}`,
        { hint: `check that the cluster is running and that ${this.target.origin} points at it`, cause: err },
      );
    }
  }

  private async connect() {
    const opts: {
      ca?: Buffer;
      cert?: Buffer;
      key?: Buffer;
      rejectUnauthorized?: boolean;
      servername?: string;
    } = {};
    await this.target.config.applyToHTTPSOptions(opts as never);
    const agent = new Agent({
      connect: {
        ...(opts.ca ? { ca: opts.ca } : {}),
        ...(opts.cert ? { cert: opts.cert } : {}),
        ...(opts.key ? { key: opts.key } : {}),
        ...(opts.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
        ...(opts.servername ? { servername: opts.servername } : {}),
      },
      connections: 16,
    });
    return { agent, headers: {} as Record<string, string> };
  }

  /** Authorization headers, fetched per request so expiring exec/OIDC tokens are refreshed by client-node. */
  private async authHeaders(): Promise<Record<string, string>> {
    const opts: { headers?: Record<string, string>; auth?: string } = {};
    await this.target.config.applyToHTTPSOptions(opts as never);
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) out[k.toLowerCase()] = String(v);
    if (opts.auth) out.authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    return out;
  }
}

function apiError(statusCode: number, text: string, method: string, path: string): KubeApiError {
  let status: KubeStatus = {};
  try {
    const parsed = JSON.parse(text) as KubeStatus;
    if (parsed && typeof parsed === 'object') status = parsed;
  } catch {
    status = { message: `HTTP ${statusCode}: ${text.trim().split('\n')[0]?.slice(0, 200) ?? ''}` };
  }
  return new KubeApiError(statusCode, status, method, path);
}
