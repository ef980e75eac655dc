/**
 * Docker's credential helper protocol: `docker-credential-<name> get` reads a
 * server URL on stdin and prints `{ServerURL, Username, Secret}`; `store`
 * reads that JSON on stdin. The helper is found on the PATH of the Env passed
 * in. Secrets only ever travel over stdin and stdout, and errors raised here
 * carry no cause, because the underlying command error holds the helper's raw
 * output.
 */
import { ExternalCommandError, UserError } from '../errors.js';
import type { Env } from '../system/env.js';
import { run } from '../system/exec.js';
import type { Credential } from './credentials.js';

/** Where a helper was configured, so messages can say which setting to change. */
export interface HelperOrigin {
  /** The setting, e.g. `credsStore` or `credHelpers["gcr.io"]`. */
  setting: string;
  /** The config file holding it. */
  file: string;
}

/** What the helper calls need from the caller: the environment (its PATH finds the helper). */
export interface HelperContext {
  env: Env;
  signal?: AbortSignal;
}

/** The text helpers print when they hold nothing for a server (docker-credential-helpers' errCredentialsNotFound). */
export const CREDENTIALS_NOT_FOUND = 'credentials not found in native keychain';
/** The Username a helper reports when Secret is an identity token rather than a password. */
export const IDENTITY_TOKEN_USERNAME = '<token>';
const MAX_DETAIL = 500;

/** Asks helper `name` for the credential of `serverUrl`; undefined when it has none. */
export async function helperGet(
  name: string,
  serverUrl: string,
  origin: HelperOrigin,
  ctx: HelperContext,
): Promise<Credential | undefined> {
  const stdout = await runHelper(name, 'get', serverUrl, serverUrl, origin, ctx, []);
  if (stdout === undefined) return undefined;
  const program = programName(name);
  let answer: unknown;
  try {
    answer = JSON.parse(stdout);
  } catch {
    // The output is not repeated: a broken helper may still have printed the secret.
    throw new UserError(
      `credential helper ${program} answered "get" for ${serverUrl} with output that is not JSON`,
      {
        hint: helperHint(program, origin),
      },
    );
  }
  const { Username: username, Secret: secret } = (answer ?? {}) as Record<string, unknown>;
  if (typeof secret !== 'string' || (username !== undefined && typeof username !== 'string')) {
    throw new UserError(
      `credential helper ${program} answered "get" for ${serverUrl} without a string Secret`,
      {
        hint: helperHint(program, origin),
      },
    );
  }
  if (secret === '') return undefined;
  if (username === IDENTITY_TOKEN_USERNAME) return { kind: 'identity-token', username: '', token: secret };
  return { kind: 'basic', username: username ?? '', password: secret };
}

/** Hands `username`/`secret` for `serverUrl` to helper `name` to keep. */
export async function helperStore(
  name: string,
  serverUrl: string,
  username: string,
  secret: string,
  origin: HelperOrigin,
  ctx: HelperContext,
): Promise<void> {
  const input = JSON.stringify({ ServerURL: serverUrl, Username: username, Secret: secret });
  await runHelper(name, 'store', serverUrl, input, origin, ctx, [secret]);
}

/** Runs one helper action; undefined for a `get` the helper answered with "not found". */
async function runHelper(
  name: string,
  action: 'get' | 'store',
  serverUrl: string,
  input: string,
  origin: HelperOrigin,
  ctx: HelperContext,
  secrets: readonly string[],
): Promise<string | undefined> {
  const program = programName(name);
  if (/[/\\]/.test(name) || name === '.' || name === '..') {
    throw new UserError(
      `${origin.file}: ${origin.setting} names helper "${name}", which is not a plain name`,
      {
        hint: 'Use the part after "docker-credential-", e.g. "desktop" or "pass".',
      },
    );
  }
  try {
    const result = await run(program, [action], {
      env: ctx.env,
      input,
      signal: ctx.signal,
      notFound: {
        message: `credential helper ${program} was not found on PATH (configured by ${origin.setting} in ${origin.file})`,
        hint: `Install ${program} and put it on PATH, or remove ${origin.setting} from ${origin.file}.`,
      },
    });
    return result.stdout;
  } catch (err) {
    if (!(err instanceof ExternalCommandError)) throw err;
    if (action === 'get' && err.output.includes(CREDENTIALS_NOT_FOUND)) return undefined;
    const detail = describeOutput(err.output, secrets);
    throw new UserError(
      `credential helper ${program} failed to ${action} credentials for ${serverUrl}${detail}`,
      {
        hint: helperHint(program, origin),
      },
    );
  }
}

function programName(name: string): string {
  return `docker-credential-${name}`;
}

function helperHint(program: string, origin: HelperOrigin): string {
  return `Run \`${program} get\` by hand to see what is wrong, or change ${origin.setting} in ${origin.file}.`;
}

/** The helper's own words, minus any secret it might have echoed (raw, in JSON, or base64), kept short. */
function describeOutput(output: string, secrets: readonly string[]): string {
  let text = output.replace(/("Secret"\s*:\s*)"(?:[^"\\]|\\.)*"/g, '$1"***"');
  for (const secret of secrets.filter((s) => s !== '')) {
    for (const form of [
      secret,
      JSON.stringify(secret).slice(1, -1),
      Buffer.from(secret).toString('base64'),
    ]) {
      text = text.split(form).join('***');
    }
  }
  text = text.trim();
  if (text === '') return '';
  if (text.length > MAX_DETAIL) text = `${text.slice(0, MAX_DETAIL)}...`;
  return `: ${text}`;
}
