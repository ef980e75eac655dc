import { beforeAll, describe, expect, it } from 'vitest';
import type { GoBuildInfo } from '../../src/sbom/buildinfo.js';
import { parseGoVersionM } from '../../src/sbom/buildinfo.js';
import { SbomInputError } from '../../src/sbom/options.js';
import type { SpdxDocument, SpdxPackage } from '../../src/sbom/spdx.js';
import { spdxForImage, spdxForIndex } from '../../src/sbom/spdx.js';
import { ARM_PROGRAM, buildProgram, REPLACE_PROGRAM } from './go-binaries.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const HEX = 'ab'.repeat(32);
const OPTS = {
  appPath: '/ko-app/rep',
  imageDigest: DIGEST,
  created: '2024-05-06T09:08:09.5+02:00',
  toolName: 'kodev-0.1.0',
};

function pkg(doc: SpdxDocument, name: string): SpdxPackage {
  const found = doc.packages.find((p) => p.name === name);
  if (!found) throw new Error(`no package ${name} in ${doc.packages.map((p) => p.name).join(', ')}`);
  return found;
}

describe('spdxForImage', () => {
  let rep: GoBuildInfo;
  let arm: GoBuildInfo;
  let doc: SpdxDocument;
  beforeAll(async () => {
    [rep, arm] = (await Promise.all([REPLACE_PROGRAM, ARM_PROGRAM].map(buildProgram))).map((b) =>
      parseGoVersionM(b.text),
    ) as [GoBuildInfo, GoBuildInfo];
    doc = spdxForImage(rep, OPTS);
  });

  it('fills the document header from the digest, time and tool', () => {
    expect(doc).toMatchObject({
      spdxVersion: 'SPDX-2.3',
      dataLicense: 'CC0-1.0',
      SPDXID: 'SPDXRef-DOCUMENT',
      name: `sbom-${DIGEST}`,
      documentNamespace: `https://spdx.org/spdxdocs/kodev/${DIGEST}`,
      creationInfo: { created: '2024-05-06T07:08:09Z', creators: ['Tool: kodev-0.1.0'] },
    });
  });

  it('describes the image as a CONTAINER with an oci purl for the binary platform', () => {
    const image = doc.packages[0] as SpdxPackage;
    expect(image).toMatchObject({
      SPDXID: `SPDXRef-Package-sha256-${HEX}`,
      name: DIGEST,
      primaryPackagePurpose: 'CONTAINER',
    });
    expect(image.externalRefs[0]?.referenceLocator).toBe(
      `pkg:oci/image@sha256:${HEX}?arch=${rep.settings.GOARCH}&os=linux`,
    );
    const armImage = spdxForImage(arm, OPTS).packages[0] as SpdxPackage;
    expect(armImage.externalRefs[0]?.referenceLocator).toBe(
      `pkg:oci/image@sha256:${HEX}?arch=arm&os=linux&variant=v7`,
    );
  });

  it('describes the main module as the APPLICATION at the app path', () => {
    expect(pkg(doc, 'example.com/rep')).toMatchObject({
      versionInfo: rep.main.version,
      packageFileName: '/ko-app/rep',
      primaryPackagePurpose: 'APPLICATION',
      externalRefs: [
        { referenceType: 'purl', referenceLocator: `pkg:golang/example.com/rep@${rep.main.version}` },
      ],
    });
  });

  it.each<[string, string, string | undefined, string, string | undefined]>([
    [
      'example.com/greet',
      '(devel)',
      undefined,
      'pkg:golang/example.com/greet',
      'replaces example.com/greet v0.0.0 with local directory ./greet',
    ],
    [
      'github.com/dgrijalva/jwt-go',
      'v3.2.0+incompatible',
      'eea94e1a58842995d30e0e8e4e37e804a0d75abba608032997f4c5438ff990b3',
      'pkg:golang/github.com/dgrijalva/jwt-go@v3.2.0%2Bincompatible',
      undefined,
    ],
    [
      'github.com/google/uuid',
      'v1.5.0',
      'd69ebb918c1db578dbd202f404f88fd40bfdc2264fa3903ccf671691367e7b25',
      'pkg:golang/github.com/google/uuid@v1.5.0',
      'replaces github.com/google/uuid v1.6.0',
    ],
  ])(
    'lists dep %s %s as linked, with checksum, purl and replace note',
    (name, version, sha256, purl, comment) => {
      const p = pkg(doc, name);
      expect(p.versionInfo).toBe(version);
      expect(p.primaryPackagePurpose).toBe('LIBRARY');
      expect(p.checksums).toEqual(sha256 ? [{ algorithm: 'SHA256', checksumValue: sha256 }] : undefined);
      expect(p.externalRefs).toEqual([
        { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: purl },
      ]);
      expect(p.comment).toBe(comment);
      expect(p.SPDXID).toMatch(/^SPDXRef-[A-Za-z0-9.-]+$/);
    },
  );

  it('relates document, image, main module and deps', () => {
    const image = `SPDXRef-Package-sha256-${HEX}`;
    const main = pkg(doc, 'example.com/rep').SPDXID;
    expect(doc.relationships.map((r) => [r.spdxElementId, r.relationshipType, r.relatedSpdxElement])).toEqual(
      [
        ['SPDXRef-DOCUMENT', 'DESCRIBES', image],
        [image, 'CONTAINS', main],
        [main, 'DEPENDS_ON', 'SPDXRef-Package-example.com.greet-devel'],
        [main, 'DEPENDS_ON', 'SPDXRef-Package-github.com.dgrijalva.jwt-go-v3.2.0-incompatible'],
        [main, 'DEPENDS_ON', 'SPDXRef-Package-github.com.google.uuid-v1.5.0'],
      ],
    );
  });

  it('gives two modules whose ids collide after escaping distinct ids', () => {
    const info: GoBuildInfo = {
      ...rep,
      deps: [
        { path: 'example.com/a_b', version: 'v1.0.0' },
        { path: 'example.com/a+b', version: 'v1.0.0' },
      ],
    };
    const ids = spdxForImage(info, OPTS).packages.map((p) => p.SPDXID);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain('SPDXRef-Package-example.com.a-b-v1.0.0-2');
  });

  it('is the same JSON for the same inputs', () => {
    expect(JSON.stringify(spdxForImage(rep, OPTS))).toBe(JSON.stringify(spdxForImage(rep, { ...OPTS })));
  });

  it.each<[string, Partial<typeof OPTS>, RegExp]>([
    ['a digest without algorithm', { imageDigest: HEX }, /invalid image digest/],
    ['a time without zone', { created: '2024-05-06T07:08:09' }, /invalid creation time/],
    ['an impossible date', { created: '2024-02-30T07:08:09Z' }, /invalid creation time/],
    ['an empty app path', { appPath: '' }, /appPath must not be empty/],
    ['an empty tool name', { toolName: ' ' }, /toolName must not be empty/],
  ])('rejects %s', (_name, override, message) => {
    expect(() => spdxForImage(rep, { ...OPTS, ...override })).toThrow(SbomInputError);
    expect(() => spdxForImage(rep, { ...OPTS, ...override })).toThrow(message);
  });
});

describe('spdxForIndex', () => {
  const a = `sha256:${'01'.repeat(32)}`;
  const b = `sha256:${'02'.repeat(32)}`;
  const doc = spdxForIndex(
    [
      { digest: a, platform: { os: 'linux', architecture: 'amd64' } },
      { digest: b, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
    ],
    { indexDigest: DIGEST, created: '1970-01-01T00:00:00Z', toolName: 'kodev-0.1.0' },
  );

  it('has the index and one package per image, each a VARIANT_OF the index', () => {
    expect(doc.name).toBe(`sbom-${DIGEST}`);
    expect(doc.packages.map((p) => [p.name, p.externalRefs[0]?.referenceLocator])).toEqual([
      [DIGEST, `pkg:oci/image@sha256:${HEX}`],
      [a, `pkg:oci/image@sha256:${'01'.repeat(32)}?arch=amd64&os=linux`],
      [b, `pkg:oci/image@sha256:${'02'.repeat(32)}?arch=arm&os=linux&variant=v7`],
    ]);
    const index = `SPDXRef-Package-sha256-${HEX}`;
    expect(doc.relationships.map((r) => [r.spdxElementId, r.relationshipType, r.relatedSpdxElement])).toEqual(
      [
        ['SPDXRef-DOCUMENT', 'DESCRIBES', index],
        [`SPDXRef-Package-sha256-${'01'.repeat(32)}`, 'VARIANT_OF', index],
        [`SPDXRef-Package-sha256-${'02'.repeat(32)}`, 'VARIANT_OF', index],
      ],
    );
  });
});
