import { describe, expect, it } from 'vitest';
import { pickImage } from '../../src/deps/pick-image.js';
import type { Image, ImageIndex } from '../../src/oci/image.js';
import type { Platform } from '../../src/oci/types.js';

function image(tag: string, platform: Platform): Image {
  return {
    kind: 'image',
    manifest: { schemaVersion: 2, config: { mediaType: '', digest: '', size: 0 }, layers: [] },
    manifestBytes: Buffer.alloc(0),
    digest: tag,
    config: { ...platform, config: {}, rootfs: { type: 'layers', diff_ids: [] } },
    configBytes: Buffer.alloc(0),
    layers: [],
  };
}

const AMD64 = { os: 'linux', architecture: 'amd64' };
const ARM64 = { os: 'linux', architecture: 'arm64', variant: 'v8' };
const ARMV7 = { os: 'linux', architecture: 'arm', variant: 'v7' };
const ATTESTATION = { os: 'unknown', architecture: 'unknown' };

function index(children: [string, Platform, boolean][]): ImageIndex {
  return {
    kind: 'index',
    index: { schemaVersion: 2, manifests: [] },
    indexBytes: Buffer.alloc(0),
    digest: 'index',
    children: children.map(([tag, platform, inDescriptor]) => ({
      descriptor: { mediaType: '', digest: tag, size: 0, ...(inDescriptor ? { platform } : {}) },
      image: image(tag, platform),
    })),
  };
}

describe('pickImage', () => {
  it.each<[string, Image | ImageIndex, string, string]>([
    ['a single image whatever its platform', image('one', ARM64), 'linux/amd64', 'one'],
    [
      'the index child whose descriptor matches',
      index([
        ['amd', AMD64, true],
        ['arm', ARM64, true],
      ]),
      'linux/arm64',
      'arm',
    ],
    [
      'a variant when asked for one',
      index([
        ['v8', ARM64, true],
        ['v7', ARMV7, true],
      ]),
      'linux/arm/v7',
      'v7',
    ],
    [
      'the config platform when the descriptor has none',
      index([['amd', AMD64, false]]),
      'linux/amd64',
      'amd',
    ],
  ])('%s', (_name, artifact, platform, want) => {
    expect(pickImage(artifact, platform, 'img').digest).toBe(want);
  });

  it('names the platforms an index has when none matches, without attestations', () => {
    const artifact = index([
      ['amd', AMD64, true],
      ['arm', ARMV7, true],
      ['att', ATTESTATION, true],
    ]);
    expect(() => pickImage(artifact, 'linux/s390x', 'reg/app:1')).toThrow(
      /^reg\/app:1 has no image for linux\/s390x \(it has linux\/amd64, linux\/arm\/v7\)$/,
    );
  });
});
