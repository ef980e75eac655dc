/**
 * A small Docker registry token server for tests, implementing the
 * distribution token spec: `GET /token` (HTTP Basic or anonymous) and the
 * OAuth2 `POST /token` (password and refresh_token grants). It issues RS256
 * JWTs whose signing certificate travels in the `x5c` header; the registry
 * trusts that certificate through `certFile` (its `rootcertbundle`).
 *
 * Access is granted per user by repository-name patterns, so tests can prove
 * that kodev asks for the right scopes and fails clearly when refused. Every
 * request is recorded (never a password, never a token) for assertions.
 */
import { X509Certificate, createSign, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { INSTALL_HINT } from './processes.js';

const MAX_FORM_BYTES = 64 * 1024;
const GRANTABLE = new Set(['pull', 'push', 'delete', '*']);

/** One account on the token server. */
export interface TokenUser {
  password: string;
  /**
   * Repository-name prefixes this user may pull, push and delete; `*` inside
   * a pattern matches any run of characters (`apps/*-svc`). Default: all.
   */
  repos?: string[];
}

/** Options for `startTokenServer`. */
export interface StartTokenServerOptions {
  /** Accounts by name. Default `{ kodev: { password: 'sekret-pass' } }`. */
  users?: Record<string, TokenUser>;
  /** Give anonymous clients `pull` on every repository. Default false (they get a token with no access). */
  anonymousPull?: boolean;
  /** Token lifetime (`exp` - `iat`, and `expires_in`). Default 300. */
  tokenTtlSeconds?: number;
  /** The `service` the registry names in its challenge and the token's `aud`. Default `kodev-test-registry`. */
  service?: string;
  /** The token's `iss`, which the registry checks. Default `kodev-test-token-server`. */
  issuer?: string;
}

/** One resource and the actions granted (or asked for) on it, as in the JWT `access` claim. */
export interface TokenAccess {
  type: string;
  name: string;
  actions: string[];
}

/** How a token request authenticated. */
export type TokenGrant = 'anonymous' | 'basic' | 'password' | 'refresh_token';

/** A recorded token request; it holds no password and no token. */
export interface TokenRequest {
  method: string;
  path: string;
  grant: TokenGrant;
  /** The user name from Basic auth or the form, if any. */
  account?: string;
  service?: string;
  clientId?: string;
  /** Scopes exactly as asked, e.g. `repository:x/y:pull,push`. */
  scopes: string[];
  /** What the issued token grants (empty when refused or on errors). */
  granted: TokenAccess[];
  status: number;
}

/** A running token server. */
export interface TokenServer {
  /** `http://127.0.0.1:PORT`; the token endpoint is `${url}/token`. */
  url: string;
  service: string;
  issuer: string;
  /** PEM certificate of the signing key, for the registry's `auth.token.rootcertbundle`. */
  certFile: string;
  /** The temp dir holding the key and certificate. */
  dir: string;
  /** Every request so far, in order. */
  requests: TokenRequest[];
  /** Closes the server and removes its dir. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts a token server on 127.0.0.1 with a fresh RSA key and a self-signed
 * certificate made by the openssl CLI.
 */
export async function startTokenServer(options: StartTokenServerOptions = {}): Promise<TokenServer> {
  const users = options.users ?? { kodev: { password: 'sekret-pass' } };
  const service = options.service ?? 'kodev-test-registry';
  const issuer = options.issuer ?? 'kodev-test-token-server';
  const ttl = options.tokenTtlSeconds ?? 300;
  const dir = await mkdtemp(join(tmpdir(), 'kodev-token-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  try {
    await makeKeyAndCert(keyFile, certFile, issuer);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const signer: Signer = {
    key: await readFile(keyFile, 'utf8'),
    x5c: [new X509Certificate(await readFile(certFile)).raw.toString('base64')],
    issuer,
    service,
    ttl,
  };
  const requests: TokenRequest[] = [];
  const refreshTokens = new Map<string, string>();
  const policy: Policy = { users, anonymousPull: options.anonymousPull ?? false };

  const server = createServer((req, res) => {
    handle(req, res, { policy, signer, requests, refreshTokens }).catch((err: unknown) => {
      if (!res.headersSent) reply(res, 500, { errors: [{ code: 'UNKNOWN', message: String(err) }] });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  return { url: `http://127.0.0.1:${port}`, service, issuer, certFile, dir, requests, stop };
}

interface Signer {
  key: string;
  x5c: string[];
  issuer: string;
  service: string;
  ttl: number;
}

interface Policy {
  users: Record<string, TokenUser>;
  anonymousPull: boolean;
}

interface Context {
  policy: Policy;
  signer: Signer;
  requests: TokenRequest[];
  /** refresh token -> user name. */
  refreshTokens: Map<string, string>;
}

/** What a GET query or a POST form asked for, before authorization. */
interface Ask {
  grant: TokenGrant;
  account?: string;
  password?: string;
  service?: string;
  clientId?: string;
  scopes: string[];
  /** Whether the client wants a refresh token. */
  offline: boolean;
}

async function handle(req: IncomingMessage, res: ServerResponse, ctx: Context): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://token.invalid');
  const method = req.method ?? 'GET';
  if (url.pathname !== '/token') {
    reply(res, 404, { errors: [{ code: 'NOT_FOUND', message: `no route ${url.pathname}` }] });
    return;
  }
  let ask: Ask;
  if (method === 'GET') {
    ask = askFromQuery(url.searchParams, req.headers.authorization);
  } else if (method === 'POST') {
    const form = await readForm(req);
    if (form === undefined) {
      reply(res, 413, { error: 'invalid_request', error_description: 'form too large' });
      return;
    }
    ask = askFromForm(form);
  } else {
    res.setHeader('allow', 'GET, POST');
    reply(res, 405, { errors: [{ code: 'UNSUPPORTED', message: `method ${method}` }] });
    return;
  }
  const record: TokenRequest = {
    method,
    path: url.pathname,
    grant: ask.grant,
    ...(ask.account === undefined ? {} : { account: ask.account }),
    ...(ask.service === undefined ? {} : { service: ask.service }),
    ...(ask.clientId === undefined ? {} : { clientId: ask.clientId }),
    scopes: ask.scopes,
    granted: [],
    status: 0,
  };
  ctx.requests.push(record);
  const finish = (status: number, body: unknown): void => {
    record.status = status;
    reply(res, status, body);
  };

  if (ask.service !== undefined && ask.service !== ctx.signer.service) {
    finish(400, { errors: [{ code: 'DENIED', message: `unknown service ${ask.service}` }] });
    return;
  }
  const user = authenticate(ask, ctx);
  if (user === null) {
    res.setHeader('www-authenticate', 'Basic realm="kodev-test-token-server"');
    const message = `invalid credentials for ${ask.account ?? '(unknown)'}`;
    finish(401, { errors: [{ code: 'UNAUTHORIZED', message }], error: 'invalid_grant' });
    return;
  }
  if (user !== undefined) record.account = user.name;
  const granted = ask.scopes.flatMap((scope) => authorize(scope, user, ctx.policy));
  record.granted = granted;
  const now = Math.floor(Date.now() / 1000);
  const token = signJwt(ctx.signer, user?.name ?? '', granted, now);
  const body: Record<string, unknown> = {
    token,
    access_token: token,
    expires_in: ctx.signer.ttl,
    issued_at: new Date(now * 1000).toISOString(),
  };
  if (user !== undefined && (ask.offline || ask.grant === 'password')) {
    const refresh = randomBytes(24).toString('base64url');
    ctx.refreshTokens.set(refresh, user.name);
    body.refresh_token = refresh;
  }
  finish(200, body);
}

function askFromQuery(query: URLSearchParams, authorization: string | undefined): Ask {
  const basic = parseBasic(authorization);
  return {
    grant: basic ? 'basic' : 'anonymous',
    account: basic?.user ?? query.get('account') ?? undefined,
    password: basic?.password,
    service: query.get('service') ?? undefined,
    clientId: query.get('client_id') ?? undefined,
    scopes: splitScopes(query.getAll('scope')),
    offline: query.get('offline_token') === 'true' || query.get('access_type') === 'offline',
  };
}

function askFromForm(form: URLSearchParams): Ask {
  const grantType = form.get('grant_type');
  return {
    grant:
      grantType === 'password' ? 'password' : grantType === 'refresh_token' ? 'refresh_token' : 'anonymous',
    account: form.get('username') ?? undefined,
    // For a refresh_token grant this field carries the refresh token.
    password: (grantType === 'refresh_token' ? form.get('refresh_token') : form.get('password')) ?? undefined,
    service: form.get('service') ?? undefined,
    clientId: form.get('client_id') ?? undefined,
    scopes: splitScopes(form.getAll('scope')),
    offline: form.get('access_type') === 'offline',
  };
}

/**
 * Returns the user for a good credential, undefined for an anonymous request,
 * and null for a bad credential.
 */
function authenticate(ask: Ask, ctx: Context): ({ name: string } & TokenUser) | undefined | null {
  if (ask.grant === 'anonymous') return undefined;
  if (ask.grant === 'refresh_token') {
    const name = ask.password === undefined ? undefined : ctx.refreshTokens.get(ask.password);
    const user = name === undefined ? undefined : ctx.policy.users[name];
    return name !== undefined && user !== undefined ? { name, ...user } : null;
  }
  const name = ask.account ?? '';
  const user = Object.hasOwn(ctx.policy.users, name) ? ctx.policy.users[name] : undefined;
  return user !== undefined && user.password === ask.password ? { name, ...user } : null;
}

/** The part of one requested scope that the policy grants (possibly nothing). */
function authorize(
  scope: string,
  user: ({ name: string } & TokenUser) | undefined,
  policy: Policy,
): TokenAccess[] {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last === first) return [];
  const type = scope.slice(0, first);
  const name = scope.slice(first + 1, last);
  const asked = scope
    .slice(last + 1)
    .split(',')
    .filter(Boolean);
  let allowed: string[] = [];
  if (type === 'repository') {
    if (user === undefined) allowed = policy.anonymousPull ? ['pull'] : [];
    else if (repoAllowed(user.repos, name)) allowed = [...GRANTABLE];
  } else if (type === 'registry' && name === 'catalog' && user !== undefined && user.repos === undefined) {
    allowed = ['*'];
  }
  const actions = asked.filter((action) => allowed.includes(action));
  return actions.length === 0 ? [] : [{ type, name, actions }];
}

function repoAllowed(patterns: string[] | undefined, name: string): boolean {
  if (patterns === undefined) return true;
  return patterns.some((pattern) => {
    const source = pattern.split('*').map(escapeRegExp).join('.*');
    return new RegExp(`^${source}`).test(name);
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** OAuth2 forms put several scopes in one space-separated value. */
function splitScopes(values: string[]): string[] {
  return values.flatMap((value) => value.split(' ')).filter(Boolean);
}

function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function signJwt(signer: Signer, subject: string, access: TokenAccess[], now: number): string {
  const header = { typ: 'JWT', alg: 'RS256', x5c: signer.x5c };
  const claims = {
    iss: signer.issuer,
    sub: subject,
    // distribution 2.8 reads `aud` as a single string.
    aud: signer.service,
    exp: now + signer.ttl,
    nbf: now,
    iat: now,
    jti: randomUUID(),
    access,
  };
  const input = `${base64url(header)}.${base64url(claims)}`;
  const signature = createSign('RSA-SHA256').update(input).sign(signer.key, 'base64url');
  return `${input}.${signature}`;
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Reads to the end even when too large: leaving the loop early would destroy the socket before the 413.
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_FORM_BYTES) chunks.push(chunk);
  }
  return size > MAX_FORM_BYTES ? undefined : new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function makeKeyAndCert(keyFile: string, certFile: string, issuer: string): Promise<void> {
  try {
    await execa(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        `/CN=${issuer}`,
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ],
      { timeout: 60_000 },
    );
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') {
      throw new Error(`openssl is not installed: ${INSTALL_HINT}`, { cause: err });
    }
    throw err;
  }
}
