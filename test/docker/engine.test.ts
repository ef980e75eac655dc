/**
 * The Engine API client against the run's real private dockerd: version
 * negotiation, load (and failures reported inside a 200), inspect, tag, save,
 * and an address where no daemon listens.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectEngine, EngineError, type EngineClient } from '../../src/docker/engine.js';
import { readDaemonImage, withTag } from '../../src/docker/read-image.js';
import { UserError } from '../../src/errors.js';
import { writeDockerArchive } from '../../src/oci/docker-archive.js';
import { goArchFromNode } from '../../src/oci/platform.js';
import { docker } from '../helpers/dockerd.js';
import { removeAll, tempDir } from '../helpers/kodev.js';
import { busyboxImage, tarStream } from './images.js';

let host: string;
let engine: EngineClient;
let work: string;

beforeAll(async () => {
  host = inject('dockerHost');
  engine = connectEngine({ DOCKER_HOST: host });
  work = await tempDir('kodev-engine-');
});

afterAll(async () => {
  await engine.close();
  await removeAll(work);
});

describe('connectEngine against the private dockerd', () => {
  it('negotiates an API version no newer than 1.43', async () => {
    const { apiVersion } = await engine.ping();
    expect(apiVersion).toMatch(/^1\.\d+$/);
    expect(Number(apiVersion.split('.')[1])).toBeLessThanOrEqual(43);
    // Debian's 20.10 daemon speaks 1.41; the CLI from the same package agrees.
    const server = (await docker(host, ['version', '--format', '{{.Server.APIVersion}}'])).stdout.trim();
    expect(apiVersion).toBe(Number(server.split('.')[1]) > 43 ? '1.43' : server);
  });

  it('reports the platform in GOARCH spelling', async () => {
    expect(await engine.info()).toMatchObject({ os: 'linux', architecture: goArchFromNode(process.arch) });
  });

  it('loads an archive written by writeDockerArchive, and the image runs', async () => {
    const platform = await engine.info();
    const image = await busyboxImage(platform);
    const file = join(work, 'busybox.tar');
    const tag = 'kodev.test/engine/busybox:v1';
    await writeDockerArchive(file, [{ image, tags: [tag] }]);

    const loaded = await engine.loadImage(createReadStream(file));
    expect(loaded).toEqual([tag]);
    const inspected = await engine.imageInspect(image.manifest.config.digest);
    expect(inspected?.Id).toBe(image.manifest.config.digest);
    expect(inspected?.RepoTags).toEqual([tag]);

    const run = await docker(host, ['run', '--rm', '--network=none', tag, 'echo', 'hi']);
    expect(run.stdout).toBe('hi');
  });

  it('tags an image by ID', async () => {
    const image = await busyboxImage(await engine.info());
    const file = join(work, 'to-tag.tar');
    await writeDockerArchive(file, [{ image, tags: [] }]);
    expect(await engine.loadImage(createReadStream(file))).toEqual([image.manifest.config.digest]);
    await engine.tagImage(image.manifest.config.digest, 'kodev.test/engine/tagged', 'a');
    await engine.tagImage(image.manifest.config.digest, 'kodev.test/engine/tagged', 'b');
    const inspected = await engine.imageInspect('kodev.test/engine/tagged:a');
    expect(inspected?.RepoTags.sort()).toEqual(['kodev.test/engine/tagged:a', 'kodev.test/engine/tagged:b']);
  });

  it('saves an image back, byte for byte in its config', async () => {
    const image = await busyboxImage(await engine.info());
    const file = join(work, 'to-save.tar');
    await writeDockerArchive(file, [{ image, tags: ['kodev.test/engine/saved:latest'] }]);
    await engine.loadImage(createReadStream(file));

    const read = await readDaemonImage(engine, 'kodev.test/engine/saved', work);
    expect(read.manifest.config.digest).toBe(image.manifest.config.digest);
    expect(read.layers.map((l) => l.diffId)).toEqual(image.layers.map((l) => l.diffId));
  });

  it('returns undefined for an image the daemon does not hold', async () => {
    expect(await engine.imageInspect('kodev.test/engine/absent:nope')).toBeUndefined();
    expect(await engine.imageInspect(`sha256:${'0'.repeat(64)}`)).toBeUndefined();
  });

  it('names the daemon when asked to save an image it does not hold', async () => {
    const err = await engine.saveImage('kodev.test/engine/absent:nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).status).toBe(404);
    expect((err as Error).message).toContain(`Docker daemon at ${host} has no image`);
  });

  it('turns a load error reported inside a 200 response into a UserError', async () => {
    const corrupt = tarStream({
      'manifest.json': JSON.stringify([
        { Config: 'config.json', RepoTags: ['kodev.test/engine/corrupt:1'], Layers: ['missing.tar'] },
      ]),
      'config.json': JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: {},
        rootfs: { type: 'layers', diff_ids: [`sha256:${'1'.repeat(64)}`] },
      }),
    });
    const err = await engine.loadImage(corrupt).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as EngineError).status).toBe(200);
    expect((err as Error).message).toMatch(
      new RegExp(`^Docker daemon at ${host} could not load the image: .*missing\\.tar`),
    );
    expect(await engine.imageInspect('kodev.test/engine/corrupt:1')).toBeUndefined();
  });
});

describe('connectEngine with no daemon', () => {
  it.each([
    ['a socket that does not exist', 'unix:///nonexistent.sock', 'ENOENT'],
    ['a port nothing listens on', 'tcp://127.0.0.1:1', 'ECONNREFUSED'],
  ])('%s: says the daemon is unreachable and names DOCKER_HOST', async (_case, address, code) => {
    const missing = connectEngine({ DOCKER_HOST: address });
    try {
      const err = await missing.ping().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as UserError).message).toBe(
        `Docker daemon at ${address} (from DOCKER_HOST) is not reachable (${code})`,
      );
      expect((err as UserError).hint).toBe('start Docker or set DOCKER_HOST');
    } finally {
      await missing.close();
    }
  });
});

describe('withTag', () => {
  it.each([
    ['a bare repository gets :latest', 'ko.local/app', 'ko.local/app:latest'],
    ['a registry port is not a tag', 'localhost:5000/app', 'localhost:5000/app:latest'],
    ['a tag is kept', 'ko.local/app:v1', 'ko.local/app:v1'],
    ['a digest is kept', `ko.local/app@sha256:${'a'.repeat(64)}`, `ko.local/app@sha256:${'a'.repeat(64)}`],
    ['an image ID is kept', `sha256:${'b'.repeat(64)}`, `sha256:${'b'.repeat(64)}`],
  ])('%s', (_case, ref, want) => {
    expect(withTag(ref)).toBe(want);
  });
});
