/** `kodev login REGISTRY -u USER --password-stdin`: check credentials with the registry, then store them like docker login. */
import { UsageError } from '../errors.js';
import { type Credential, redact, storeCredential } from '../registry/credentials.js';
import { splitRepository } from '../registry/reference.js';
import { Transport } from '../registry/transport.js';
import { verifyLogin } from '../registry/verify-login.js';
import type { CommandContext } from './context.js';

/** Flags of `kodev login`. */
export interface LoginFlags {
  username?: string;
  password?: string;
  passwordStdin: boolean;
  insecureRegistry: boolean;
}

/** Verifies and stores a login; returns where it was stored (never the secret). */
export async function loginCommand(
  registryArg: string,
  flags: LoginFlags,
  ctx: CommandContext,
  readStdin: () => Promise<string>,
): Promise<string> {
  if (!flags.username) throw new UsageError('kodev login needs a user name', { hint: 'pass -u USER' });
  if (flags.password !== undefined && flags.passwordStdin)
    throw new UsageError('--password and --password-stdin cannot be combined', {
      hint: 'use --password-stdin',
    });
  let password = flags.password;
  if (flags.passwordStdin) password = (await readStdin()).replace(/\r?\n$/, '');
  if (!password)
    throw new UsageError('kodev login needs a password', {
      hint: 'pipe it in: echo "$PASSWORD" | kodev login REGISTRY -u USER --password-stdin',
    });
  if (flags.password !== undefined)
    ctx.stderr(
      'WARNING: --password shows the password to other users of this machine; prefer --password-stdin\n',
    );
  // Accept `https://host`, `host` or `host/path` the way docker does.
  const host = registryArg.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  const { registry } = splitRepository(`${host}/x`);
  const cred: Credential = { kind: 'basic', username: flags.username, password };
  const transport = new Transport({ signal: ctx.signal, retries: 2 });
  try {
    await verifyLogin(registry, cred, transport, flags.insecureRegistry);
    const stored = await storeCredential(registry, cred, {
      env: ctx.env,
      homeDir: ctx.homeDir,
      signal: ctx.signal,
    });
    return stored.where;
  } catch (err) {
    // Belt and braces: no message may carry the password, whatever layer wrote it.
    if (err instanceof Error) err.message = redact(err.message, [password, `${flags.username}:${password}`]);
    throw err;
  } finally {
    await transport.close();
  }
}
