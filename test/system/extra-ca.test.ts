/**
 * The moved NODE_EXTRA_CA_CERTS (src/system/extra-ca.ts): the variable goes
 * back for child processes, a file that cannot be read is reported as Node
 * reports it, and bundles are split into their certificates. The TLS effect
 * itself is checked against the real API server in launcher.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { pemCertificates } from '../../src/system/extra-ca.js';
import { REPO_ROOT } from '../helpers/kodev.js';

const cert = (body: string) => `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----`;

describe('pemCertificates', () => {
  it('splits a bundle into its certificates and ignores everything else', () => {
    const bundle = `# a comment\n${cert('AAAA')}\nnoise\n${cert('BBBB\nCCCC')}\n-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n`;
    expect(pemCertificates(bundle)).toEqual([cert('AAAA'), cert('BBBB\nCCCC')]);
    expect(pemCertificates('')).toEqual([]);
  });
});

describe('installExtraCa', () => {
  /** Runs the built installExtraCa in a fresh Node (it patches the process once) and reports what it left. */
  function inChild(env: Record<string, string>) {
    const script = `
      const { installExtraCa } = await import(${JSON.stringify(`${REPO_ROOT}/dist/src/system/extra-ca.js`)});
      installExtraCa();
      installExtraCa();
      console.log(JSON.stringify({ moved: process.env.KODEV_EXTRA_CA_CERTS ?? null, node: process.env.NODE_EXTRA_CA_CERTS ?? null }));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH ?? '', ...env },
      encoding: 'utf8',
    });
    return { out: JSON.parse(r.stdout) as { moved: string | null; node: string | null }, stderr: r.stderr };
  }

  it('puts the variable back for child processes', () => {
    expect(inChild({ KODEV_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt' }).out).toEqual({
      moved: null,
      node: '/etc/ssl/certs/ca-certificates.crt',
    });
    expect(inChild({}).out).toEqual({ moved: null, node: null });
  });

  it('warns, as Node does, when the file cannot be read', () => {
    const r = inChild({ KODEV_EXTRA_CA_CERTS: '/nonexistent/ca.pem' });
    expect(r.out.node).toBe('/nonexistent/ca.pem');
    expect(r.stderr).toMatch(
      /^Warning: Ignoring extra certs from `\/nonexistent\/ca\.pem`, load failed: .*ENOENT/m,
    );
  });
});
