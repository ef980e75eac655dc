/**
 * Docker's `config.json` and podman's `auth.json`: where they live, how they
 * are parsed, which entry applies to a registry, and the atomic write used by
 * `storeCredential`. These files hold secrets, so no error raised here ever
 * quotes their contents: only the file name, a line and column, and key names.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, realpath, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { Env } from '../system/env.js';
import type { Credential } from './credentials.js';

/** One `auths` entry, field names as Docker writes them (matched case-insensitively, like Go's JSON). */
export interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** A parsed auth file: the fields kodev uses, plus the whole object so a rewrite keeps every other key. */
export interface AuthFile {
  file: string;
  auths: Readonly<Record<string, AuthEntry>>;
  credHelpers: Readonly<Record<string, string>>;
  credsStore: string | undefined;
  raw: Readonly<Record<string, unknown>>;
}

/** The key Docker uses for Docker Hub in `auths`, for historical reasons. */
export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';
const DOCKER_HUB_HOSTS: ReadonlySet<string> = new Set([
  'index.docker.io',
  'docker.io',
  'registry-1.docker.io',
]);
const ENTRY_FIELDS = ['auth', 'username', 'password', 'identitytoken', 'registrytoken'] as const;

/** `$DOCKER_CONFIG/config.json` when DOCKER_CONFIG is set, else `<home>/.docker/config.json` (Docker's rule). */
export function dockerConfigPath(env: Env, homeDir: string): string {
  const dir = env.DOCKER_CONFIG ? env.DOCKER_CONFIG : path.join(homeDir, '.docker');
  return path.join(dir, 'config.json');
}

/**
 * Podman's auth files in lookup order: `$REGISTRY_AUTH_FILE` alone when set;
 * otherwise `$XDG_RUNTIME_DIR/containers/auth.json` (when XDG_RUNTIME_DIR is
 * set) and then `$XDG_CONFIG_HOME/containers/auth.json`, defaulting to
 * `<home>/.config/containers/auth.json`, as containers/image reads them.
 */
export function podmanAuthPaths(env: Env, homeDir: string): string[] {
  if (env.REGISTRY_AUTH_FILE) return [env.REGISTRY_AUTH_FILE];
  const paths: string[] = [];
  if (env.XDG_RUNTIME_DIR) paths.push(path.join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
  const configHome = env.XDG_CONFIG_HOME ? env.XDG_CONFIG_HOME : path.join(homeDir, '.config');
  paths.push(path.join(configHome, 'containers', 'auth.json'));
  return paths;
}

/** Strips a scheme and any path, so `https://host:5000/v1/` and `host:5000` compare equal. */
export function registryHost(registry: string): string {
  const bare = registry.replace(/^https?:\/\//, '');
  const slash = bare.indexOf('/');
  return slash === -1 ? bare : bare.slice(0, slash);
}

/** True for the host names Docker Hub goes by. */
export function isDockerHub(host: string): boolean {
  return DOCKER_HUB_HOSTS.has(host);
}

/** The key `docker login` writes for a registry: the Hub's legacy URL, else the bare host. */
export function dockerKey(host: string): string {
  return isDockerHub(host) ? DOCKER_HUB_KEY : host;
}

/**
 * Finds the value for a registry in a Docker-style map (`auths` or
 * `credHelpers`): first the exact spellings Docker has written over the years,
 * in a fixed order, then any key whose host part names the same registry.
 */
export function lookupDockerKey<T>(
  map: Readonly<Record<string, T>>,
  host: string,
): { key: string; value: T } | undefined {
  const hosts = isDockerHub(host) ? [...DOCKER_HUB_HOSTS] : [host];
  const spellings = isDockerHub(host) ? [DOCKER_HUB_KEY] : [];
  for (const h of hosts) {
    spellings.push(h, `https://${h}`, `http://${h}`, `https://${h}/v1/`, `http://${h}/v1/`, `${h}/v1/`);
  }
  for (const key of spellings) {
    if (Object.hasOwn(map, key)) return { key, value: map[key] as T };
  }
  const wanted = sameRegistry(host);
  for (const [key, value] of Object.entries(map)) {
    if (wanted(registryHost(key))) return { key, value };
  }
  return undefined;
}

/**
 * Finds the podman `auths` entry for a registry, most specific first: for
 * repository `team/app` on `reg.io` it tries `reg.io/team/app`, `reg.io/team`,
 * then `reg.io` (and legacy URL keys for that host). Docker Hub is `docker.io`
 * there, and a one-segment Hub repository is under `library/`.
 */
export function lookupPodmanKey(
  auths: Readonly<Record<string, AuthEntry>>,
  host: string,
  repository: string | undefined,
): { key: string; value: AuthEntry } | undefined {
  const podmanHost = isDockerHub(host) ? 'docker.io' : host;
  let segments = repository ? repository.split('/').filter((s) => s.length > 0) : [];
  if (isDockerHub(host) && segments.length === 1) segments = ['library', ...segments];
  for (let n = segments.length; n > 0; n--) {
    const key = `${podmanHost}/${segments.slice(0, n).join('/')}`;
    if (Object.hasOwn(auths, key)) return { key, value: auths[key] as AuthEntry };
  }
  if (Object.hasOwn(auths, podmanHost)) return { key: podmanHost, value: auths[podmanHost] as AuthEntry };
  // Only URL-shaped keys are legacy host keys; a bare `host/ns` key is namespace-scoped.
  const wanted = sameRegistry(host);
  for (const [key, value] of Object.entries(auths)) {
    if (/^https?:\/\//.test(key) && wanted(registryHost(key))) return { key, value };
  }
  return undefined;
}

function sameRegistry(host: string): (candidate: string) => boolean {
  return isDockerHub(host) ? isDockerHub : (candidate) => candidate === host;
}

/**
 * Turns an `auths` entry into a credential, with go-containerregistry's
 * precedence: registry token, then identity token, then basic. `auth`
 * (base64 `user:password`) replaces `username`/`password` when present, as in
 * Docker. An entry with none of these (a helper's `{}` placeholder) gives undefined.
 */
export function entryCredential(entry: AuthEntry, file: string, key: string): Credential | undefined {
  let username = entry.username ?? '';
  let password = entry.password ?? '';
  if (entry.auth) {
    const decoded = decodeAuth(entry.auth);
    if (decoded === undefined) {
      throw new UserError(`${file}: auths["${key}"].auth is not base64 of "user:password"`, {
        hint: `Log in to ${key} again to rewrite the entry; its value is not shown because it is a secret.`,
      });
    }
    [username, password] = decoded;
  }
  if (entry.registrytoken) return { kind: 'registry-token', token: entry.registrytoken };
  if (entry.identitytoken) return { kind: 'identity-token', username, token: entry.identitytoken };
  if (username || password) return { kind: 'basic', username, password };
  return undefined;
}

function decodeAuth(auth: string): [string, string] | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(auth) || auth.length % 4 === 1) return undefined;
  const text = Buffer.from(auth, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon === -1) return undefined;
  return [text.slice(0, colon), text.slice(colon + 1).replace(/\0+$/, '')];
}

/** Reads and validates an auth file; undefined when it does not exist. */
export async function readAuthFile(file: string): Promise<AuthFile | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new UserError(`cannot read ${file} (${code ?? 'unknown error'})`, {
      hint: 'Check that the file is readable by you, or point DOCKER_CONFIG / REGISTRY_AUTH_FILE elsewhere.',
      cause: err,
    });
  }
  return parseAuthFile(text, file);
}

/**
 * Parses the text of an auth file. Pure; `file` is only used in messages.
 * JSON.parse's own message is never passed on, because V8 quotes the text
 * around the mistake, and that text can be a password.
 */
export function parseAuthFile(text: string, file: string): AuthFile {
  const hint = `Fix the JSON in ${file}, or move the file away and log in again. Its contents are not shown because they may hold credentials.`;
  let raw: unknown = {};
  // Docker accepts an empty file as an empty config.
  if (text.trim() !== '') {
    try {
      raw = JSON.parse(text);
    } catch (err) {
      const position = /at position (\d+)/.exec((err as Error).message);
      const where = position ? `${file}:${lineAndColumn(text, Number(position[1]))}` : file;
      throw new UserError(`${where}: invalid JSON`, { hint });
    }
  }
  if (!isObject(raw)) throw new UserError(`${file}: expected a JSON object at the top level`, { hint });

  const auths: Record<string, AuthEntry> = {};
  const rawAuths = raw.auths ?? {};
  if (!isObject(rawAuths)) throw new UserError(`${file}: "auths" must be an object`, { hint });
  for (const [key, value] of Object.entries(rawAuths)) {
    if (!isObject(value)) throw new UserError(`${file}: auths["${key}"] must be an object`, { hint });
    auths[key] = toEntry(value, file, key, hint);
  }

  const credHelpers: Record<string, string> = {};
  const rawHelpers = raw.credHelpers ?? {};
  if (!isObject(rawHelpers)) throw new UserError(`${file}: "credHelpers" must be an object`, { hint });
  for (const [key, value] of Object.entries(rawHelpers)) {
    if (typeof value !== 'string') {
      throw new UserError(`${file}: credHelpers["${key}"] must be a string`, { hint });
    }
    if (value !== '') credHelpers[key] = value;
  }

  const credsStore = raw.credsStore ?? '';
  if (typeof credsStore !== 'string') throw new UserError(`${file}: "credsStore" must be a string`, { hint });
  return { file, auths, credHelpers, credsStore: credsStore === '' ? undefined : credsStore, raw };
}

function toEntry(value: Record<string, unknown>, file: string, key: string, hint: string): AuthEntry {
  const entry: AuthEntry = {};
  for (const [field, fieldValue] of Object.entries(value)) {
    const name = ENTRY_FIELDS.find((f) => f === field.toLowerCase());
    if (name === undefined || fieldValue === null) continue;
    if (typeof fieldValue !== 'string') {
      throw new UserError(`${file}: auths["${key}"].${field} must be a string`, { hint });
    }
    entry[name] = fieldValue;
  }
  return entry;
}

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position).split('\n');
  return `${before.length}:${(before.at(-1)?.length ?? 0) + 1}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Sets `auths[key]` in a Docker config file and writes it back atomically
 * (temp file in the same directory, then rename) with mode 0600, keeping every
 * other key. Creates the directory (0700) when missing; follows a symlinked
 * config file, as Docker does, so the link itself survives.
 */
export async function writeAuthEntry(
  file: string,
  existing: AuthFile | undefined,
  key: string,
  entry: AuthEntry,
): Promise<void> {
  const raw = existing?.raw ?? {};
  const oldAuths = isObject(raw.auths) ? raw.auths : {};
  const updated = { ...raw, auths: { ...oldAuths, [key]: entry } };
  const target = await realpath(file).catch(() => file);
  const dir = path.dirname(target);
  const temp = path.join(dir, `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(JSON.stringify(updated, null, '\t'));
      await handle.sync();
    } finally {
      await handle.close();
    }
    // open()'s mode passes through the umask; set it exactly.
    await chmod(temp, 0o600);
    await rename(temp, target);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw new UserError(
      `cannot write ${target} (${(err as NodeJS.ErrnoException).code ?? 'unknown error'})`,
      {
        hint: 'Check that the directory is writable by you, or set DOCKER_CONFIG to a writable directory.',
        cause: err,
      },
    );
  }
}
