/**
 * Pushes through a fault-injecting proxy in front of the real registry, and
 * registries that are wrong in other ways. After each fault the push either
 * succeeds or fails with a clear message; a failed push prints no reference
 * and leaves no manifest behind.
 */
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FaultProxy, type FaultRule, startFaultProxy } from '../helpers/fault-proxy.js';
import { copyFixture, runKodev, tempDir } from '../helpers/kodev.js';
import { type Registry, startRegistry } from '../helpers/registry.js';
import { startTokenServer, type TokenServer } from '../helpers/token-server.js';

let work: string;
let example: string;
let registry: Registry;
let proxy: FaultProxy;

beforeAll(async () => {
  work = await tempDir();
  example = await copyFixture('example', join(work, 'example'));
  registry = await startRegistry();
});

beforeEach(async () => {
  await proxy?.stop();
  proxy = await startFaultProxy(registry.url);
});

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
});

let counter = 0;
/** Builds ./cmd/worker into a fresh repository behind the proxy (fresh, so every blob is uploaded). */
async function push(rules: FaultRule[], extraEnv: Record<string, string> = {}) {
  for (const r of rules) proxy.inject(r);
  const repo = `faults/run${++counter}`;
  const r = await runKodev(['build', './cmd/worker', '--bare', '-t', 'v1'], {
    cwd: example,
    env: {
      KO_DOCKER_REPO: `${proxy.host}/${repo}`,
      KO_DEFAULTBASEIMAGE: 'scratch',
      KOCACHE: join(work, `kocache${counter}`),
      HOME: join(work, 'home'),
      ...extraEnv,
    },
  });
  return { ...r, repo };
}

/** What the real registry (not the proxy) holds for a tag, read by skopeo. */
async function tagExists(repo: string, tag: string): Promise<boolean> {
  const r = await execa(
    'skopeo',
    ['inspect', '--tls-verify=false', '--raw', `docker://${registry.host}/${repo}:${tag}`],
    { reject: false },
  );
  return r.exitCode === 0;
}

describe('transient faults are retried and the push succeeds', () => {
  it.each<[string, FaultRule[]]>([
    [
      '429 with Retry-After on the upload start',
      [
        {
          match: { method: 'POST', path: /\/blobs\/uploads\// },
          fault: { kind: 'status', status: 429, headers: { 'retry-after': '1' } },
          times: 1,
        },
      ],
    ],
    [
      'a burst of 500s on blob HEADs',
      [{ match: { method: 'HEAD', path: /\/blobs\// }, fault: { kind: 'status', status: 500 }, times: 3 }],
    ],
    [
      'a connection reset in the middle of a blob upload',
      [{ match: { method: 'PATCH' }, fault: { kind: 'reset-mid-body', afterBytes: 4096 }, times: 1 }],
    ],
    [
      '503s on the manifest PUT',
      [{ match: { method: 'PUT', path: /\/manifests\// }, fault: { kind: 'status', status: 503 }, times: 2 }],
    ],
    [
      'a slow registry (2 s per HEAD)',
      [{ match: { method: 'HEAD' }, fault: { kind: 'delay', ms: 2000 }, times: 3 }],
    ],
  ])('%s', async (_name, rules) => {
    const r = await push(rules);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^127\.0\.0\.1:\d+\/faults\/run\d+:v1@sha256:[a-f0-9]{64}\n$/);
    // The fault really happened.
    expect(proxy.log.some((q) => q.fault !== undefined)).toBe(true);
    expect(await tagExists(r.repo, 'v1')).toBe(true);
    // And the pushed image is complete: skopeo can copy it.
    await execa('skopeo', [
      'copy',
      '--quiet',
      '--src-tls-verify=false',
      `docker://${registry.host}/${r.repo}:v1`,
      `oci:${join(work, `copy${counter}`)}:x`,
    ]);
  });
});

describe('persistent faults fail the push clearly, with no reference and no manifest', () => {
  it.each<[string, FaultRule[], RegExp]>([
    [
      'every blob upload is reset',
      [{ match: { method: 'PATCH' }, fault: { kind: 'reset-mid-body', afterBytes: 1024 }, times: 100 }],
      /registry 127\.0\.0\.1:\d+: PATCH failed/,
    ],
    [
      'every upload start answers 500',
      [{ match: { method: 'POST' }, fault: { kind: 'status', status: 500 }, times: 100 }],
      /start upload to faults\/run\d+ failed with HTTP 500/,
    ],
    [
      'the manifest PUT is refused',
      [
        {
          match: { method: 'PUT', path: /\/manifests\// },
          fault: {
            kind: 'status',
            status: 400,
            body: '{"errors":[{"code":"MANIFEST_INVALID","message":"manifest invalid"}]}',
            headers: { 'content-type': 'application/json' },
          },
          times: 100,
        },
      ],
      /PUT manifest .* failed with HTTP 400 \(MANIFEST_INVALID: manifest invalid\)/,
    ],
  ])('%s', async (_name, rules, message) => {
    const r = await push(rules);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('Error:'))).toHaveLength(1);
    expect(await tagExists(r.repo, 'v1')).toBe(false);
  });
});

describe('registries that are not what KO_DOCKER_REPO says', () => {
  it('an HTML page instead of the registry API', async () => {
    const r = await push([{ match: { path: /^\/v2\/$/ }, fault: { kind: 'html', status: 502 }, times: 100 }]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(
      /registry 127\.0\.0\.1:\d+: answered with an HTML page \(GET \/v2\/ gave HTTP 502\); check the registry host/,
    );
  });

  it('an unknown registry host', async () => {
    const r = await runKodev(['build', './cmd/worker'], {
      cwd: example,
      env: {
        KO_DOCKER_REPO: 'registry.invalid/team',
        KO_DEFAULTBASEIMAGE: 'scratch',
        KOCACHE: join(work, 'kc-unknown'),
      },
    });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /registry registry\.invalid: unknown host; check the registry name in KO_DOCKER_REPO/,
    );
  });

  it('a malformed KO_DOCKER_REPO is a usage error before anything is built', async () => {
    const r = await runKodev(['build', './cmd/worker'], {
      cwd: example,
      env: { KO_DOCKER_REPO: 'Bad Repo/x', KO_DEFAULTBASEIMAGE: 'scratch' },
    });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/KO_DOCKER_REPO: "Bad Repo\/x" is not a valid repository/);
    expect(r.stderr).not.toMatch(/Building/);
  });
});

describe('token auth', () => {
  let tokens: TokenServer;
  let secured: Registry;
  beforeAll(async () => {
    tokens = await startTokenServer({
      users: { kodev: { password: 'sekret-pass', repos: ['team/'] } },
      tokenTtlSeconds: 60,
    });
    secured = await startRegistry({ auth: 'token', tokenServer: tokens });
  });
  afterAll(async () => {
    await secured?.stop();
    await tokens?.stop();
  });

  async function login(home: string, password: string) {
    const { CLI } = await import('../helpers/kodev.js');
    return execa(process.execPath, [CLI, 'login', secured.host, '-u', 'kodev', '--password-stdin'], {
      input: password,
      env: { PATH: process.env.PATH ?? '', HOME: home },
      extendEnv: false,
      reject: false,
    });
  }

  it('logs in through the token server and pushes with push+pull scope', async () => {
    const home = join(work, 'home-token');
    const l = await login(home, 'sekret-pass');
    expect(l.exitCode, String(l.stderr)).toBe(0);
    const r = await runKodev(['build', './cmd/worker', '-B'], {
      cwd: example,
      env: {
        HOME: home,
        KO_DOCKER_REPO: `${secured.host}/team`,
        KO_DEFAULTBASEIMAGE: 'scratch',
        KOCACHE: join(work, 'kc-token'),
      },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(
      tokens.requests.some(
        (q) => q.account === 'kodev' && q.scopes.includes('repository:team/worker:pull,push'),
      ),
    ).toBe(true);
    const { stdout } = await execa('skopeo', [
      'inspect',
      '--tls-verify=false',
      '--creds',
      'kodev:sekret-pass',
      `docker://${r.stdout.trim()}`,
    ]);
    expect(JSON.parse(stdout).Digest).toBe(r.stdout.trim().split('@')[1]);
  });

  it('a repository the account may not push to fails naming the registry', async () => {
    const home = join(work, 'home-token');
    const r = await runKodev(['build', './cmd/worker', '-B'], {
      cwd: example,
      env: {
        HOME: home,
        KO_DOCKER_REPO: `${secured.host}/other`,
        KO_DEFAULTBASEIMAGE: 'scratch',
        KOCACHE: join(work, 'kc-token2'),
      },
    });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`registry ${secured.host.replace(/\./g, '\\.')}: .*HTTP 401`));
  });

  it('an expired registry token in the docker config is refused with a hint to log in again', async () => {
    // A token server whose tokens expired two minutes before they were issued
    // (past any clock-skew leeway), and a registry that trusts it.
    const stale = await startTokenServer({ users: { kodev: { password: 'p' } }, tokenTtlSeconds: -120 });
    const staleRegistry = await startRegistry({ auth: 'token', tokenServer: stale });
    try {
      const res = await fetch(
        `${stale.url}/token?service=${stale.service}&scope=repository:team/worker:pull,push`,
        {
          headers: { authorization: `Basic ${Buffer.from('kodev:p').toString('base64')}` },
        },
      );
      const token = ((await res.json()) as { token: string }).token;
      const home = join(work, 'home-expired');
      const { mkdir, writeFile } = await import('node:fs/promises');
      await mkdir(join(home, '.docker'), { recursive: true });
      await writeFile(
        join(home, '.docker/config.json'),
        JSON.stringify({ auths: { [staleRegistry.host]: { registrytoken: token } } }),
      );
      const r = await runKodev(['build', './cmd/worker', '-B'], {
        cwd: example,
        env: {
          HOME: home,
          KO_DOCKER_REPO: `${staleRegistry.host}/team`,
          KO_DEFAULTBASEIMAGE: 'scratch',
          KOCACHE: join(work, 'kc-expired'),
        },
      });
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(
        new RegExp(`registry ${staleRegistry.host.replace(/\./g, '\\.')}: .*HTTP 401.*run kodev login`),
      );
      expect(r.stderr).not.toContain(token);
    } finally {
      await staleRegistry.stop();
      await stale.stop();
    }
  });
});
