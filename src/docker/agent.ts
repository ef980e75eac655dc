/**
 * The undici Agent that reaches a Docker daemon: over its unix socket, over
 * plain TCP, or over TLS with the client certificate from `DOCKER_CERT_PATH`.
 * Shared by every connection kodev opens to a daemon.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent } from '../system/http.js';
import { UserError } from '../errors.js';
import type { DockerHost } from './host.js';

/** Builds the Agent for `host`; reads ca.pem, cert.pem and key.pem when TLS is on. */
export async function engineAgent(host: DockerHost): Promise<Agent> {
  if (host.socketPath) return new Agent({ connect: { socketPath: host.socketPath } });
  const dir = host.certPath;
  if (dir === undefined) return new Agent();
  const read = async (file: string) => {
    try {
      return await readFile(join(dir, file));
    } catch (err) {
      throw new UserError(
        `DOCKER_CERT_PATH: cannot read ${join(dir, file)} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
        {
          hint: 'DOCKER_TLS_VERIFY is set, so kodev needs ca.pem, cert.pem and key.pem there',
          cause: err,
        },
      );
    }
  };
  const [ca, cert, key] = await Promise.all([read('ca.pem'), read('cert.pem'), read('key.pem')]);
  return new Agent({ connect: { ca, cert, key } });
}
