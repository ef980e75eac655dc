/**
 * A TLS server whose certificate kodev does not trust is reported as exactly
 * that, with what to do, not as an unreachable registry (and not retried).
 * The server is the test cluster's API server: a real TLS endpoint on
 * loopback whose certificate is signed by the cluster's own CA.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { UserError } from '../../src/errors.js';
import { RegistryUnavailableError, Transport } from '../../src/registry/transport.js';

const cluster = inject('cluster');

describe('registry transport over TLS', () => {
  it('names an untrusted certificate and says how to trust it', async () => {
    const config = parse(await readFile(cluster.kubeconfig, 'utf8')) as {
      clusters: { cluster: { server: string } }[];
    };
    const server = new URL(config.clusters[0]?.cluster.server ?? '');
    const transport = new Transport({ retries: 2, backoffMs: 1 });
    const failure = await transport.send({ method: 'GET', url: `${server.origin}/v2/` }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(UserError);
    expect(failure).not.toBeInstanceOf(RegistryUnavailableError);
    const err = failure as UserError;
    expect(err.message).toBe(
      `registry ${server.host}: its TLS certificate is not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE)`,
    );
    expect(err.hint).toBe('add the issuing CA to NODE_EXTRA_CA_CERTS (a PEM file) so kodev trusts it');
    await transport.close();
  });
});
