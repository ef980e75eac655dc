/**
 * The `kodev` command as npm installs it: bin/kodev, a shell launcher reached
 * through a relative symlink in a bin directory. It hands NODE_EXTRA_CA_CERTS
 * to kodev as KODEV_EXTRA_CA_CERTS (Node would load it, and every bundled
 * root certificate, before running any code); kodev must still trust those
 * certificates. Checked against the real Kubernetes API server, whose
 * certificate is signed by the cluster's own CA, through a kubeconfig that
 * names no CA, so only NODE_EXTRA_CA_CERTS can make the connection trusted.
 */
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { freshNamespace, kubeConfig } from '../helpers/cluster.js';
import { kodevEnv, REPO_ROOT, removeAll, tempDir } from '../helpers/kodev.js';

const cluster = inject('cluster');
let work: string;
let linked: string;
let noCaKubeconfig: string;
let namespace: { name: string; remove(): Promise<void> };

beforeAll(async () => {
  work = await tempDir();
  // npm's layout: node_modules/.bin/kodev -> ../kodev/bin/kodev, here a relative link to the checkout.
  const binDir = join(work, 'node_modules', '.bin');
  await mkdir(binDir, { recursive: true });
  linked = join(binDir, 'kodev');
  await symlink(relative(binDir, join(REPO_ROOT, 'bin', 'kodev')), linked);
  const config = parse(await readFile(cluster.kubeconfig, 'utf8')) as {
    clusters: { cluster: Record<string, string> }[];
  };
  for (const c of config.clusters) {
    delete c.cluster['certificate-authority'];
    delete c.cluster['certificate-authority-data'];
  }
  noCaKubeconfig = join(work, 'no-ca.kubeconfig');
  await writeFile(noCaKubeconfig, stringify(config));
  namespace = await freshNamespace(cluster);
});

afterAll(async () => {
  await namespace?.remove();
  await removeAll(work);
});

function kodev(args: string[], env: Record<string, string>, input?: string) {
  return execa(linked, args, {
    cwd: work,
    env: kodevEnv(env),
    extendEnv: false,
    reject: false,
    ...(input !== undefined ? { input } : {}),
  });
}

const configMap = (name: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  from: launcher\n`;

describe('bin/kodev', () => {
  it('runs through a relative symlink, as npm links it', async () => {
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await kodev(['version'], {});
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('trusts NODE_EXTRA_CA_CERTS for TLS, and nothing more without it', async () => {
    const ca = join(cluster.dir, 'pki/ca.crt');
    const args = ['apply', '--kubeconfig', noCaKubeconfig, '-n', namespace.name, '-f', '-'];

    const untrusted = await kodev(args, {}, configMap('untrusted'));
    expect(untrusted.exitCode).toBe(1);
    // One line: what failed, where, and what to do.
    expect(untrusted.stderr).toMatch(
      /^Error: the Kubernetes API server https:\/\/127\.0\.0\.1:\d+ \(context [^)]+\) presented a certificate kodev does not trust: UNABLE_TO_VERIFY_LEAF_SIGNATURE; set certificate-authority for the cluster in \S+no-ca\.kubeconfig, or add the issuing CA to NODE_EXTRA_CA_CERTS/m,
    );

    const trusted = await kodev(args, { NODE_EXTRA_CA_CERTS: ca }, configMap('trusted'));
    expect(trusted.exitCode, trusted.stderr).toBe(0);
    expect(trusted.stdout).toContain('configmap/trusted');
    const core = kubeConfig(cluster).makeApiClient(CoreV1Api);
    const cm = await core.readNamespacedConfigMap({ name: 'trusted', namespace: namespace.name });
    expect(cm.data).toEqual({ from: 'launcher' });
    await expect(
      core.readNamespacedConfigMap({ name: 'untrusted', namespace: namespace.name }),
    ).rejects.toThrow();
  });
});
