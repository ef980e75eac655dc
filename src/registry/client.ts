/**
 * A Docker Registry HTTP API v2 / OCI distribution client: manifests and
 * blobs, streaming uploads with cross-repository mounts, every response
 * checked against its digest. Authentication is handled per registry by
 * RegistryAuth; transient failures by the Transport.
 */
import type { Readable } from 'node:stream';
import { UserError } from '../errors.js';
import { sha256Digest } from '../oci/digest.js';
import { MediaType } from '../oci/types.js';
import { verifyingStream } from '../oci/verify-stream.js';
import { type CredentialSource, header, RegistryAuth } from './auth.js';
import { registryBaseUrl } from './reference.js';
import {
  type HttpRequest,
  type HttpResponse,
  RegistryUnavailableError,
  type Transport,
} from './transport.js';

/** Every manifest media type kodev understands, for Accept. */
export const MANIFEST_ACCEPT = [
  MediaType.ociIndex,
  MediaType.dockerManifestList,
  MediaType.ociManifest,
  MediaType.dockerManifest,
].join(', ');

/** A manifest or index as fetched. */
export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

/** How a blob got into the repository. */
export type BlobPushOutcome = 'exists' | 'mounted' | 'uploaded';

/** A blob to push: content opened on demand so an upload can restart. */
export interface PushBlob {
  digest: string;
  size: number;
  open(): Promise<Readable>;
}

/** Options for a client. */
export interface RegistryClientOptions {
  transport: Transport;
  credentials: CredentialSource;
  insecure: boolean;
  log?: (message: string) => void;
  /** Whole-upload restarts after a failed PATCH/PUT (default 3). */
  uploadAttempts?: number;
}

/** A client for one registry host. */
export class RegistryClient {
  readonly baseUrl: string;
  private readonly auth: RegistryAuth;

  constructor(
    readonly registry: string,
    private readonly o: RegistryClientOptions,
  ) {
    this.baseUrl = registryBaseUrl(registry, o.insecure);
    this.auth = new RegistryAuth(registry, this.baseUrl, o.transport, o.credentials);
  }

  /** Fetches a manifest or index by tag or digest and verifies its digest. */
  async getManifest(repo: string, ref: string): Promise<FetchedManifest> {
    const res = await this.call(
      {
        method: 'GET',
        path: `/v2/${repo}/manifests/${ref}`,
        headers: { accept: MANIFEST_ACCEPT },
        followRedirects: true,
      },
      pull(repo),
    );
    if (res.status !== 200) throw await this.failure(res, `GET manifest ${repo}:${ref}`, repo);
    const bytes = Buffer.from(await res.body.arrayBuffer());
    const digest = sha256Digest(bytes);
    const claimed = header(res.headers['docker-content-digest']);
    if (
      (ref.startsWith('sha256:') && digest !== ref) ||
      (claimed?.startsWith('sha256:') && claimed !== digest)
    ) {
      throw new UserError(
        `registry ${this.registry}: manifest ${repo}@${ref} does not match its digest (got ${digest})`,
        {
          hint: 'the registry or a proxy altered the manifest; try again or use another mirror',
        },
      );
    }
    const mediaType =
      (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType ??
      String(res.headers['content-type'] ?? '').split(';')[0] ??
      '';
    return { bytes, mediaType, digest };
  }

  /** True when the repository already has the blob. */
  async blobExists(repo: string, digest: string, scopes: readonly string[] = pull(repo)): Promise<boolean> {
    const res = await this.call(
      { method: 'HEAD', path: `/v2/${repo}/blobs/${digest}`, followRedirects: true },
      scopes,
    );
    if (res.status !== 200 && res.status !== 404)
      throw await this.failure(res, `HEAD blob ${repo}@${digest}`, repo);
    await res.body.dump();
    return res.status === 200;
  }

  /** Opens a blob as a stream that errors at the end if its digest does not match. */
  async openBlob(repo: string, digest: string, size?: number): Promise<Readable> {
    const res = await this.call(
      { method: 'GET', path: `/v2/${repo}/blobs/${digest}`, followRedirects: true },
      pull(repo),
    );
    if (res.status !== 200) throw await this.failure(res, `GET blob ${repo}@${digest}`, repo);
    return res.body.pipe(verifyingStream(digest, size, `registry ${this.registry}: blob ${repo}@${digest}`));
  }

  /**
   * Puts a blob into the repository: nothing if it is there, a mount when
   * `mountFrom` (a repository on this registry) has it, else a streamed
   * upload (POST, PATCH, PUT), restarted from the beginning if it fails.
   */
  async pushBlob(repo: string, blob: PushBlob, mountFrom?: string): Promise<BlobPushOutcome> {
    const scopes = [...push(repo), ...(mountFrom && mountFrom !== repo ? pull(mountFrom) : [])];
    // The same scopes as the upload, so one token serves the whole push.
    if (await this.blobExists(repo, blob.digest, scopes)) return 'exists';
    const attempts = this.o.uploadAttempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.uploadOnce(
          repo,
          blob,
          scopes,
          mountFrom && mountFrom !== repo ? mountFrom : undefined,
        );
      } catch (err) {
        if ((err instanceof UserError && !(err instanceof RegistryUnavailableError)) || attempt >= attempts)
          throw err;
        this.o.log?.(
          `upload of ${blob.digest.slice(0, 19)} to ${this.registry}/${repo} failed (${String((err as Error).message)}); restarting (${attempt}/${attempts - 1})`,
        );
      }
    }
  }

  private async uploadOnce(
    repo: string,
    blob: PushBlob,
    scopes: string[],
    mountFrom?: string,
  ): Promise<BlobPushOutcome> {
    const query = mountFrom
      ? `?mount=${encodeURIComponent(blob.digest)}&from=${encodeURIComponent(mountFrom)}`
      : '';
    const start = await this.call(
      { method: 'POST', path: `/v2/${repo}/blobs/uploads/${query}`, headers: { 'content-length': '0' } },
      scopes,
    );
    if (start.status !== 201 && start.status !== 202)
      throw await this.failure(start, `start upload to ${repo}`, repo);
    await start.body.dump();
    if (start.status === 201) return 'mounted';
    let location = this.location(start);
    const patch = await this.call(
      {
        method: 'PATCH',
        url: location,
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
        body: () => blob.open(),
        retry: false,
      },
      scopes,
    );
    await patch.body.dump();
    if (patch.status !== 202) throw new TransientUploadError(`PATCH ${repo} gave HTTP ${patch.status}`);
    location = this.location(patch);
    const url = new URL(location);
    url.searchParams.set('digest', blob.digest);
    const put = await this.call(
      { method: 'PUT', url: url.toString(), headers: { 'content-length': '0' }, retry: false },
      scopes,
    );
    if (put.status === 201 || put.status === 204) {
      await put.body.dump();
      return 'uploaded';
    }
    if (put.status >= 500 || put.status === 408 || put.status === 429) {
      await put.body.dump();
      throw new TransientUploadError(`PUT ${repo} gave HTTP ${put.status}`);
    }
    throw await this.failure(put, `finish upload of ${blob.digest} to ${repo}`, repo);
  }

  /** Puts a manifest or index under a tag or digest; returns the response headers (e.g. OCI-Subject). */
  async putManifest(
    repo: string,
    ref: string,
    bytes: Buffer,
    mediaType: string,
  ): Promise<Record<string, string | string[] | undefined>> {
    const res = await this.call(
      {
        method: 'PUT',
        path: `/v2/${repo}/manifests/${ref}`,
        headers: { 'content-type': mediaType },
        body: () => bytes,
      },
      push(repo),
    );
    if (res.status !== 201 && res.status !== 200)
      throw await this.failure(
        res,
        `PUT manifest ${repo}${ref.startsWith('sha256:') ? '@' : ':'}${ref}`,
        repo,
      );
    await res.body.dump();
    return res.headers;
  }

  /** True when the registry serves the OCI referrers API (`GET /v2/<repo>/referrers/<digest>`). */
  async supportsReferrers(repo: string, digest: string): Promise<boolean> {
    const res = await this.call(
      { method: 'GET', path: `/v2/${repo}/referrers/${digest}`, headers: { accept: MediaType.ociIndex } },
      pull(repo),
    );
    const type = String(res.headers['content-type'] ?? '');
    await res.body.dump();
    return res.status === 200 && type.includes(MediaType.ociIndex);
  }

  private location(res: HttpResponse): string {
    const loc = header(res.headers.location);
    if (!loc) throw new UserError(`registry ${this.registry}: upload response without a Location header`);
    return new URL(loc, this.baseUrl).toString();
  }

  /** Sends an authenticated request, renewing credentials once on 401 (twice when scopes grow). */
  private async call(
    req: Omit<HttpRequest, 'url'> & { path?: string; url?: string },
    scopes: readonly string[],
  ): Promise<HttpResponse> {
    const url = req.url ?? `${this.baseUrl}${req.path ?? ''}`;
    let want = [...scopes];
    for (let round = 0; ; round++) {
      const auth = await this.auth.header(want);
      const res = await this.o.transport.send({
        ...req,
        url,
        headers: { ...req.headers, ...(auth ? { authorization: auth } : {}) },
      });
      if (res.status !== 401 || round >= 2) return res;
      await res.body.dump();
      want = this.auth.onUnauthorized(header(res.headers['www-authenticate']), want);
    }
  }

  /** Turns an unexpected response into a one-line error naming the registry and what to do. */
  private async failure(res: HttpResponse, what: string, repo: string): Promise<UserError> {
    const type = String(res.headers['content-type'] ?? '');
    let text = '';
    // The body may already be consumed (HEAD, or dumped before a retry); undici throws asynchronously then.
    const body = res.body as typeof res.body & { bodyUsed?: boolean };
    if (!body.bodyUsed && !body.destroyed && !body.readableEnded) text = await body.text().catch(() => '');
    let detail = '';
    if (type.includes('html') || /^\s*<(!doctype|html)/i.test(text))
      detail = 'the registry answered with an HTML page';
    else {
      try {
        const errors = (JSON.parse(text) as { errors?: { code?: string; message?: string }[] }).errors ?? [];
        detail = errors.map((e) => `${e.code ?? ''}${e.message ? `: ${e.message}` : ''}`).join('; ');
      } catch {
        detail = text.slice(0, 200).replace(/\s+/g, ' ').trim();
      }
    }
    const msg = `registry ${this.registry}: ${what} failed with HTTP ${res.status}${detail ? ` (${detail})` : ''}`;
    if (res.status === 401) {
      const who = await this.auth.hasCredential();
      return new UserError(msg, {
        hint: who
          ? `the credentials${who.username ? ` for ${who.username}` : ''} were refused; run kodev login ${this.registry}`
          : `log in first: kodev login ${this.registry} -u USER --password-stdin`,
      });
    }
    if (res.status === 403)
      return new UserError(msg, { hint: `the account may not access ${repo}; check its permissions` });
    if (res.status === 404) return new UserError(msg, { hint: 'check the repository and tag' });
    return new UserError(msg, { hint: 'check the registry, then try again' });
  }
}

/** A failure worth restarting an upload for. */
class TransientUploadError extends Error {
  override name = 'TransientUploadError';
}

function pull(repo: string): string[] {
  return [`repository:${repo}:pull`];
}

function push(repo: string): string[] {
  return [`repository:${repo}:pull,push`];
}
