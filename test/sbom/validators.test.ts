import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CyclonedxBom } from '../../src/sbom/cyclonedx.js';
import { cyclonedxForIndex } from '../../src/sbom/cyclonedx.js';
import type { IndexChild } from '../../src/sbom/options.js';
import type { SpdxDocument } from '../../src/sbom/spdx.js';
import { spdxForIndex } from '../../src/sbom/spdx.js';
import type { Verdict } from './validators.js';
import { validateCyclonedx, validateSpdx } from './validators.js';

// The validators must really check: each broken document below is rejected.
const CHILDREN: IndexChild[] = [
  { digest: `sha256:${'01'.repeat(32)}`, platform: { os: 'linux', architecture: 'amd64' } },
];
const OPTS = {
  indexDigest: `sha256:${'99'.repeat(32)}`,
  created: '1970-01-01T00:00:00Z',
  toolName: 'kodev-0.1.0',
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kodev-sbom-bad-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, doc: unknown): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, JSON.stringify(doc));
  return file;
}

describe('SPDX validators reject broken documents', () => {
  it.each<[string, string, string, (d: SpdxDocument) => void]>([
    [
      'an unknown package field',
      'tools-java Verify',
      'bogus',
      (d) => Object.assign(d.packages[0] as object, { bogus: 1 }),
    ],
    [
      'an SPDXID with a +',
      'pyspdxtools',
      'SPDXRef-a+b',
      (d) => Object.assign(d.packages[0] as object, { SPDXID: 'SPDXRef-a+b' }),
    ],
    [
      'a short SHA256',
      'pyspdxtools',
      'must consist of 64 lowercase hexadecimal digits',
      (d) =>
        Object.assign(d.packages[0] as object, { checksums: [{ algorithm: 'SHA256', checksumValue: 'ab' }] }),
    ],
    [
      'a time with milliseconds',
      'tools-java Verify',
      'Invalid date format',
      (d) => (d.creationInfo.created = '1970-01-01T00:00:00.000Z'),
    ],
    [
      'a relationship to a missing element',
      'pyspdxtools',
      'SPDXRef-nothing',
      (d) => Object.assign(d.relationships[0] as object, { relatedSpdxElement: 'SPDXRef-nothing' }),
    ],
  ])('%s (caught by %s)', async (name, validator, says, breakIt) => {
    const doc = spdxForIndex(CHILDREN, OPTS);
    breakIt(doc);
    const verdicts = await validateSpdx(await write(`${name.replaceAll(' ', '-')}.spdx.json`, doc));
    const verdict = verdicts.find((v) => v.validator === validator);
    expect(verdict).toMatchObject({ valid: false });
    expect(verdict?.output).toContain(says);
  });
});

const BROKEN_BOMS: [string, string, (b: CyclonedxBom) => void][] = [
  ['an unknown top-level field', "'bogus' was unexpected", (b) => Object.assign(b, { bogus: 1 })],
  ['a serial number that is not a UUID URN', 'serialNumber', (b) => (b.serialNumber = 'urn:uuid:nope')],
  [
    'a component without a type',
    "'type' is a required property",
    (b) => delete (b.components[0] as { type?: string }).type,
  ],
  [
    'a bad hash algorithm',
    "'SHA256' is not one of",
    (b) => Object.assign(b.components[0] as object, { hashes: [{ alg: 'SHA256', content: 'ab' }] }),
  ],
  [
    'a dependency on an unknown bom-ref',
    'UnknownComponentDependencyException',
    (b) => (b.dependencies[0] as { dependsOn: string[] }).dependsOn.push('pkg:oci/image@sha256:00'),
  ],
];

describe('the CycloneDX validator rejects broken BOMs', () => {
  // One validator process for all cases: importing it takes seconds.
  let verdicts: Verdict[];
  beforeAll(async () => {
    const files = await Promise.all(
      BROKEN_BOMS.map(([name, , breakIt]) => {
        const bom = cyclonedxForIndex(CHILDREN, OPTS);
        breakIt(bom);
        return write(`${name.replaceAll(' ', '-')}.cdx.json`, bom);
      }),
    );
    verdicts = await validateCyclonedx([
      ...files,
      await write('intact.cdx.json', cyclonedxForIndex(CHILDREN, OPTS)),
    ]);
  });

  it.each(BROKEN_BOMS.map(([name, says], i) => [name, says, i] as const))('%s', (_name, says, i) => {
    expect(verdicts[i]).toMatchObject({ valid: false });
    expect(verdicts[i]?.output).toContain(says);
  });

  it('accepts the same BOM unbroken', () => {
    expect(verdicts[BROKEN_BOMS.length]).toMatchObject({ valid: true });
  });
});
