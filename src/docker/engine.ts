/**
 * A Docker Engine API client over undici: the one place kodev talks to a
 * Docker daemon, without the docker CLI. The API version is negotiated once
 * from `GET /_ping` and every later call is made under `/v<version>/`.
 */
import type { Readable } from 'node:stream';
import type { Agent, Dispatcher } from 'undici';
import { request } from '../system/http.js';
import { UserError } from '../errors.js';
import type { Env } from '../system/env.js';
import { engineAgent } from './agent.js';
import {
  describeHost,
  type DockerHost,
  type EnginePlatform,
  parseDockerHost,
  platformFromUname,
} from './host.js';
import { parseLoadResponse } from './load-response.js';

/** The newest Engine API version kodev speaks; newer daemons are asked for this one. */
export const MAX_API_VERSION = '1.43';
// What the docker CLI assumes of a daemon that does not say.
const FALLBACK_API_VERSION = '1.24';

/** What `imageInspect` tells about an image the daemon holds. */
export interface EngineImage {
  /** The image ID (`sha256:` of the config with the classic store). */
  Id: string;
  RepoTags: string[];
  Created: string;
}

/** The Docker Engine operations kodev uses. */
export interface EngineClient {
  /** Where the daemon is, for messages. */
  readonly host: DockerHost;
  /** Checks the daemon answers; returns the API version kodev will use. */
  ping(): Promise<{ apiVersion: string }>;
  /** The daemon's platform in GOOS/GOARCH spelling (x86_64 becomes amd64). */
  info(): Promise<EnginePlatform>;
  /** The image with this name or ID, or undefined when the daemon has none. */
  imageInspect(name: string): Promise<EngineImage | undefined>;
  /** Loads a docker-archive; returns what the daemon reports loaded (tags or IDs). */
  loadImage(tar: Readable): Promise<string[]>;
  /** Tags an image (by ID or name) as `repo:tag`. */
  tagImage(id: string, repo: string, tag: string): Promise<void>;
  /** Exports one image as a docker-archive stream (`docker save`). */
  saveImage(name: string): Promise<Readable>;
  /** Closes pooled connections. */
  close(): Promise<void>;
}

/** The daemon answered a request with a failure; names the daemon and the endpoint. */
export class EngineError extends UserError {
  override name = 'EngineError';
  constructor(
    message: string,
    readonly status: number,
    options: { hint?: string; cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

/** Connects (lazily: nothing happens until the first call) to the daemon `DOCKER_HOST` names. */
export function connectEngine(env: Env): EngineClient {
  return new HttpEngineClient(parseDockerHost(env));
}

interface Call {
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Readable;
  /** Loads and saves stream whole images: no time limit on headers or body. */
  long?: boolean;
  /** `/_ping` is the one call made before the version is known. */
  unversioned?: boolean;
}

// Failures that mean nothing is listening at the address (or we may not use it).
const UNREACHABLE = new Set([
  'ENOENT',
  'ECONNREFUSED',
  'EACCES',
  'EPERM',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

class HttpEngineClient implements EngineClient {
  private agent?: Promise<Agent>;
  private version?: Promise<string>;

  constructor(readonly host: DockerHost) {}

  async ping(): Promise<{ apiVersion: string }> {
    return { apiVersion: await this.apiVersion() };
  }

  async info(): Promise<EnginePlatform> {
    const res = await this.call('GET', '/info');
    await this.expect(res, [200], 'GET /info');
    const info = (await res.body.json()) as { OSType?: string; Architecture?: string };
    return platformFromUname(info.OSType ?? 'linux', info.Architecture ?? '');
  }

  async imageInspect(name: string): Promise<EngineImage | undefined> {
    const res = await this.call('GET', `/images/${pathName(name)}/json`);
    if (res.statusCode === 404) {
      await res.body.dump();
      return undefined;
    }
    await this.expect(res, [200], `inspect image ${name}`);
    const image = (await res.body.json()) as Partial<EngineImage>;
    return { Id: image.Id ?? '', RepoTags: image.RepoTags ?? [], Created: image.Created ?? '' };
  }

  async loadImage(tar: Readable): Promise<string[]> {
    const res = await this.call('POST', '/images/load', {
      query: { quiet: '1' },
      headers: { 'content-type': 'application/x-tar' },
      body: tar,
      long: true,
    });
    await this.expect(res, [200], 'load image');
    const { loaded, errors } = parseLoadResponse(await res.body.text());
    if (errors.length > 0) {
      throw new EngineError(
        `Docker daemon at ${this.host.address} could not load the image: ${errors.join('; ')}`,
        res.statusCode,
        { hint: 'the daemon rejected the archive kodev sent; check its free disk space and its log' },
      );
    }
    return loaded;
  }

  async tagImage(id: string, repo: string, tag: string): Promise<void> {
    const res = await this.call('POST', `/images/${pathName(id)}/tag`, { query: { repo, tag } });
    await this.expect(res, [200, 201], `tag ${id} as ${repo}:${tag}`);
    await res.body.dump();
  }

  async saveImage(name: string): Promise<Readable> {
    const res = await this.call('GET', `/images/${pathName(name)}/get`, { long: true });
    if (res.statusCode === 404) {
      await res.body.dump();
      throw new EngineError(`Docker daemon at ${this.host.address} has no image ${name}`, 404, {
        hint: 'build or pull it into that daemon first (`docker images` lists what it has)',
      });
    }
    await this.expect(res, [200], `save image ${name}`);
    return res.body;
  }

  async close(): Promise<void> {
    const agent = await this.agent?.catch(() => undefined);
    await agent?.close();
  }

  private apiVersion(): Promise<string> {
    this.version ??= this.negotiate().catch((err: unknown) => {
      this.version = undefined;
      throw err;
    });
    return this.version;
  }

  private async negotiate(): Promise<string> {
    const res = await this.call('GET', '/_ping', { unversioned: true });
    await this.expect(res, [200], 'GET /_ping');
    await res.body.dump();
    const header = res.headers['api-version'];
    const offered = typeof header === 'string' && /^\d+\.\d+$/.test(header) ? header : FALLBACK_API_VERSION;
    return compareVersions(offered, MAX_API_VERSION) > 0 ? MAX_API_VERSION : offered;
  }

  private async call(method: Dispatcher.HttpMethod, path: string, c: Call = {}) {
    const prefix = c.unversioned ? '' : `/v${await this.apiVersion()}`;
    const query = c.query ? `?${new URLSearchParams(c.query).toString()}` : '';
    const dispatcher = await this.dispatcher();
    try {
      return await request(`${this.host.origin}${prefix}${path}${query}`, {
        method,
        dispatcher,
        ...(c.headers ? { headers: c.headers } : {}),
        ...(c.body ? { body: c.body } : {}),
        ...(c.long ? { headersTimeout: 0, bodyTimeout: 0 } : {}),
      });
    } catch (err) {
      // A failure of the body we were sending (a layer that could not be read) is the real error.
      if (err instanceof UserError) throw err;
      const code = errorCode(err);
      if (UNREACHABLE.has(code)) {
        throw new UserError(`Docker daemon at ${describeHost(this.host)} is not reachable (${code})`, {
          hint:
            code === 'EACCES' || code === 'EPERM'
              ? 'get permission to use the socket (e.g. join the docker group), or set DOCKER_HOST'
              : 'start Docker or set DOCKER_HOST',
          cause: err,
        });
      }
      throw new UserError(
        `Docker daemon at ${this.host.address}: ${method} ${path} failed: ${code || String(err)}`,
        { hint: 'check that the daemon is running and healthy, then try again', cause: err },
      );
    }
  }

  /** Throws an EngineError carrying the daemon's message unless the status is one of `ok`. */
  private async expect(res: Dispatcher.ResponseData, ok: number[], what: string): Promise<void> {
    if (ok.includes(res.statusCode)) return;
    const text = (await res.body.text().catch(() => '')).trim();
    let message = text.slice(0, 500);
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      // Not JSON: keep the text.
    }
    throw new EngineError(
      `Docker daemon at ${this.host.address}: ${what}: HTTP ${res.statusCode}${message ? `: ${message}` : ''}`,
      res.statusCode,
    );
  }

  private dispatcher(): Promise<Agent> {
    this.agent ??= engineAgent(this.host);
    return this.agent;
  }
}

/** A name or ID as a path segment; `/`, `:` and `@` stay readable as the daemon routes them. */
function pathName(name: string): string {
  return encodeURIComponent(name).replace(/%2F/gi, '/').replace(/%3A/gi, ':').replace(/%40/g, '@');
}

function compareVersions(a: string, b: string): number {
  const [a1 = 0, a2 = 0] = a.split('.').map(Number);
  const [b1 = 0, b2 = 0] = b.split('.').map(Number);
  return a1 - b1 || a2 - b2;
}

function errorCode(err: unknown): string {
  const e = err as { code?: string; cause?: { code?: string } };
  return e?.code ?? e?.cause?.code ?? '';
}
