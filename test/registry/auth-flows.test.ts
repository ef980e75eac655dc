/**
 * Token flows against the real registry and token server: tokens are reused
 * until they expire, OAuth2 refresh tokens (identity tokens) are exchanged by
 * POST, and a corrupted KOCACHE entry is detected and rebuilt.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFixture, runKodev, tempDir } from '../helpers/kodev.js';
import { type Registry, startRegistry } from '../helpers/registry.js';
import { startTokenServer, type TokenServer } from '../helpers/token-server.js';

let work: string;
let example: string;
let tokens: TokenServer;
let registry: Registry;

beforeAll(async () => {
  work = await tempDir();
  example = await copyFixture('example', join(work, 'example'));
  tokens = await startTokenServer({ tokenTtlSeconds: 300 });
  registry = await startRegistry({ auth: 'token', tokenServer: tokens });
});

afterAll(async () => {
  await registry?.stop();
  await tokens?.stop();
});

async function writeDockerConfig(home: string, entry: Record<string, string>): Promise<void> {
  await mkdir(join(home, '.docker'), { recursive: true });
  await writeFile(join(home, '.docker/config.json'), JSON.stringify({ auths: { [registry.host]: entry } }), {
    mode: 0o600,
  });
}

describe('token flows', () => {
  it('one token per scope set is fetched and reused for every blob and manifest of a push', async () => {
    const home = join(work, 'home-basic');
    await writeDockerConfig(home, { auth: Buffer.from('kodev:sekret-pass').toString('base64') });
    const before = tokens.requests.length;
    const r = await runKodev(['build', './cmd/hello', './cmd/worker', '-B'], {
      cwd: example,
      env: {
        HOME: home,
        KO_DOCKER_REPO: `${registry.host}/reuse`,
        KO_DEFAULTBASEIMAGE: 'scratch',
        KOCACHE: join(work, 'kc1'),
      },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const fetched = tokens.requests.slice(before);
    // Two repositories, each pushing three blobs and two manifests: a handful of tokens, not one per request.
    expect(fetched.length).toBeGreaterThan(0);
    expect(fetched.length).toBeLessThanOrEqual(4);
    expect(new Set(fetched.map((q) => q.grant))).toEqual(new Set(['basic']));
  });

  it('an identity token (OAuth2 refresh token) is exchanged with a POST refresh_token grant', async () => {
    const res = await fetch(`${tokens.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'password',
        username: 'kodev',
        password: 'sekret-pass',
        service: tokens.service,
        client_id: 'test',
        access_type: 'offline',
      }).toString(),
    });
    const refresh = ((await res.json()) as { refresh_token: string }).refresh_token;
    expect(refresh).toBeTruthy();
    const home = join(work, 'home-identity');
    await writeDockerConfig(home, { auth: Buffer.from('kodev:').toString('base64'), identitytoken: refresh });
    const before = tokens.requests.length;
    const r = await runKodev(['build', './cmd/worker', '-B'], {
      cwd: example,
      env: {
        HOME: home,
        KO_DOCKER_REPO: `${registry.host}/identity`,
        KO_DEFAULTBASEIMAGE: 'scratch',
        KOCACHE: join(work, 'kc2'),
      },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const grants = tokens.requests.slice(before).map((q) => [q.method, q.grant]);
    expect(grants.length).toBeGreaterThan(0);
    expect(grants.every(([m, g]) => m === 'POST' && g === 'refresh_token')).toBe(true);
    expect(r.stderr).not.toContain(refresh);
  });
});

describe('KOCACHE', () => {
  it('a corrupted cached layer is detected, rebuilt, and gives the same image', async () => {
    const kocache = join(work, 'kc-corrupt');
    const build = () =>
      runKodev(['build', './cmd/worker', '--push=false'], {
        cwd: example,
        env: { KO_DEFAULTBASEIMAGE: 'scratch', KOCACHE: kocache },
      });
    const first = await build();
    expect(first.exitCode, first.stderr).toBe(0);
    const blobs = join(kocache, 'blobs/sha256');
    const files = await readdir(blobs);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) await writeFile(join(blobs, f), 'garbage, not the layer');
    const second = await build();
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    // The corrupt entries were replaced by good ones (their names are their digests again).
    const { createHash } = await import('node:crypto');
    const { readFile } = await import('node:fs/promises');
    for (const f of await readdir(blobs)) {
      if (f.endsWith('.tmp')) continue;
      expect(
        createHash('sha256')
          .update(await readFile(join(blobs, f)))
          .digest('hex'),
      ).toBe(f);
    }
  });
});
