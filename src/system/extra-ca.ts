/**
 * NODE_EXTRA_CA_CERTS without its start-up cost. Node reads that file, and
 * with it parses every bundled root certificate, before it runs any code:
 * about 60 ms on every start of a short command. The `kodev` launcher
 * (bin/kodev) moves the variable to KODEV_EXTRA_CA_CERTS; `installExtraCa`
 * puts it back for child processes and gives every TLS connection made
 * without its own `ca` the bundled roots plus the file's certificates, which
 * is what Node does with the variable.
 */
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { putBackExtraCaCerts } from './env.js';

let installed = false;

/** Applies a moved NODE_EXTRA_CA_CERTS; call before the first TLS connection. Idempotent. */
export function installExtraCa(env: NodeJS.ProcessEnv = process.env): void {
  if (installed) return;
  const file = putBackExtraCaCerts(env);
  if (file === undefined) return;
  installed = true;
  if (file === '') return;
  let extra: string[];
  try {
    extra = pemCertificates(readFileSync(file, 'utf8'));
  } catch (err) {
    // Node's own words when it cannot read the file.
    process.stderr.write(
      `Warning: Ignoring extra certs from \`${file}\`, load failed: ${(err as Error).message}\n`,
    );
    return;
  }
  if (extra.length === 0) return;
  const ca = [...tls.rootCertificates, ...extra];
  const create = tls.createSecureContext;
  tls.createSecureContext = (options) => create(options?.ca === undefined ? { ...options, ca } : options);
}

/** The PEM certificate blocks of a bundle file. */
export function pemCertificates(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}
