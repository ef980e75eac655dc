import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { headManifest } from '../../src/registry/head-check.js';
import { makeOciBase } from '../helpers/base-images.js';
import { removeAll, tempDir } from '../helpers/kodev.js';
import { type Registry, startRegistry } from '../helpers/registry.js';

describe('headManifest against a real registry', () => {
  let open: Registry;
  let locked: Registry;
  let work: string;
  let digest: string;
  beforeAll(async () => {
    work = await tempDir();
    open = await startRegistry();
    locked = await startRegistry({ auth: 'htpasswd' });
    const base = await makeOciBase(join(work, 'base'), { tag: 'h' });
    await execa('skopeo', [
      'copy',
      '--quiet',
      '--dest-tls-verify=false',
      base.ref,
      `docker://${open.host}/x/img:t`,
    ]);
    const { stdout } = await execa('skopeo', [
      'inspect',
      '--tls-verify=false',
      '--format',
      '{{.Digest}}',
      `docker://${open.host}/x/img:t`,
    ]);
    digest = stdout.trim();
  });
  afterAll(async () => {
    await open?.stop();
    await locked?.stop();
    await removeAll(work);
  });

  it('reads the digest of a tag and of a digest', async () => {
    expect(await headManifest(open.host, 'x/img', 't', { insecure: false })).toEqual({ digest });
    expect(await headManifest(open.host, 'x/img', digest, { insecure: false })).toEqual({ digest });
  });

  it('says missing for an unknown tag', async () => {
    expect(await headManifest(open.host, 'x/img', 'nope', { insecure: false })).toBe('missing');
  });

  it('says unknown when the registry wants credentials or does not answer', async () => {
    expect(await headManifest(locked.host, 'x/img', 't', { insecure: false })).toBe('unknown');
    expect(await headManifest('127.0.0.1:1', 'x/img', 't', { insecure: false, timeoutMs: 2000 })).toBe(
      'unknown',
    );
  });
});
