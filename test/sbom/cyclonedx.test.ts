import { beforeAll, describe, expect, it } from 'vitest';
import type { GoBuildInfo } from '../../src/sbom/buildinfo.js';
import { parseGoVersionM } from '../../src/sbom/buildinfo.js';
import type { CyclonedxBom } from '../../src/sbom/cyclonedx.js';
import { cyclonedxForImage, cyclonedxForIndex, uuidV5Urn } from '../../src/sbom/cyclonedx.js';
import { buildProgram, REPLACE_PROGRAM } from './go-binaries.js';

const DIGEST = `sha256:${'cd'.repeat(32)}`;
const OPTS = {
  appPath: '/ko-app/rep',
  imageDigest: DIGEST,
  created: '2024-05-06T07:08:09Z',
  toolName: 'kodev-0.1.0',
};
const UUID_URN = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('cyclonedxForImage', () => {
  let rep: GoBuildInfo;
  let bom: CyclonedxBom;
  beforeAll(async () => {
    rep = parseGoVersionM((await buildProgram(REPLACE_PROGRAM)).text);
    bom = cyclonedxForImage(rep, OPTS);
  });

  it('is a CycloneDX 1.5 BOM with a serial number derived from the digest', () => {
    expect(bom).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.5', version: 1 });
    expect(bom.serialNumber).toMatch(UUID_URN);
    expect(cyclonedxForImage(rep, { ...OPTS, created: '2025-01-01T00:00:00Z' }).serialNumber).toBe(
      bom.serialNumber,
    );
    expect(
      cyclonedxForImage(rep, { ...OPTS, imageDigest: `sha256:${'ce'.repeat(32)}` }).serialNumber,
    ).not.toBe(bom.serialNumber);
  });

  it('names the tool, time and image in metadata, with the main module as the subject', () => {
    expect(bom.metadata.timestamp).toBe('2024-05-06T07:08:09Z');
    expect(bom.metadata.tools).toEqual({
      components: [{ type: 'application', name: 'kodev', version: '0.1.0' }],
    });
    expect(bom.metadata.component).toEqual({
      'bom-ref': `pkg:golang/example.com/rep@${rep.main.version}`,
      type: 'application',
      name: 'example.com/rep',
      version: rep.main.version,
      purl: `pkg:golang/example.com/rep@${rep.main.version}`,
      properties: [
        { name: 'kodev:app-path', value: '/ko-app/rep' },
        { name: 'kodev:go-version', value: rep.goVersion },
        { name: 'kodev:main-package', value: 'example.com/rep' },
      ],
    });
    expect(bom.metadata.properties).toEqual([
      { name: 'kodev:image-digest', value: DIGEST },
      { name: 'kodev:image-purl', value: `pkg:oci/image@${DIGEST}?arch=${rep.settings.GOARCH}&os=linux` },
    ]);
  });

  it('lists each linked module as a library with purl and SHA-256', () => {
    expect(bom.components).toEqual([
      {
        'bom-ref': 'pkg:golang/example.com/greet',
        type: 'library',
        name: 'example.com/greet',
        version: '(devel)',
        purl: 'pkg:golang/example.com/greet',
        properties: [
          { name: 'kodev:replaces', value: 'example.com/greet v0.0.0' },
          { name: 'kodev:local-dir', value: './greet' },
        ],
      },
      {
        'bom-ref': 'pkg:golang/github.com/dgrijalva/jwt-go@v3.2.0%2Bincompatible',
        type: 'library',
        name: 'github.com/dgrijalva/jwt-go',
        version: 'v3.2.0+incompatible',
        hashes: [
          { alg: 'SHA-256', content: 'eea94e1a58842995d30e0e8e4e37e804a0d75abba608032997f4c5438ff990b3' },
        ],
        purl: 'pkg:golang/github.com/dgrijalva/jwt-go@v3.2.0%2Bincompatible',
      },
      {
        'bom-ref': 'pkg:golang/github.com/google/uuid@v1.5.0',
        type: 'library',
        name: 'github.com/google/uuid',
        version: 'v1.5.0',
        hashes: [
          { alg: 'SHA-256', content: 'd69ebb918c1db578dbd202f404f88fd40bfdc2264fa3903ccf671691367e7b25' },
        ],
        purl: 'pkg:golang/github.com/google/uuid@v1.5.0',
        properties: [{ name: 'kodev:replaces', value: 'github.com/google/uuid v1.6.0' }],
      },
    ]);
  });

  it('makes the main module depend on every library', () => {
    expect(bom.dependencies).toEqual([
      { ref: bom.metadata.component['bom-ref'], dependsOn: bom.components.map((c) => c['bom-ref']) },
    ]);
  });

  it('is the same JSON for the same inputs', () => {
    expect(JSON.stringify(cyclonedxForImage(rep, OPTS))).toBe(JSON.stringify(bom));
  });
});

describe('cyclonedxForIndex', () => {
  it('has the index as the container subject and one container per image', () => {
    const a = `sha256:${'01'.repeat(32)}`;
    const bom = cyclonedxForIndex([{ digest: a, platform: { os: 'linux', architecture: 'arm64' } }], {
      indexDigest: DIGEST,
      created: '1970-01-01T00:00:00Z',
      toolName: 'kodev',
    });
    expect(bom.metadata.component).toEqual({
      'bom-ref': `pkg:oci/image@${DIGEST}`,
      type: 'container',
      name: DIGEST,
      purl: `pkg:oci/image@${DIGEST}`,
    });
    expect(bom.metadata.tools.components).toEqual([{ type: 'application', name: 'kodev' }]);
    expect(bom.components).toEqual([
      {
        'bom-ref': `pkg:oci/image@${a}?arch=arm64&os=linux`,
        type: 'container',
        name: a,
        purl: `pkg:oci/image@${a}?arch=arm64&os=linux`,
      },
    ]);
    expect(bom.dependencies).toEqual([
      { ref: `pkg:oci/image@${DIGEST}`, dependsOn: [`pkg:oci/image@${a}?arch=arm64&os=linux`] },
    ]);
  });
});

describe('uuidV5Urn', () => {
  it.each([
    // Expected values from Python: uuid.uuid5(uuid.NAMESPACE_URL, name).
    ['https://example.com/', 'urn:uuid:dd2c1780-811a-5296-81c5-178a0ef488bc'],
  ])('%s', (name, want) => {
    expect(uuidV5Urn(name)).toBe(want);
  });
});
