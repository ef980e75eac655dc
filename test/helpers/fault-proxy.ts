/**
 * An HTTP reverse proxy for tests that sits in front of a real registry and
 * injects the faults a real registry will not produce on demand: error
 * statuses (429 with Retry-After, 5xx), HTML error pages from a "load
 * balancer", slow answers, and connections cut in the middle of a body.
 *
 * Without rules it forwards everything, streaming both ways, and rewrites
 * absolute Location headers from the upstream's origin to its own, so a
 * client never leaves the proxy. It is bounded: each rule fires at most
 * `times` times, and after `maxRequests` requests it answers 503 to all.
 */
import {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
  Agent,
  createServer,
  request,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  // The proxy answers 100-continue itself; forwarding Expect would make two.
  'expect',
];

/** A fault to inject instead of (or into) forwarding. */
export type Fault =
  /** Answer with this status, headers and body without asking upstream. */
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  /**
   * Forward, then close the client's connection once this many body bytes
   * (request body first, then response body) have been forwarded; a body
   * that ends sooner passes whole. The upstream request is aborted too.
   */
  | { kind: 'reset-mid-body'; afterBytes: number }
  /** Wait this long, then forward. */
  | { kind: 'delay'; ms: number }
  /** Answer with this status and an HTML page, as a proxy or load balancer in front of a registry does. */
  | { kind: 'html'; status: number };

/** A rule: the first rule that matches a request and has firings left applies to it. */
export interface FaultRule {
  /** `method` is compared case-insensitively; `path` is tested against the request target (path and query). */
  match: { method?: string; path?: RegExp };
  fault: Fault;
  /** How many requests this rule applies to, at most. */
  times: number;
}

/** One request the proxy received. */
export interface ProxiedRequest {
  method: string;
  /** The request target, path and query. */
  path: string;
  /**
   * The status sent to the client, set when the exchange ends; 0 while
   * pending or if none was sent (a cut body still shows the status sent).
   */
  status: number;
  /** The fault applied, if any. */
  fault?: Fault['kind'];
  /** When the request arrived and when its exchange ended (Date.now(); 0 while pending), to tell what overlapped. */
  receivedAt: number;
  endedAt: number;
}

/** Options for `startFaultProxy`. */
export interface StartFaultProxyOptions {
  /** Requests served before the proxy refuses all with 503. Default 10,000. */
  maxRequests?: number;
}

/** A running fault proxy. */
export interface FaultProxy {
  /** `127.0.0.1:PORT`, for image references. */
  host: string;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Queues a rule behind the rules already queued. */
  inject(rule: FaultRule): void;
  /** Every request served so far (not those refused over the cap), in arrival order. */
  log: ProxiedRequest[];
  /** Closes the proxy, its connections and pending delays. Safe to call twice. */
  stop(): Promise<void>;
}

interface QueuedRule extends FaultRule {
  left: number;
}

/** Starts a fault proxy on 127.0.0.1 in front of `upstreamUrl` (e.g. a registry's `url`). */
export async function startFaultProxy(
  upstreamUrl: string,
  options: StartFaultProxyOptions = {},
): Promise<FaultProxy> {
  const upstream = new URL(upstreamUrl);
  if (upstream.protocol !== 'http:')
    throw new Error(`startFaultProxy: only http upstreams, not ${upstreamUrl}`);
  const maxRequests = options.maxRequests ?? 10_000;
  const rules: QueuedRule[] = [];
  const log: ProxiedRequest[] = [];
  const agent = new Agent({ keepAlive: true });
  const stopped = new AbortController();
  let served = 0;
  let origin = '';

  const server = createServer((req, res) => {
    if (served >= maxRequests) {
      req.resume();
      res.writeHead(503, { 'content-type': 'text/plain', connection: 'close' });
      res.end(`fault proxy: request cap of ${maxRequests} reached\n`);
      return;
    }
    served++;
    const entry: ProxiedRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      status: 0,
      receivedAt: Date.now(),
      endedAt: 0,
    };
    log.push(entry);
    res.once('close', () => {
      entry.status = res.headersSent ? res.statusCode : 0;
      entry.endedAt = Date.now();
    });
    const rule = takeRule(rules, entry);
    if (rule) entry.fault = rule.fault.kind;
    const fault = rule?.fault;
    const forwardTo = (cutAfter?: number): void => {
      // The client may have given up during a delay.
      if (res.destroyed) return;
      forward(req, res, { upstream, origin, agent, ...(cutAfter === undefined ? {} : { cutAfter }) });
    };
    if (fault === undefined) {
      forwardTo();
    } else if (fault.kind === 'status') {
      req.resume();
      const body = fault.body ?? '';
      res.writeHead(fault.status, { 'content-length': Buffer.byteLength(body), ...fault.headers });
      res.end(body);
    } else if (fault.kind === 'html') {
      req.resume();
      const body = `<html><head><title>${fault.status}</title></head><body><h1>${fault.status} Error</h1><hr>fault-proxy</body></html>\n`;
      res.writeHead(fault.status, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    } else if (fault.kind === 'delay') {
      sleep(fault.ms, undefined, { signal: stopped.signal }).then(
        () => forwardTo(),
        () => res.destroy(),
      );
    } else {
      forwardTo(fault.afterBytes);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = `127.0.0.1:${port}`;
  origin = `http://${host}`;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      stopped.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    })();
    return stopping;
  };
  const inject = (rule: FaultRule): void => {
    if (!Number.isInteger(rule.times) || rule.times < 1)
      throw new Error('inject: times must be a positive integer');
    rules.push({ ...rule, left: rule.times });
  };
  return { host, url: origin, inject, log, stop };
}

function takeRule(rules: QueuedRule[], entry: ProxiedRequest): QueuedRule | undefined {
  const index = rules.findIndex(({ match }) => {
    if (match.method !== undefined && match.method.toUpperCase() !== entry.method.toUpperCase()) return false;
    if (match.path === undefined) return true;
    // A /g or /y RegExp keeps state between tests.
    match.path.lastIndex = 0;
    return match.path.test(entry.path);
  });
  const rule = rules[index];
  if (rule === undefined) return undefined;
  rule.left--;
  if (rule.left <= 0) rules.splice(index, 1);
  return rule;
}

interface ForwardOptions {
  upstream: URL;
  /** The proxy's own origin, for Location rewriting. */
  origin: string;
  agent: Agent;
  /** Close the client connection after this many body bytes (see the reset-mid-body fault). */
  cutAfter?: number;
}

function forward(req: IncomingMessage, res: ServerResponse, options: ForwardOptions): void {
  const { upstream, origin, cutAfter } = options;
  const headers = withoutHopByHop(req.headers);
  headers.host = upstream.host;
  const outgoing = request({
    protocol: upstream.protocol,
    hostname: upstream.hostname,
    port: upstream.port,
    method: req.method,
    path: req.url,
    headers,
    agent: options.agent,
  });
  let forwarded = 0;
  let cut = false;
  // Ends the exchange abruptly: the client sees a truncated body or a dropped connection.
  const cutConnection = (): void => {
    cut = true;
    outgoing.destroy();
    const socket = res.socket ?? req.socket;
    // end() flushes what was already written before closing, so exactly `cutAfter` bytes arrive.
    socket.end(() => socket.destroy());
  };

  outgoing.on('response', (incoming) => {
    if (cut) return;
    const responseHeaders = withoutHopByHop(incoming.headers);
    const location = responseHeaders.location;
    if (typeof location === 'string') responseHeaders.location = rewriteLocation(location, upstream, origin);
    res.writeHead(incoming.statusCode ?? 502, incoming.statusMessage, responseHeaders);
    if (cutAfter === undefined) {
      incoming.pipe(res);
      return;
    }
    if (forwarded >= cutAfter && req.method !== 'HEAD') {
      res.flushHeaders();
      cutConnection();
      return;
    }
    incoming.on('data', (chunk: Buffer) => {
      if (cut) return;
      if (forwarded + chunk.length <= cutAfter) {
        forwarded += chunk.length;
        if (!res.write(chunk)) {
          incoming.pause();
          res.once('drain', () => incoming.resume());
        }
        return;
      }
      res.write(chunk.subarray(0, cutAfter - forwarded));
      forwarded = cutAfter;
      cutConnection();
    });
    incoming.on('end', () => {
      if (!cut) res.end();
    });
  });
  outgoing.on('error', (err) => {
    if (cut) return;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = `fault proxy: upstream ${upstream.host}: ${err.message}\n`;
    res.writeHead(502, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  // A client that goes away mid-request takes the upstream request with it.
  res.on('close', () => {
    if (!res.writableFinished) outgoing.destroy();
  });

  if (cutAfter === undefined) {
    req.pipe(outgoing);
    return;
  }
  req.on('data', (chunk: Buffer) => {
    if (cut) return;
    if (forwarded + chunk.length <= cutAfter) {
      forwarded += chunk.length;
      if (!outgoing.write(chunk)) {
        req.pause();
        outgoing.once('drain', () => req.resume());
      }
      return;
    }
    outgoing.write(chunk.subarray(0, cutAfter - forwarded));
    forwarded = cutAfter;
    cutConnection();
  });
  req.on('end', () => {
    if (!cut) outgoing.end();
  });
}

function withoutHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const named = String(headers.connection ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  const result: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.includes(name) && !named.includes(name)) result[name] = value;
  }
  return result;
}

/** Points an absolute Location at the upstream's origin to the proxy instead; others pass unchanged. */
function rewriteLocation(location: string, upstream: URL, origin: string): string {
  let target: URL;
  try {
    target = new URL(location);
  } catch {
    return location;
  }
  if (target.origin !== upstream.origin) return location;
  return `${origin}${target.pathname}${target.search}${target.hash}`;
}
