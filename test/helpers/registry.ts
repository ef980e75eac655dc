/**
 * Starts a real container registry for tests: Debian's docker-registry
 * (CNCF distribution 2.8) on 127.0.0.1, with its own config, storage and log
 * in a temp dir, open or behind htpasswd (bcrypt) or token authentication.
 *
 * What distribution 2.8 supports, as seen by these helpers' tests and by hand:
 * - Docker schema 2 manifests and manifest lists, OCI image manifests and OCI
 *   image indexes (an OCI manifest's `subject` and `artifactType` are stored
 *   as they are, with any config media type).
 * - No OCI referrers API (`GET /v2/<name>/referrers/<digest>` is a plain 404).
 * - Strict Accept handling: an OCI manifest or index is served only when the
 *   request's Accept names its media type; otherwise 404 MANIFEST_UNKNOWN
 *   ("OCI manifest found, but accept header does not support OCI manifests"),
 *   even by digest and even for a wildcard Accept. It never converts.
 * - Docker-Content-Digest on manifest GET/HEAD/PUT and blob HEAD/GET/PUT, and
 *   on a successful cross-repo mount (`POST .../blobs/uploads/?mount=&from=`,
 *   201 with Location).
 * - Absolute Location headers built from the request's Host.
 * - No tag-list pagination (`?n=` is ignored) and no DELETE by tag (only by
 *   digest, with `storage.delete.enabled`).
 * - A PUT whose Content-Type is application/x-www-form-urlencoded has its body
 *   eaten by Go's form parsing (DIGEST_INVALID): send application/octet-stream.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { logTail, requireExecutable, supervise } from './processes.js';
import { stringify } from 'yaml';
import type { TokenServer } from './token-server.js';

/** Debian's registry binary (package docker-registry). */
export const REGISTRY_BIN = '/usr/bin/docker-registry';

/** Apache's htpasswd (package apache2-utils), used to write bcrypt password files. */
export const HTPASSWD_BIN = '/usr/bin/htpasswd';

/** The account a registry with authentication has unless `users` says otherwise. */
export const DEFAULT_USERS: Readonly<Record<string, string>> = { kodev: 'sekret-pass' };

const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 10_000;
const START_ATTEMPTS = 3;

/** Options for `startRegistry`. */
export interface StartRegistryOptions {
  /** Default `none`. */
  auth?: 'none' | 'htpasswd' | 'token';
  /** htpasswd accounts, user -> password. Default `{ kodev: 'sekret-pass' }`. */
  users?: Record<string, string>;
  /** Required for `token`: the server whose tokens the registry accepts. */
  tokenServer?: Pick<TokenServer, 'url' | 'service' | 'issuer' | 'certFile'>;
}

/** A running registry. */
export interface Registry {
  /** `127.0.0.1:PORT`, for image references. */
  host: string;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** The temp dir holding config.yml, storage, the htpasswd file and the log. */
  dir: string;
  /** The registry's combined stdout and stderr. */
  logFile: string;
  /** Stops the registry (SIGTERM, then SIGKILL after a bound) and removes its dir. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts a registry and waits until `GET /v2/` answers 200 or 401; on failure
 * cleans up and throws an error carrying the tail of the registry's log.
 */
export async function startRegistry(options: StartRegistryOptions = {}): Promise<Registry> {
  await requireExecutable(REGISTRY_BIN);
  const dir = await mkdtemp(join(tmpdir(), 'kodev-registry-'));
  try {
    const auth = await authConfig(dir, options);
    await mkdir(join(dir, 'storage'));
    // The port is free when probed but may be taken before the registry binds it.
    for (let attempt = 1; ; attempt++) {
      const started = await startOnce(dir, auth);
      if (started.ok) return started.registry;
      if (!started.portTaken || attempt >= START_ATTEMPTS) throw new Error(started.message);
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

type StartResult = { ok: true; registry: Registry } | { ok: false; portTaken: boolean; message: string };

async function startOnce(dir: string, auth: Record<string, unknown> | undefined): Promise<StartResult> {
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const url = `http://${host}`;
  const logFile = join(dir, 'registry.log');
  const configFile = join(dir, 'config.yml');
  const config = {
    version: '0.1',
    log: { level: 'info', formatter: 'text' },
    storage: {
      filesystem: { rootdirectory: join(dir, 'storage') },
      delete: { enabled: true },
      // The purger only adds a goroutine and log noise to a short-lived registry.
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: { addr: host, secret: `kodev-test-${port}` },
    ...(auth === undefined ? {} : { auth }),
  };
  await writeFile(configFile, stringify(config));
  await writeFile(logFile, '');
  const child = execa(REGISTRY_BIN, ['serve', configFile], {
    stdin: 'ignore',
    stdout: { file: logFile, append: true },
    stderr: { file: logFile, append: true },
    // REGISTRY_* variables would override the config file.
    extendEnv: false,
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    reject: false,
    // Kill the registry if the test runner exits without calling stop().
    cleanup: true,
  });
  const proc = supervise(child);
  const exit = proc.exit;

  let stopping: Promise<void> | undefined;
  const kill = () => proc.terminate(STOP_GRACE_MS);
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await kill();
      await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    })();
    return stopping;
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError = '';
  for (;;) {
    if (proc.exited()) {
      const log = await logTail(logFile, 'docker-registry');
      const { exitCode } = await exit;
      return {
        ok: false,
        portTaken: log.includes('address already in use'),
        message: `docker-registry exited before it was ready (exit code ${exitCode ?? 'none'}).\nLast lines of its log:\n${log}`,
      };
    }
    const status = await probe(`${url}/v2/`).catch((err: unknown) => {
      lastError = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : '';
      return 0;
    });
    if (status === 200 || status === 401) return { ok: true, registry: { host, url, dir, logFile, stop } };
    if (status !== 0) lastError = `GET /v2/ answered ${status}`;
    if (Date.now() > deadline) {
      await kill();
      const log = await logTail(logFile, 'docker-registry');
      return {
        ok: false,
        portTaken: false,
        message:
          `docker-registry did not answer GET ${url}/v2/ within ${READY_TIMEOUT_MS} ms.\n` +
          `Last probe error: ${lastError}\nLast lines of its log:\n${log}`,
      };
    }
    await sleep(100);
  }
}

/** The `auth` section of the config, writing the htpasswd file when needed. */
async function authConfig(
  dir: string,
  options: StartRegistryOptions,
): Promise<Record<string, unknown> | undefined> {
  const mode = options.auth ?? 'none';
  if (mode === 'none') return undefined;
  if (mode === 'htpasswd') {
    await requireExecutable(HTPASSWD_BIN);
    const lines: string[] = [];
    for (const [user, password] of Object.entries(options.users ?? DEFAULT_USERS)) {
      // -B bcrypt (the only scheme distribution accepts), -b password from argv, -n print.
      const { stdout } = await execa(HTPASSWD_BIN, ['-Bbn', user, password], { timeout: 30_000 });
      lines.push(stdout.trim());
    }
    const path = join(dir, 'htpasswd');
    await writeFile(path, `${lines.join('\n')}\n`);
    return { htpasswd: { realm: 'kodev-test-registry', path } };
  }
  const server = options.tokenServer;
  if (server === undefined) throw new Error("startRegistry: auth 'token' needs a tokenServer");
  return {
    token: {
      realm: `${server.url}/token`,
      service: server.service,
      issuer: server.issuer,
      rootcertbundle: server.certFile,
    },
  };
}

/** Binds 127.0.0.1:0 and returns the port the kernel picked, after closing it. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function probe(url: string): Promise<number> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  await response.body?.cancel();
  return response.status;
}
