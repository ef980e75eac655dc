/**
 * Registry authentication: learns the scheme from the `/v2/` challenge, then
 * sends Basic credentials or fetches Bearer tokens (anonymous, Basic, or
 * OAuth2 refresh-token POST with GET fallback), cached per scope set until
 * they expire. Secrets never appear in messages.
 */
import { Buffer } from 'node:buffer';
import { UserError } from '../errors.js';
import { type Challenge, mergeScopes, parseChallenge } from './challenge.js';
import type { Transport } from './transport.js';

/** A registry credential (see credentials.ts for where they come from). */
export type RegistryCredential =
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'identity-token'; username: string; token: string }
  | { kind: 'registry-token'; token: string };

/** Finds the credential for a registry host, if any. */
export type CredentialSource = (registry: string) => Promise<RegistryCredential | undefined>;

interface Token {
  value: string;
  expiresAt: number;
}

type PendingToken = Promise<Token>;

/** Per-registry authentication state. */
export class RegistryAuth {
  private challenge: Challenge | null | undefined;
  private credential: Promise<RegistryCredential | undefined> | undefined;
  // In-flight fetches are shared, so parallel uploads ask the token server once.
  private readonly tokens = new Map<string, { token?: Token; pending?: PendingToken }>();
  private refreshToken: string | undefined;

  constructor(
    private readonly registry: string,
    private readonly baseUrl: string,
    private readonly transport: Transport,
    private readonly credentials: CredentialSource,
    private readonly now: () => number = Date.now,
  ) {}

  /** The Authorization header for requests needing `scopes`, or undefined when none is needed. */
  async header(scopes: readonly string[]): Promise<string | undefined> {
    if (this.challenge === undefined) await this.ping();
    const ch = this.challenge;
    if (!ch) return undefined;
    const cred = await this.cred();
    if (ch.scheme === 'basic') {
      if (cred?.kind === 'basic') return `Basic ${b64(`${cred.username}:${cred.password}`)}`;
      if (cred?.kind === 'identity-token') return `Basic ${b64(`${cred.username}:${cred.token}`)}`;
      return undefined;
    }
    if (ch.scheme !== 'bearer')
      throw new UserError(`registry ${this.registry}: unsupported authentication scheme ${ch.scheme}`);
    if (cred?.kind === 'registry-token') return `Bearer ${cred.token}`;
    const key = mergeScopes(scopes).join(' ');
    const entry = this.tokens.get(key);
    if (entry?.token && entry.token.expiresAt > this.now()) return `Bearer ${entry.token.value}`;
    if (entry?.pending) return `Bearer ${(await entry.pending).value}`;
    const pending = this.fetchToken(mergeScopes(scopes, ch.params.scope ? [ch.params.scope] : []), cred);
    this.tokens.set(key, { pending });
    try {
      const token = await pending;
      this.tokens.set(key, { token });
      return `Bearer ${token.value}`;
    } catch (err) {
      this.tokens.delete(key);
      throw err;
    }
  }

  /**
   * Handles a 401 from the registry: adopts its challenge and returns the
   * scopes to ask for next (merged with any the registry says are missing).
   */
  onUnauthorized(wwwAuthenticate: string | undefined, scopes: readonly string[]): string[] {
    const ch = parseChallenge(wwwAuthenticate);
    if (ch) this.challenge = ch;
    const extra = ch?.params.scope ? [ch.params.scope] : [];
    this.tokens.clear();
    return mergeScopes(scopes, extra);
  }

  /** True when a credential is configured (for error messages). */
  async hasCredential(): Promise<{ username?: string } | undefined> {
    const c = await this.cred();
    if (!c) return undefined;
    return c.kind === 'registry-token' ? {} : { username: c.username };
  }

  private cred(): Promise<RegistryCredential | undefined> {
    this.credential ??= this.credentials(this.registry);
    return this.credential;
  }

  private async ping(): Promise<void> {
    const res = await this.transport.send({ method: 'GET', url: `${this.baseUrl}/v2/` });
    const type = String(res.headers['content-type'] ?? '');
    await res.body.dump();
    if (res.status === 200) {
      this.challenge = null;
      return;
    }
    if (res.status === 401) {
      const ch = parseChallenge(header(res.headers['www-authenticate']));
      if (!ch)
        throw new UserError(
          `registry ${this.registry}: /v2/ asked for authentication without saying how (no WWW-Authenticate)`,
        );
      this.challenge = ch;
      return;
    }
    throw new UserError(
      `registry ${this.registry}: ${type.includes('html') ? 'answered with an HTML page' : 'did not answer like a registry'} (GET /v2/ gave HTTP ${res.status})`,
      {
        hint: 'check the registry host in KO_DOCKER_REPO or the image reference; it must serve the Docker Registry HTTP API v2',
      },
    );
  }

  private async fetchToken(scopes: string[], cred: RegistryCredential | undefined): Promise<Token> {
    const ch = this.challenge as Challenge;
    const realm = ch.params.realm;
    if (!realm) throw new UserError(`registry ${this.registry}: Bearer challenge without a realm`);
    const service = ch.params.service ?? '';
    const refresh = cred?.kind === 'identity-token' ? cred.token : this.refreshToken;
    let res;
    if (refresh) {
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: refresh,
        service,
        client_id: 'kodev',
      });
      if (scopes.length) form.set('scope', scopes.join(' '));
      res = await this.transport.send({
        method: 'POST',
        url: realm,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: () => form.toString(),
      });
      // Token servers without OAuth2 support answer 404/405: fall back to GET.
      if (res.status === 404 || res.status === 405) {
        await res.body.dump();
        res = undefined;
      }
    }
    if (!res) {
      const url = new URL(realm);
      if (service) url.searchParams.set('service', service);
      for (const s of scopes) url.searchParams.append('scope', s);
      const headers: Record<string, string> = {};
      if (cred?.kind === 'basic') headers.authorization = `Basic ${b64(`${cred.username}:${cred.password}`)}`;
      if (cred?.kind === 'identity-token')
        headers.authorization = `Basic ${b64(`${cred.username}:${cred.token}`)}`;
      res = await this.transport.send({ method: 'GET', url: url.toString(), headers });
    }
    const text = await res.body.text();
    if (res.status === 401 || res.status === 403) {
      const who = cred && cred.kind !== 'registry-token' ? ` for user ${cred.username}` : '';
      throw new UserError(
        `registry ${this.registry}: the token server refused the credentials${who} (HTTP ${res.status})`,
        {
          hint: cred
            ? `the username or password is wrong or expired; run kodev login ${this.registry}`
            : `this registry needs credentials; run kodev login ${this.registry}`,
        },
      );
    }
    let body: { token?: string; access_token?: string; expires_in?: number; refresh_token?: string };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new UserError(
        `registry ${this.registry}: the token server at ${new URL(realm).host} answered HTTP ${res.status} without a JSON token`,
        {
          hint: 'check the registry; its token service is not answering as the distribution token spec says',
        },
      );
    }
    const value = body.token ?? body.access_token;
    if (!value || res.status >= 300)
      throw new UserError(
        `registry ${this.registry}: the token server answered HTTP ${res.status} without a token`,
      );
    if (body.refresh_token) this.refreshToken = body.refresh_token;
    // Tokens are renewed 10 s early so a long push never sends an expired one.
    const ttl = Math.max(10, body.expires_in ?? 60);
    return { value, expiresAt: this.now() + (ttl - 10) * 1000 };
  }
}

function b64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}

/** First value of a header that may repeat. */
export function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
