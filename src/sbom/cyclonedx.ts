/**
 * CycloneDX 1.5 JSON BOMs for a Go image and for an image index, like ko's
 * `--sbom=cyclonedx`: the main module is `metadata.component`, every linked
 * module a `library` component with its purl and go.sum hash, and the main
 * module depends on all of them. The serial number is a name-based UUID of
 * the image digest, so the same inputs give the same bytes.
 */
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import type { GoBuildInfo } from './buildinfo.js';
import { linkedModules, uniqueId } from './modules.js';
import type { ImageSbomOptions, IndexChild, IndexSbomOptions } from './options.js';
import { parseDigest, platformFromSettings, requireText, sbomTimestamp } from './options.js';
import { golangPurl, ociPurl } from './purl.js';

/** A name/value pair; kodev's own names start with `kodev:`. */
export interface CyclonedxProperty {
  name: string;
  value: string;
}

/** A CycloneDX component as kodev writes it. */
export interface CyclonedxComponent {
  'bom-ref'?: string;
  type: 'application' | 'library' | 'container';
  name: string;
  version?: string;
  hashes?: { alg: 'SHA-256'; content: string }[];
  purl?: string;
  properties?: CyclonedxProperty[];
}

/** One node of the dependency graph. */
export interface CyclonedxDependency {
  ref: string;
  dependsOn?: string[];
}

/** A CycloneDX 1.5 BOM as serialized to JSON (`application/vnd.cyclonedx+json`). */
export interface CyclonedxBom {
  bomFormat: 'CycloneDX';
  specVersion: '1.5';
  serialNumber: string;
  version: 1;
  metadata: {
    timestamp: string;
    tools: { components: CyclonedxComponent[] };
    component: CyclonedxComponent;
    properties?: CyclonedxProperty[];
  };
  components: CyclonedxComponent[];
  dependencies: CyclonedxDependency[];
}

// RFC 4122 URL namespace for name-based UUIDs.
const URL_NAMESPACE = Buffer.from('6ba7b8119dad11d180b400c04fd430c8', 'hex');

/** A version 5 (SHA-1, name-based) UUID URN: stable for a name, unique across names. */
export function uuidV5Urn(name: string): string {
  const b = createHash('sha1').update(URL_NAMESPACE).update(name, 'utf8').digest().subarray(0, 16);
  b[6] = ((b[6] as number) & 0x0f) | 0x50;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function tool(toolName: string): CyclonedxComponent {
  const m = /^(.+?)-(v?\d.*)$/.exec(requireText('toolName', toolName));
  return m
    ? { type: 'application', name: m[1] as string, version: m[2] as string }
    : { type: 'application', name: toolName };
}

function bom(
  digest: string,
  created: string,
  toolName: string,
  component: CyclonedxComponent,
): Omit<CyclonedxBom, 'components' | 'dependencies'> {
  parseDigest(digest);
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    // Name-based on the digest: one serial number per image, the same on every run.
    serialNumber: uuidV5Urn(`kodev/cyclonedx/${digest}`),
    version: 1,
    metadata: { timestamp: sbomTimestamp(created), tools: { components: [tool(toolName)] }, component },
  };
}

/** The CycloneDX 1.5 BOM for one image holding one Go binary at `opts.appPath`. */
export function cyclonedxForImage(info: GoBuildInfo, opts: ImageSbomOptions): CyclonedxBom {
  const taken = new Set<string>();
  const mainPurl = golangPurl(info.main.path, info.main.version);
  const main: CyclonedxComponent = {
    'bom-ref': uniqueId(mainPurl, taken),
    type: 'application',
    name: info.main.path,
    version: info.main.version,
    purl: mainPurl,
    properties: [
      { name: 'kodev:app-path', value: requireText('appPath', opts.appPath) },
      { name: 'kodev:go-version', value: info.goVersion },
      { name: 'kodev:main-package', value: info.path },
    ],
  };
  const components = linkedModules(info).map((mod): CyclonedxComponent => {
    const purl = golangPurl(mod.path, mod.version);
    const properties: CyclonedxProperty[] = [];
    if (mod.replaces)
      properties.push({ name: 'kodev:replaces', value: `${mod.replaces.path} ${mod.replaces.version}` });
    if (mod.localDir) properties.push({ name: 'kodev:local-dir', value: mod.localDir });
    return {
      'bom-ref': uniqueId(purl, taken),
      type: 'library',
      name: mod.path,
      version: mod.version,
      ...(mod.sha256 ? { hashes: [{ alg: 'SHA-256', content: mod.sha256 }] } : {}),
      purl,
      ...(properties.length > 0 ? { properties } : {}),
    };
  });
  const head = bom(opts.imageDigest, opts.created, opts.toolName, main);
  return {
    ...head,
    metadata: {
      ...head.metadata,
      properties: [
        { name: 'kodev:image-digest', value: opts.imageDigest },
        { name: 'kodev:image-purl', value: ociPurl(opts.imageDigest, platformFromSettings(info.settings)) },
      ],
    },
    components,
    dependencies: [
      { ref: main['bom-ref'] as string, dependsOn: components.map((c) => c['bom-ref'] as string) },
    ],
  };
}

function container(digest: string, purl: string, taken: Set<string>): CyclonedxComponent {
  parseDigest(digest);
  return { 'bom-ref': uniqueId(purl, taken), type: 'container', name: digest, purl };
}

/** The CycloneDX 1.5 BOM for an image index: the index as subject, one container per image. */
export function cyclonedxForIndex(children: readonly IndexChild[], opts: IndexSbomOptions): CyclonedxBom {
  const taken = new Set<string>();
  const index = container(opts.indexDigest, ociPurl(opts.indexDigest), taken);
  const components = children.map((c) => container(c.digest, ociPurl(c.digest, c.platform), taken));
  return {
    ...bom(opts.indexDigest, opts.created, opts.toolName, index),
    components,
    dependencies: [
      { ref: index['bom-ref'] as string, dependsOn: components.map((c) => c['bom-ref'] as string) },
    ],
  };
}
