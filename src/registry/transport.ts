/**
 * HTTP for registries, on undici: retries with backoff on 408/429/5xx and
 * dropped connections (honouring Retry-After), redirects for reads, and
 * errors that name the registry. The one place kodev sends registry traffic,
 * so faults can be injected and headers are never logged.
 */
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { Agent, request } from '../system/http.js';
import { isUntrustedCertificate, TRUST_HINT } from '../system/tls-errors.js';
import { UserError } from '../errors.js';

/** One request. `body` is a factory so a retry can send it again. */
export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: () => Promise<Buffer | Readable | string> | Buffer | string;
  /** Follow 3xx redirects (reads only). */
  followRedirects?: boolean;
  /** Retry transient failures (default true). Uploads restart whole sessions instead. */
  retry?: boolean;
}

/** A response whose body must be consumed or dumped. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
  url: string;
}

/** Options for the transport. */
export interface TransportOptions {
  /** How many times to retry a failed attempt (default 4). */
  retries?: number;
  /** First backoff in ms, doubled each retry (default 250). */
  backoffMs?: number;
  /** Longest Retry-After honoured, in ms (default 30 s). */
  maxRetryAfterMs?: number;
  signal?: AbortSignal;
  log?: (message: string) => void;
  /** Concurrent connections per registry (default 8). */
  connections?: number;
}

const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const RETRY_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'ECONNREFUSED',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** Error for a registry that could not be reached or kept failing. */
export class RegistryUnavailableError extends UserError {
  override name = 'RegistryUnavailableError';
}

/** Sends registry requests with retries. */
export class Transport {
  private readonly dispatcher: Agent;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxRetryAfterMs: number;

  constructor(private readonly o: TransportOptions = {}) {
    this.retries = o.retries ?? 4;
    this.backoffMs = o.backoffMs ?? 250;
    this.maxRetryAfterMs = o.maxRetryAfterMs ?? 30_000;
    this.dispatcher = new Agent({
      connections: o.connections ?? 8,
      headersTimeout: 60_000,
      bodyTimeout: 120_000,
    });
  }

  /** Sends a request, retrying transient failures; the final response is returned whatever its status. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    let attempt = 0;
    for (;;) {
      let res: HttpResponse;
      try {
        res = await this.once(req);
      } catch (err) {
        const code = errorCode(err);
        if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
          throw new UserError(`registry ${host(req.url)}: unknown host`, {
            hint: 'check the registry name in KO_DOCKER_REPO or the image reference',
            cause: err,
          });
        }
        if (isUntrustedCertificate(code))
          throw new UserError(`registry ${host(req.url)}: its TLS certificate is not trusted (${code})`, {
            hint: TRUST_HINT,
            cause: err,
          });
        if (this.o.signal?.aborted) throw err;
        if (!RETRY_CODES.has(code) || attempt >= this.retries || req.retry === false) {
          throw new RegistryUnavailableError(
            `registry ${host(req.url)}: ${req.method} failed: ${code || String(err)}${attempt ? ` (after ${attempt + 1} attempts)` : ''}`,
            {
              hint: 'check that the registry is running and reachable, then try again',
              cause: err,
            },
          );
        }
        await this.wait(attempt++, undefined, `${req.method} ${pathOf(req.url)}: ${code}`);
        continue;
      }
      if (RETRY_STATUS.has(res.status) && attempt < this.retries && req.retry !== false) {
        const retryAfter = res.headers['retry-after'];
        await res.body.dump();
        await this.wait(
          attempt++,
          typeof retryAfter === 'string' ? retryAfter : undefined,
          `${req.method} ${pathOf(req.url)}: HTTP ${res.status}`,
        );
        continue;
      }
      return res;
    }
  }

  private async once(req: HttpRequest): Promise<HttpResponse> {
    let url = req.url;
    let headers = req.headers ?? {};
    for (let hops = 0; ; hops++) {
      const body = req.body ? await req.body() : undefined;
      const res = await request(url, {
        method: req.method,
        headers,
        body,
        dispatcher: this.dispatcher,
        signal: this.o.signal,
      });
      const location = res.headers.location;
      if (
        req.followRedirects &&
        res.statusCode >= 300 &&
        res.statusCode < 400 &&
        typeof location === 'string' &&
        hops < 5
      ) {
        await res.body.dump();
        const next = new URL(location, url);
        // Credentials for the registry never go to another host (blob storage, CDNs).
        if (next.host !== new URL(url).host)
          headers = Object.fromEntries(
            Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'),
          );
        url = next.toString();
        continue;
      }
      return { status: res.statusCode, headers: res.headers, body: res.body, url };
    }
  }

  private async wait(attempt: number, retryAfter: string | undefined, why: string): Promise<void> {
    let ms = this.backoffMs * 2 ** attempt;
    if (retryAfter) {
      const seconds = Number(retryAfter);
      const fromHeader = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - Date.now();
      if (Number.isFinite(fromHeader) && fromHeader > 0) ms = Math.min(fromHeader, this.maxRetryAfterMs);
    }
    this.o.log?.(`retrying in ${Math.round(ms)} ms: ${why}`);
    await sleep(ms, undefined, this.o.signal ? { signal: this.o.signal } : undefined);
  }

  /** Closes pooled connections. */
  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

function errorCode(err: unknown): string {
  const e = err as { code?: string; cause?: { code?: string } };
  return e?.code ?? e?.cause?.code ?? '';
}

function host(url: string): string {
  return new URL(url).host;
}

function pathOf(url: string): string {
  return new URL(url).pathname;
}
