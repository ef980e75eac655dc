/** Checks a credential against a registry before it is stored, as `docker login` does. */
import { UserError } from '../errors.js';
import { RegistryAuth } from './auth.js';
import type { Credential } from './credentials.js';
import { registryBaseUrl } from './reference.js';
import type { Transport } from './transport.js';

/** Resolves when the registry accepts the credential; throws a UserError naming the registry otherwise. */
export async function verifyLogin(
  registry: string,
  cred: Credential,
  transport: Transport,
  insecure: boolean,
): Promise<void> {
  const baseUrl = registryBaseUrl(registry, insecure);
  const auth = new RegistryAuth(registry, baseUrl, transport, async () => cred);
  const authorization = await auth.header([]);
  const res = await transport.send({
    method: 'GET',
    url: `${baseUrl}/v2/`,
    headers: authorization ? { authorization } : {},
  });
  await res.body.dump();
  if (res.status === 200) return;
  if (res.status === 401 || res.status === 403) {
    const who = cred.kind === 'registry-token' ? '' : ` for user ${cred.username}`;
    throw new UserError(
      `registry ${registry}: login failed: the credentials${who} were refused (HTTP ${res.status})`,
      {
        hint: 'check the user name and password (or token) and try again',
      },
    );
  }
  throw new UserError(`registry ${registry}: login check GET /v2/ answered HTTP ${res.status}`, {
    hint: 'check the registry address',
  });
}
