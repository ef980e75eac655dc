/**
 * DaemonPublisher (ko.local) against the run's real private dockerd: images
 * load and run, a second publish only tags, an index gives the daemon's own
 * platform, and failures name what went wrong.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BuildResult } from '../../src/build/builder.js';
import { connectEngine, type EngineClient } from '../../src/docker/engine.js';
import type { EnginePlatform } from '../../src/docker/host.js';
import { UserError } from '../../src/errors.js';
import type { Artifact, Image } from '../../src/oci/image.js';
import { DaemonPublisher } from '../../src/publish/daemon.js';
import { imageName } from '../../src/publish/naming.js';
import { docker } from '../helpers/dockerd.js';
import { busyboxImage, busyboxIndex } from './images.js';

let host: string;
let engine: EngineClient;
let platform: EnginePlatform;

beforeAll(async () => {
  host = inject('dockerHost');
  engine = connectEngine({ DOCKER_HOST: host });
  platform = await engine.info();
});

afterAll(async () => {
  await engine.close();
});

function result(importPath: string, artifact: Artifact): BuildResult {
  return { importPath, artifact, sboms: new Map() };
}

/** The real engine, counting loads: a seam wrapper, not a fake (every call still reaches dockerd). */
function countingEngine(): { engine: EngineClient; loads: () => number } {
  let loads = 0;
  const wrapped: EngineClient = Object.create(engine) as EngineClient;
  wrapped.loadImage = (tar) => {
    loads++;
    return engine.loadImage(tar);
  };
  return { engine: wrapped, loads: () => loads };
}

function publisher(e: EngineClient, tags: string[], lines: string[] = []): DaemonPublisher {
  return new DaemonPublisher({ engine: e, naming: 'base', tags, log: (m) => lines.push(m) });
}

describe('DaemonPublisher', () => {
  it('loads an image as ko.local/<name>:<digest hex> plus the tags, and it runs', async () => {
    const image = await busyboxImage(platform);
    const ip = 'example.com/kodev/cmd/first';
    const ref = await publisher(engine, ['latest', 'v1']).publish(result(ip, image));
    expect(ref).toBe(`ko.local/first:${image.digest.slice('sha256:'.length)}`);

    const inspected = await engine.imageInspect(ref);
    expect(inspected?.Id).toBe(image.manifest.config.digest);
    expect(inspected?.RepoTags.sort()).toEqual([ref, 'ko.local/first:latest', 'ko.local/first:v1'].sort());
    const run = await docker(host, ['run', '--rm', '--network=none', 'ko.local/first:v1', 'echo', 'hi']);
    expect(run.stdout).toBe('hi');
  });

  it('a second publish of the same image skips the load and only tags', async () => {
    const image = await busyboxImage(platform);
    const ip = 'example.com/kodev/cmd/again';
    const first = countingEngine();
    const ref = await publisher(first.engine, ['latest']).publish(result(ip, image));
    expect(first.loads()).toBe(1);
    const before = await engine.imageInspect(ref);

    const second = countingEngine();
    const lines: string[] = [];
    expect(await publisher(second.engine, ['v2'], lines).publish(result(ip, image))).toBe(ref);
    expect(second.loads()).toBe(0);
    expect(lines).toContain(`Image ${ref} is already in the Docker daemon at ${host}; skipping load`);
    const after = await engine.imageInspect(ref);
    expect(after?.Id).toBe(before?.Id);
    expect(after?.Created).toBe(before?.Created);
    expect(after?.RepoTags.sort()).toEqual([ref, 'ko.local/again:latest', 'ko.local/again:v2'].sort());
  });

  it('names images with the repo and naming strategy given', async () => {
    const image = await busyboxImage(platform);
    const ip = 'example.com/kodev/cmd/named';
    const p = new DaemonPublisher({ engine, repo: 'ko.local/team', naming: 'md5', tags: [] });
    const ref = await p.publish(result(ip, image));
    expect(ref).toBe(`${imageName('ko.local/team', ip, 'md5')}:${image.digest.slice('sha256:'.length)}`);
    expect((await engine.imageInspect(ref))?.Id).toBe(image.manifest.config.digest);
  });

  it("loads the index child for the daemon's platform", async () => {
    const other = { os: 'linux', architecture: platform.architecture === 's390x' ? 'riscv64' : 's390x' };
    const index = await busyboxIndex([other, platform]);
    const child = index.children[1]?.image as Image;
    const ref = await publisher(engine, ['latest']).publish(result('example.com/kodev/cmd/multi', index));
    expect(ref).toBe(`ko.local/multi:${child.digest.slice('sha256:'.length)}`);
    expect((await engine.imageInspect('ko.local/multi:latest'))?.Id).toBe(child.manifest.config.digest);
    const run = await docker(host, ['run', '--rm', '--network=none', ref, 'echo', 'hi']);
    expect(run.stdout).toBe('hi');
  });

  it('says which platforms were built when none is the daemon’s', async () => {
    const foreign = ['s390x', 'riscv64', 'ppc64le'].filter((a) => a !== platform.architecture).slice(0, 2);
    const index = await busyboxIndex(foreign.map((architecture) => ({ os: 'linux', architecture })));
    const err = await publisher(engine, ['latest'])
      .publish(result('example.com/kodev/cmd/foreign', index))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    const daemon = `linux/${platform.architecture}${platform.variant ? `/${platform.variant}` : ''}`;
    expect((err as UserError).message).toBe(
      `example.com/kodev/cmd/foreign was built for ${foreign.map((a) => `linux/${a}`).join(', ')}, ` +
        `but the Docker daemon at ${host} runs ${daemon}`,
    );
    expect((err as UserError).hint).toContain(`add ${daemon} to --platform`);
    expect(await engine.imageInspect('ko.local/foreign:latest')).toBeUndefined();
  });

  it('fails with the layer’s own error when a layer cannot be read mid-stream, and loads nothing', async () => {
    const image = await busyboxImage(platform);
    const [layer] = image.layers;
    if (!layer) throw new Error('no layer');
    const broken: Image = {
      ...image,
      layers: [
        {
          ...layer,
          blob: {
            ...layer.blob,
            open: async () =>
              Readable.from(
                (async function* () {
                  yield Buffer.alloc(1024);
                  throw new UserError('layer cache entry vanished');
                })(),
              ),
          },
        },
      ],
    };
    const err = await publisher(engine, ['latest'])
      .publish(result('example.com/kodev/cmd/broken', broken))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('layer cache entry vanished');
    expect(await engine.imageInspect(image.manifest.config.digest)).toBeUndefined();
  });
});
