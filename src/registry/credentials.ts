/**
 * Registry credentials, found the way ko finds them (go-containerregistry's
 * DefaultKeychain plus its GitHub keychain) and stored the way `docker login`
 * stores them, so kodev, ko, docker and podman share one login.
 *
 * Lookup order for a registry:
 *   1. Docker's config file (`$DOCKER_CONFIG/config.json`, else
 *      `<home>/.docker/config.json`): the helper in `credHelpers[registry]`,
 *      then the `credsStore` helper, then the inline `auths[registry]` entry.
 *      A helper that answers "not found" passes on to the next source.
 *   2. Podman's auth file(s) (see `podmanAuthPaths`), most specific
 *      `host/namespace` key first when a repository is given.
 *   3. For `ghcr.io` only, `$GITHUB_TOKEN` (see `fromGitHubToken`).
 * Two deliberate widenings, which only turn "anonymous" into a credential:
 * Docker stops at the first applicable helper even when it has nothing, and
 * go-containerregistry reads podman's file only when no Docker config exists.
 */
import { UserError } from '../errors.js';
import type { Env } from '../system/env.js';
import {
  type AuthEntry,
  type AuthFile,
  dockerConfigPath,
  dockerKey,
  entryCredential,
  lookupDockerKey,
  lookupPodmanKey,
  podmanAuthPaths,
  readAuthFile,
  registryHost,
  writeAuthEntry,
} from './auth-files.js';
import { type HelperOrigin, helperGet, helperStore, IDENTITY_TOKEN_USERNAME } from './credential-helper.js';

/** A registry credential: a password, an OAuth2 refresh ("identity") token, or a bearer token to send as is. */
export type Credential =
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'identity-token'; username: string; token: string }
  | { kind: 'registry-token'; token: string };

/** What credential lookups read: the environment as data (its PATH finds helpers) and the home directory. */
export interface CredentialContext {
  env: Env;
  homeDir: string;
  signal?: AbortSignal;
}

/** Narrows a lookup to one repository, for auth files keyed by `host/namespace`. */
export interface ResolveOptions {
  /** The repository path within the registry, without the host, e.g. `team/app`. */
  repository?: string;
}

/** Where `storeCredential` put a credential: a file path or a helper program name, never the secret. */
export interface StoredCredential {
  where: string;
}

/**
 * Finds the credential for `registry` (a host such as `ghcr.io` or
 * `localhost:5000`; a URL is reduced to its host). Undefined means anonymous.
 */
export async function resolveCredential(
  registry: string,
  ctx: CredentialContext,
  options: ResolveOptions = {},
): Promise<Credential | undefined> {
  const host = registryHost(registry);
  return (
    (await fromDockerConfig(host, ctx)) ??
    (await fromPodmanAuthFiles(host, options.repository, ctx)) ??
    fromGitHubToken(host, ctx.env)
  );
}

async function fromDockerConfig(host: string, ctx: CredentialContext): Promise<Credential | undefined> {
  const config = await readAuthFile(dockerConfigPath(ctx.env, ctx.homeDir));
  if (config === undefined) return undefined;
  const serverUrl = dockerKey(host);
  for (const { name, origin } of applicableHelpers(config, host)) {
    const found = await helperGet(name, serverUrl, origin, ctx);
    if (found) return found;
  }
  const entry = lookupDockerKey(config.auths, host);
  return entry && entryCredential(entry.value, config.file, entry.key);
}

async function fromPodmanAuthFiles(
  host: string,
  repository: string | undefined,
  ctx: CredentialContext,
): Promise<Credential | undefined> {
  for (const file of podmanAuthPaths(ctx.env, ctx.homeDir)) {
    const auth = await readAuthFile(file);
    const entry = auth && lookupPodmanKey(auth.auths, host, repository);
    const found = entry && entryCredential(entry.value, file, entry.key);
    if (found) return found;
  }
  return undefined;
}

/**
 * `$GITHUB_TOKEN` as basic auth for `ghcr.io`, as go-containerregistry's
 * GitHub keychain (which ko uses) does: the user is `$GITHUB_ACTOR`, else the
 * literal `unset`. GHCR checks only the token, so the name is informational;
 * matching ko keeps registry logs identical between the two tools.
 */
function fromGitHubToken(host: string, env: Env): Credential | undefined {
  if (host !== 'ghcr.io' || !env.GITHUB_TOKEN) return undefined;
  return { kind: 'basic', username: env.GITHUB_ACTOR || 'unset', password: env.GITHUB_TOKEN };
}

/** The helpers to ask, most specific first: `credHelpers[registry]`, then `credsStore`. */
function applicableHelpers(config: AuthFile, host: string): { name: string; origin: HelperOrigin }[] {
  const helpers: { name: string; origin: HelperOrigin }[] = [];
  const specific = lookupDockerKey(config.credHelpers, host);
  if (specific) {
    const setting = `credHelpers[${JSON.stringify(specific.key)}]`;
    helpers.push({ name: specific.value, origin: { setting, file: config.file } });
  }
  if (config.credsStore) {
    helpers.push({ name: config.credsStore, origin: { setting: 'credsStore', file: config.file } });
  }
  return helpers;
}

/**
 * Saves a credential like `docker login`: into the helper that applies
 * (`credHelpers[registry]`, else `credsStore`), leaving Docker's empty
 * `auths[registry]` placeholder in the config file; otherwise as
 * `auths[registry]` in the config file itself (mode 0600, other keys kept).
 */
export async function storeCredential(
  registry: string,
  cred: Credential,
  ctx: CredentialContext,
): Promise<StoredCredential> {
  const host = registryHost(registry);
  const file = dockerConfigPath(ctx.env, ctx.homeDir);
  const config = await readAuthFile(file);
  const key = dockerKey(host);
  const helper = config && applicableHelpers(config, host)[0];
  if (helper) {
    if (cred.kind === 'registry-token') {
      throw new UserError(
        `credential helper docker-credential-${helper.name} cannot store a registry token`,
        {
          hint: `Docker's helper protocol holds only a user name and a secret; remove ${helper.origin.setting} from ${file} to keep the token in the file instead.`,
        },
      );
    }
    const [username, secret] =
      cred.kind === 'basic' ? [cred.username, cred.password] : [IDENTITY_TOKEN_USERNAME, cred.token];
    await helperStore(helper.name, key, username, secret, helper.origin, ctx);
    // Docker lists logins from `auths`; the placeholder also drops any stale inline secret.
    await writeAuthEntry(file, config, key, {});
    return { where: `docker-credential-${helper.name}` };
  }
  await writeAuthEntry(file, config, key, fileEntry(cred));
  return { where: file };
}

function fileEntry(cred: Credential): AuthEntry {
  switch (cred.kind) {
    case 'basic':
      return { auth: base64(`${cred.username}:${cred.password}`) };
    case 'identity-token':
      // Docker omits `auth` when there is no user name to keep.
      return cred.username
        ? { auth: base64(`${cred.username}:`), identitytoken: cred.token }
        : { identitytoken: cred.token };
    case 'registry-token':
      return { registrytoken: cred.token };
  }
}

/** The strings `redact` should hide for a credential, including the `user:password` pair. */
export function credentialSecrets(cred: Credential): string[] {
  return cred.kind === 'basic' ? [cred.password, `${cred.username}:${cred.password}`] : [cred.token];
}

/**
 * Replaces every secret in `text` with `***`, in the forms it travels in:
 * as is, JSON-escaped, and base64 (padded, unpadded, URL-safe), so a
 * `user:password` pair (see `credentialSecrets`) is hidden in its `auth`
 * header/config form too. Longer secrets go first so one secret inside
 * another cannot leave a fragment behind. Empty secrets are ignored.
 */
export function redact(text: string, secrets: readonly string[]): string {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret === '') continue;
    const b64 = base64(secret);
    for (const form of [secret, JSON.stringify(secret).slice(1, -1), b64, b64.replace(/=+$/, '')]) {
      forms.add(form);
    }
    forms.add(Buffer.from(secret, 'utf8').toString('base64url'));
  }
  let result = text;
  for (const form of [...forms].sort((a, b) => b.length - a.length)) {
    if (form !== '') result = result.split(form).join('***');
  }
  return result;
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
