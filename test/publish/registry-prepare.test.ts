/**
 * The registry publisher's `prepare`, against Debian's registry (through the
 * recording fault proxy): an image's blobs go up as soon as it is built, no
 * manifest goes up before `publish`, `publish` uploads nothing twice, and a
 * failed early upload is reported by `publish`, not lost.
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaType } from '../../src/oci/types.js';
import { RegistryPublisher } from '../../src/publish/registry.js';
import { RegistrySession } from '../../src/registry/session.js';
import { busyboxImage } from '../docker/images.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import { type Registry, startRegistry } from '../helpers/registry.js';

let registry: Registry;
let proxy: FaultProxy;
let session: RegistrySession;

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.url);
  session = new RegistrySession({ credentials: async () => undefined, insecure: true });
});

afterAll(async () => {
  await session?.close();
  await proxy?.stop();
  await registry?.stop();
});

function publisher(repo: string, logs: string[] = []): RegistryPublisher {
  return new RegistryPublisher({
    repo: `${proxy.host}/${repo}`,
    naming: 'base',
    tags: ['latest'],
    explicitTags: false,
    tagOnly: false,
    client: (r) => session.client(r),
    jobs: 4,
    log: (m) => logs.push(m),
  });
}

/** Whether skopeo, the independent reader, finds a reference. */
async function skopeoSees(ref: string): Promise<string> {
  const r = await execa('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`], {
    reject: false,
  });
  return r.exitCode === 0 ? 'present' : 'missing';
}

describe('RegistryPublisher.prepare', () => {
  it('uploads the blobs of a built image and no manifest; publish then uploads nothing again', async () => {
    const image = await busyboxImage({ os: 'linux', architecture: 'amd64' });
    const logs: string[] = [];
    const p = publisher('early', logs);
    const before = proxy.log.length;
    p.prepare('example.com/app', image);
    // The blobs arrive with no publish call: poll the registry for them (bounded).
    const blobs = [image.manifest.config.digest, ...image.manifest.layers.map((l) => l.digest)];
    for (let i = 0; i < 100; i++) {
      const heads = await Promise.all(
        blobs.map((d) => fetch(`${registry.url}/v2/early/app/blobs/${d}`, { method: 'HEAD' })),
      );
      if (heads.every((h) => h.status === 200)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const d of blobs)
      expect((await fetch(`${registry.url}/v2/early/app/blobs/${d}`, { method: 'HEAD' })).status).toBe(200);
    expect(await skopeoSees(`${registry.host}/early/app:latest`)).toBe('missing');
    expect(proxy.log.slice(before).some((q) => q.path.includes('/manifests/'))).toBe(false);

    const ref = await p.publish({ importPath: 'example.com/app', artifact: image, sboms: new Map() });
    expect(ref).toBe(`${proxy.host}/early/app@${image.digest}`);
    expect(await skopeoSees(`${registry.host}/early/app@${image.digest}`)).toBe('present');
    // Each blob was committed (PUT ...?digest=) exactly once.
    const commits = proxy.log
      .slice(before)
      .filter((q) => q.method === 'PUT' && q.path.includes('/blobs/uploads/'))
      .map((q) => decodeURIComponent(q.path.replace(/.*digest=/, '')));
    expect(commits.sort()).toEqual([...blobs].sort());
    expect(logs.at(-1)).toMatch(/blobs: 2 uploaded, 0 mounted, 0 already there/);
  });

  it('an early upload that fails is reported by publish, and nothing is pushed', async () => {
    const image = await busyboxImage({ os: 'linux', architecture: 'amd64' });
    const layer = image.manifest.layers[0]?.digest ?? '';
    expect(image.manifest.layers[0]?.mediaType).toBe(MediaType.dockerLayerGzip);
    // Every upload start for this repository is refused (more than the client's retries).
    proxy.inject({
      match: { method: 'POST', path: /^\/v2\/refused\/app\/blobs\/uploads\// },
      fault: {
        kind: 'status',
        status: 403,
        body: '{"errors":[{"code":"DENIED","message":"no pushes here"}]}',
      },
      times: 20,
    });
    const p = publisher('refused');
    p.prepare('example.com/app', image);
    await new Promise((r) => setTimeout(r, 300));
    const result = { importPath: 'example.com/app', artifact: image, sboms: new Map() };
    await expect(p.publish(result)).rejects.toThrow(
      `registry ${proxy.host}: start upload to refused/app failed with HTTP 403 (DENIED: no pushes here)`,
    );
    expect((await fetch(`${registry.url}/v2/refused/app/blobs/${layer}`, { method: 'HEAD' })).status).toBe(
      404,
    );
    expect(await skopeoSees(`${registry.host}/refused/app:latest`)).toBe('missing');
  });
});
