import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SbomFormat, SbomInput } from '../../src/sbom/index.js';
import { GoVersionMSyntaxError, renderSbom, SBOM_FORMATS } from '../../src/sbom/index.js';
import type { BuiltProgram, GoProgram } from './go-binaries.js';
import { ARM_PROGRAM, buildProgram, REPLACE_PROGRAM, UUID_PROGRAM } from './go-binaries.js';
import type { Verdict } from './validators.js';
import { validateCyclonedx, validateSpdx } from './validators.js';

const COMMON = { created: '2024-05-06T07:08:09Z', toolName: 'kodev-0.1.0' };
const IMAGE_DIGEST = `sha256:${'ef'.repeat(32)}`;
const INDEX: SbomInput = {
  kind: 'index',
  indexDigest: `sha256:${'99'.repeat(32)}`,
  children: [
    { digest: `sha256:${'01'.repeat(32)}`, platform: { os: 'linux', architecture: 'amd64' } },
    { digest: `sha256:${'02'.repeat(32)}`, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
  ],
  ...COMMON,
};
const PROGRAMS: Record<string, GoProgram> = {
  uuid: UUID_PROGRAM,
  replace: REPLACE_PROGRAM,
  arm: ARM_PROGRAM,
};

let dir: string;
const built: Record<string, BuiltProgram> = {};

function imageInput(name: string, text = built[name]?.text ?? ''): SbomInput {
  return {
    kind: 'image',
    goVersionM: text,
    appPath: `/ko-app/${name}`,
    imageDigest: IMAGE_DIGEST,
    ...COMMON,
  };
}

function expectValid(verdicts: Verdict[]): void {
  for (const v of verdicts) expect(v, `${v.validator} said:\n${v.output}`).toMatchObject({ valid: true });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kodev-sbom-'));
  await Promise.all(
    Object.entries(PROGRAMS).map(async ([name, program]) => {
      built[name] = await buildProgram(program);
    }),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('renderSbom', () => {
  it.each<[SbomFormat, string, string]>([
    ['spdx', 'text/spdx+json', 'spdx.json'],
    ['cyclonedx', 'application/vnd.cyclonedx+json', 'cyclonedx.json'],
    ['go.version-m', 'application/vnd.go.version-m', 'go.version-m'],
  ])('%s: media type %s, extension %s', (format, mediaType, fileExtension) => {
    const out = renderSbom(format, imageInput('uuid'));
    expect(out).toMatchObject({ mediaType, fileExtension });
    expect(out?.bytes.length).toBeGreaterThan(100);
  });

  it.each<[string, SbomFormat, SbomInput]>([
    ['none for an image', 'none', imageInput('x', 'unused')],
    ['none for an index', 'none', INDEX],
    ['go.version-m for an index (each image has its own)', 'go.version-m', INDEX],
  ])('renders nothing: %s', (_name, format, input) => {
    expect(renderSbom(format, input)).toBeUndefined();
  });

  it.each(SBOM_FORMATS.filter((f) => f !== 'none'))(
    '%s rejects text that is not go version -m output',
    (format) => {
      expect(() => renderSbom(format, imageInput('x', 'go: command not found\n'))).toThrow(
        GoVersionMSyntaxError,
      );
    },
  );

  it('go.version-m is the go version -m text with the temp binary path replaced by the app path', () => {
    const { text, binary } = built.replace as BuiltProgram;
    const out = renderSbom('go.version-m', imageInput('replace'))?.bytes.toString('utf8');
    expect(out).toBe(text.replace(binary, '/ko-app/replace'));
    expect(out).not.toContain(binary);
  });

  it.each(['spdx', 'cyclonedx', 'go.version-m'] as const)(
    '%s is byte-identical for two builds of the same program in different temp dirs',
    async (format) => {
      const again = await buildProgram(UUID_PROGRAM);
      expect(again.binary).not.toBe(built.uuid?.binary);
      const a = renderSbom(format, imageInput('uuid'))?.bytes;
      const b = renderSbom(format, imageInput('uuid', again.text))?.bytes;
      expect(a && b && a.equals(b)).toBe(true);
      expect(renderSbom(format, imageInput('uuid'))?.bytes.equals(a as Buffer)).toBe(true);
    },
  );
});

describe('independent validators accept what kodev writes', () => {
  const cases: [string, () => SbomInput][] = [
    ...Object.keys(PROGRAMS).map((name): [string, () => SbomInput] => [
      `image ${name}`,
      () => imageInput(name),
    ]),
    ['index', () => INDEX],
  ];

  it.each(cases)('SPDX for %s passes pyspdxtools and tools-java Verify', async (name, input) => {
    const out = renderSbom('spdx', input());
    const file = join(dir, `${name.replace(' ', '-')}.${out?.fileExtension}`);
    await writeFile(file, out?.bytes ?? '');
    expectValid(await validateSpdx(file));
  });

  it('CycloneDX for every case passes the CycloneDX 1.5 strict schema and model checks', async () => {
    const files = await Promise.all(
      cases.map(async ([name, input]) => {
        const out = renderSbom('cyclonedx', input());
        const file = join(dir, `${name.replace(' ', '-')}.${out?.fileExtension}`);
        await writeFile(file, out?.bytes ?? '');
        return file;
      }),
    );
    const verdicts = await validateCyclonedx(files);
    expect(verdicts).toHaveLength(cases.length);
    expectValid(verdicts);
  });
});
