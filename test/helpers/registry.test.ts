/**
 * Proves the registry helpers with independent tools only: skopeo pushes
 * umoci-made images into Debian's docker-registry (open, htpasswd, and token
 * auth through the token server) and reads them back, and curl observes the
 * fault proxy's faults. A missing tool fails these tests with a hint to run
 * scripts/install-test-deps.sh; nothing is skipped.
 */
import { access, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OciBase, makeOciBase } from './base-images.js';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';
import { type Registry, startRegistry } from './registry.js';
import { type TokenServer, startTokenServer } from './token-server.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
let work: string;
let base: OciBase;
/** An empty auth file, so no credentials from the machine are ever used. */
let authFile: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kodev-registry-test-'));
  authFile = join(work, 'auth.json');
  await writeFile(authFile, '{}');
  base = await makeOciBase(join(work, 'oci'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** `skopeo copy` of the base image to `docker://<dest>`; resolves with the outcome instead of throwing. */
async function push(dest: string, creds?: string): Promise<{ exitCode: number; stderr: string }> {
  const args = ['copy', '--quiet', '--dest-authfile', authFile, '--dest-tls-verify=false'];
  if (creds !== undefined) args.push('--dest-creds', creds);
  const result = await execa('skopeo', [...args, base.ref, `docker://${dest}`], {
    reject: false,
    timeout: 120_000,
  });
  return { exitCode: result.exitCode ?? -1, stderr: String(result.stderr) };
}

async function inspect(ref: string, creds?: string): Promise<{ Digest: string; Layers: string[] }> {
  const args = ['inspect', '--authfile', authFile, '--tls-verify=false'];
  if (creds !== undefined) args.push('--creds', creds);
  const { stdout } = await execa('skopeo', [...args, `docker://${ref}`], { timeout: 60_000 });
  return JSON.parse(String(stdout)) as { Digest: string; Layers: string[] };
}

async function curl(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const result = await execa('curl', ['-sS', '--max-time', '20', ...args], {
    reject: false,
    timeout: 30_000,
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

describe('startRegistry without auth', () => {
  let registry: Registry;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('takes a push from skopeo and serves the same manifest to skopeo inspect', async () => {
    expect(registry.host).toMatch(/^127\.0\.0\.1:\d+$/);
    const pushed = await push(`${registry.host}/x/y:t`);
    expect(pushed.stderr).toBe('');
    expect(pushed.exitCode).toBe(0);
    const summary = await inspect(`${registry.host}/x/y:t`);
    expect(summary.Digest).toBe(base.digest);
    expect(summary.Layers).toHaveLength(1);
  });

  it('keeps config, storage and log in its dir, and removes them on stop', async () => {
    const other = await startRegistry();
    const config = await readFile(join(other.dir, 'config.yml'), 'utf8');
    expect(config).toContain(`addr: ${other.host}`);
    await expect(access(other.logFile)).resolves.toBeUndefined();
    await other.stop();
    await expect(access(other.dir)).rejects.toThrow();
    expect((await curl([`${other.url}/v2/`])).exitCode).not.toBe(0);
  });
});

describe('startRegistry with htpasswd auth', () => {
  let registry: Registry;
  beforeAll(async () => {
    registry = await startRegistry({ auth: 'htpasswd' });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('challenges with Basic on /v2/', async () => {
    const { stdout } = await curl(['-i', `${registry.url}/v2/`]);
    expect(stdout).toMatch(/^HTTP\/1\.1 401/);
    expect(stdout).toMatch(/^www-authenticate: Basic realm="kodev-test-registry"/im);
  });

  const cases = [
    { name: 'takes a push with the right credentials', creds: 'kodev:sekret-pass', ok: true },
    { name: 'refuses a push without credentials', creds: undefined, ok: false },
    { name: 'refuses a push with a wrong password', creds: 'kodev:wrong', ok: false },
  ];
  it.each(cases)('$name', async ({ creds, ok }) => {
    const pushed = await push(`${registry.host}/x/y:t`, creds);
    if (ok) {
      expect(pushed.exitCode).toBe(0);
      expect((await inspect(`${registry.host}/x/y:t`, creds)).Digest).toBe(base.digest);
    } else {
      expect(pushed.exitCode).not.toBe(0);
      expect(pushed.stderr).toMatch(/401|unauthorized|authentication required/i);
    }
  });
});

describe('startRegistry with token auth', () => {
  let tokens: TokenServer;
  let registry: Registry;
  beforeAll(async () => {
    tokens = await startTokenServer({
      users: {
        kodev: { password: 'sekret-pass' },
        limited: { password: 'limited-pass', repos: ['allowed/'] },
      },
    });
    registry = await startRegistry({ auth: 'token', tokenServer: tokens });
  });
  afterAll(async () => {
    await registry?.stop();
    await tokens?.stop();
  });

  it('challenges with Bearer naming the token server, service and scope', async () => {
    const { stdout } = await curl(['-i', `${registry.url}/v2/x/y/tags/list`]);
    expect(stdout).toMatch(/^HTTP\/1\.1 401/);
    expect(stdout).toContain(
      `Bearer realm="${tokens.url}/token",service="${tokens.service}",scope="repository:x/y:pull"`,
    );
  });

  it('takes a push from skopeo through the token server, which sees the push scope', async () => {
    const pushed = await push(`${registry.host}/x/y:t`, 'kodev:sekret-pass');
    expect(pushed.stderr).toBe('');
    expect(pushed.exitCode).toBe(0);
    expect((await inspect(`${registry.host}/x/y:t`, 'kodev:sekret-pass')).Digest).toBe(base.digest);
    const push_ = tokens.requests.find((r) => r.scopes.includes('repository:x/y:pull,push'));
    expect(push_).toMatchObject({
      method: 'GET',
      grant: 'basic',
      account: 'kodev',
      service: tokens.service,
      status: 200,
      granted: [{ type: 'repository', name: 'x/y', actions: ['pull', 'push'] }],
    });
  });

  const limits = [
    { name: 'refuses a limited user pushing outside its repos', repo: 'denied/x', ok: false },
    { name: 'lets a limited user push inside its repos', repo: 'allowed/x', ok: true },
  ];
  it.each(limits)('$name', async ({ repo, ok }) => {
    const pushed = await push(`${registry.host}/${repo}:t`, 'limited:limited-pass');
    expect(pushed.exitCode === 0).toBe(ok);
    if (!ok) expect(pushed.stderr).toMatch(/401|unauthorized|denied|authentication required/i);
    const asked = tokens.requests.filter(
      (r) => r.account === 'limited' && r.scopes.includes(`repository:${repo}:pull,push`),
    );
    expect(asked.length).toBeGreaterThan(0);
    for (const request of asked) expect(request.granted.length > 0).toBe(ok);
  });

  it('refuses a wrong password at the token endpoint with 401', async () => {
    const { stdout } = await curl([
      '-i',
      '-u',
      'kodev:wrong',
      `${tokens.url}/token?service=${tokens.service}`,
    ]);
    expect(stdout).toMatch(/^HTTP\/1\.1 401/);
  });

  it('issues RS256 JWTs with the spec claims and its certificate in x5c', async () => {
    const scope = 'repository:x/y:pull';
    const { stdout } = await curl([
      '-u',
      'kodev:sekret-pass',
      `${tokens.url}/token?service=${tokens.service}&scope=${scope}`,
    ]);
    const body = JSON.parse(stdout) as {
      token: string;
      access_token: string;
      expires_in: number;
      issued_at: string;
    };
    expect(body.access_token).toBe(body.token);
    expect(body.expires_in).toBe(300);
    const [header, claims] = body.token
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
    const pem = await readFile(tokens.certFile, 'utf8');
    expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    expect(pem.replace(/-----[A-Z ]+-----|\s/g, '')).toBe(header.x5c[0]);
    expect(claims).toMatchObject({
      iss: tokens.issuer,
      sub: 'kodev',
      aud: tokens.service,
      access: [{ type: 'repository', name: 'x/y', actions: ['pull'] }],
    });
    expect(claims.exp - claims.iat).toBe(300);
    expect(typeof claims.jti).toBe('string');
  });

  it('answers the OAuth2 POST with a refresh token that buys tokens the registry accepts', async () => {
    const form = (fields: Record<string, string>): string[] =>
      Object.entries(fields).flatMap(([key, value]) => ['--data-urlencode', `${key}=${value}`]);
    const common = { service: tokens.service, scope: 'repository:x/y:pull', client_id: 'kodev-test' };
    const first = await curl([
      ...form({ grant_type: 'password', username: 'kodev', password: 'sekret-pass', ...common }),
      `${tokens.url}/token`,
    ]);
    const { refresh_token: refresh } = JSON.parse(first.stdout) as { refresh_token: string };
    expect(refresh).toMatch(/^[\w-]{16,}$/);
    const second = await curl([
      ...form({ grant_type: 'refresh_token', refresh_token: refresh, ...common }),
      `${tokens.url}/token`,
    ]);
    const { access_token: token } = JSON.parse(second.stdout) as { access_token: string };
    const manifest = await curl([
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '-H',
      `Authorization: Bearer ${token}`,
      '-H',
      `Accept: ${OCI_MANIFEST}`,
      `${registry.url}/v2/x/y/manifests/t`,
    ]);
    expect(manifest.stdout).toBe('200');
    const grants = tokens.requests
      .filter((r) => r.method === 'POST')
      .map((r) => [r.grant, r.account, r.clientId]);
    expect(grants).toEqual([
      ['password', 'kodev', 'kodev-test'],
      ['refresh_token', 'kodev', 'kodev-test'],
    ]);
  });

  it('never records a password', () => {
    const recorded = JSON.stringify(tokens.requests);
    expect(recorded).not.toContain('sekret-pass');
    expect(recorded).not.toContain('limited-pass');
  });
});

describe('startFaultProxy', () => {
  let registry: Registry;
  let proxy: FaultProxy;
  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startFaultProxy(registry.url);
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
  });

  it('forwards a skopeo push to the registry untouched', async () => {
    const pushed = await push(`${proxy.host}/p/q:t`);
    expect(pushed.exitCode).toBe(0);
    expect((await inspect(`${registry.host}/p/q:t`)).Digest).toBe(base.digest);
    expect(proxy.log).toContainEqual(
      expect.objectContaining({ method: 'PUT', path: '/v2/p/q/manifests/t', status: 201 }),
    );
    // Every exchange has ended, after it began.
    for (const q of proxy.log) expect(q.endedAt).toBeGreaterThanOrEqual(q.receivedAt);
    expect(Math.min(...proxy.log.map((q) => q.receivedAt))).toBeGreaterThan(0);
  });

  it('rewrites the upstream Location to its own host', async () => {
    const { stdout } = await curl(['-i', '-X', 'POST', `${proxy.url}/v2/p/q/blobs/uploads/`]);
    expect(stdout).toMatch(/^HTTP\/1\.1 202/);
    expect(stdout).toMatch(new RegExp(`^location: ${proxy.url}/v2/p/q/blobs/uploads/`, 'im'));
  });

  const faults = [
    {
      name: 'a 429 with Retry-After',
      rule: { kind: 'status', status: 429, headers: { 'Retry-After': '3' }, body: 'slow down' },
      expected: [/^HTTP\/1\.1 429/, /^retry-after: 3\r?$/im, /slow down$/],
    },
    {
      name: 'an HTML error page',
      rule: { kind: 'html', status: 502 },
      expected: [/^HTTP\/1\.1 502/, /^content-type: text\/html\r?$/im, /<html>/],
    },
  ] as const;
  it.each(faults)('answers $name once, then forwards again', async ({ rule, expected }) => {
    proxy.inject({ match: { method: 'GET', path: /^\/v2\/$/ }, fault: rule, times: 1 });
    const faulted = await curl(['-i', `${proxy.url}/v2/`]);
    for (const pattern of expected) expect(faulted.stdout).toMatch(pattern);
    const next = await curl(['-i', `${proxy.url}/v2/`]);
    expect(next.stdout).toMatch(/^HTTP\/1\.1 200/);
    expect(proxy.log.at(-2)).toMatchObject({ path: '/v2/', status: rule.status, fault: rule.kind });
  });

  it('delays a request, then forwards it', async () => {
    proxy.inject({ match: { path: /^\/v2\/$/ }, fault: { kind: 'delay', ms: 400 }, times: 1 });
    const { stdout } = await curl([
      '-o',
      '/dev/null',
      '-w',
      '%{http_code} %{time_total}',
      `${proxy.url}/v2/`,
    ]);
    const [code, seconds] = stdout.split(' ');
    expect(code).toBe('200');
    expect(Number(seconds)).toBeGreaterThanOrEqual(0.4);
  });

  it('cuts a blob download after the given bytes', async () => {
    const [layer = ''] = (await inspect(`${registry.host}/p/q:t`)).Layers;
    const blobUrl = `${proxy.url}/v2/p/q/blobs/${layer}`;
    const size = (await stat(join(base.layout, 'blobs', ...layer.split(':')))).size;
    proxy.inject({
      match: { path: /\/blobs\/sha256:/ },
      fault: { kind: 'reset-mid-body', afterBytes: 100 },
      times: 1,
    });
    const cutFile = join(work, 'cut.bin');
    const cut = await curl(['-o', cutFile, blobUrl]);
    // 18: "transfer closed with N bytes remaining to read".
    expect(cut.exitCode).toBe(18);
    expect((await stat(cutFile)).size).toBe(100);
    const wholeFile = join(work, 'whole.bin');
    expect((await curl(['-o', wholeFile, blobUrl])).exitCode).toBe(0);
    expect((await stat(wholeFile)).size).toBe(size);
  });

  it('cuts an upload after the given bytes', async () => {
    const started = await curl(['-i', '-X', 'POST', `${proxy.url}/v2/p/q/blobs/uploads/`]);
    const location = /^location: (\S+)/im.exec(started.stdout)?.[1] ?? '';
    const body = join(work, 'upload.bin');
    await writeFile(body, Buffer.alloc(256 * 1024, 7));
    proxy.inject({
      match: { method: 'PATCH' },
      fault: { kind: 'reset-mid-body', afterBytes: 1000 },
      times: 1,
    });
    const upload = await curl([
      '-X',
      'PATCH',
      '-H',
      'Content-Type: application/octet-stream',
      '--data-binary',
      `@${body}`,
      location,
    ]);
    // 52 empty reply, 55 send failure or 56 receive failure, depending on timing.
    expect([52, 55, 56]).toContain(upload.exitCode);
    expect(proxy.log.at(-1)).toMatchObject({ method: 'PATCH', fault: 'reset-mid-body', status: 0 });
  });

  it('refuses requests over its cap with 503', async () => {
    const capped = await startFaultProxy(registry.url, { maxRequests: 2 });
    try {
      const codes: string[] = [];
      for (let i = 0; i < 3; i++) {
        codes.push((await curl(['-o', '/dev/null', '-w', '%{http_code}', `${capped.url}/v2/`])).stdout);
      }
      expect(codes).toEqual(['200', '200', '503']);
      expect(capped.log).toHaveLength(2);
    } finally {
      await capped.stop();
    }
  });
});
