/**
 * SPDX 2.3 JSON documents for a Go image and for an image index, shaped like
 * ko's `--sbom=spdx` output: the image as a CONTAINER package that CONTAINS
 * the main module (APPLICATION), which DEPENDS_ON one package per linked
 * module, each with a `pkg:golang` purl and its go.sum hash as SHA256. Every
 * field comes from the inputs (no random UUIDs, no clock), so the same inputs
 * give the same document.
 */
import type { GoBuildInfo } from './buildinfo.js';
import { linkedModules, uniqueId } from './modules.js';
import type { ImageSbomOptions, IndexChild, IndexSbomOptions } from './options.js';
import { parseDigest, platformFromSettings, requireText, sbomTimestamp } from './options.js';
import { golangPurl, ociPurl } from './purl.js';

/** An SPDX checksum; SPDX wants lowercase hex. */
export interface SpdxChecksum {
  algorithm: 'SHA256';
  checksumValue: string;
}

/** An SPDX external reference; here always a purl. */
export interface SpdxExternalRef {
  referenceCategory: 'PACKAGE-MANAGER';
  referenceType: 'purl';
  referenceLocator: string;
}

/** An SPDX package as kodev writes it (files are never analysed, licenses never asserted). */
export interface SpdxPackage {
  SPDXID: string;
  name: string;
  versionInfo?: string;
  packageFileName?: string;
  downloadLocation: 'NOASSERTION';
  filesAnalyzed: false;
  checksums?: SpdxChecksum[];
  licenseConcluded: 'NOASSERTION';
  licenseDeclared: 'NOASSERTION';
  copyrightText: 'NOASSERTION';
  comment?: string;
  externalRefs: SpdxExternalRef[];
  primaryPackagePurpose: 'CONTAINER' | 'APPLICATION' | 'LIBRARY';
}

/** A relationship between two SPDX elements. */
export interface SpdxRelationship {
  spdxElementId: string;
  relationshipType: 'DESCRIBES' | 'CONTAINS' | 'DEPENDS_ON' | 'VARIANT_OF';
  relatedSpdxElement: string;
}

/** An SPDX 2.3 document as serialized to JSON (`text/spdx+json`). */
export interface SpdxDocument {
  spdxVersion: 'SPDX-2.3';
  dataLicense: 'CC0-1.0';
  SPDXID: 'SPDXRef-DOCUMENT';
  name: string;
  documentNamespace: string;
  creationInfo: { created: string; creators: string[] };
  packages: SpdxPackage[];
  relationships: SpdxRelationship[];
}

const DOCUMENT = 'SPDXRef-DOCUMENT';

// SPDX ids allow only letters, digits, '.' and '-'; "(devel)" becomes "devel".
function idPart(s: string): string {
  return s
    .replace(/[()]/g, '')
    .replaceAll('/', '.')
    .replace(/[^A-Za-z0-9.-]/g, '-');
}

function purlRef(locator: string): SpdxExternalRef[] {
  return [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: locator }];
}

function unasserted() {
  return {
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: 'NOASSERTION',
    copyrightText: 'NOASSERTION',
  } as const;
}

function imagePackage(id: string, digest: string, purl: string): SpdxPackage {
  return {
    SPDXID: id,
    name: digest,
    ...unasserted(),
    externalRefs: purlRef(purl),
    primaryPackagePurpose: 'CONTAINER',
  };
}

function imageId(digest: string): string {
  const { algorithm, encoded } = parseDigest(digest);
  return `SPDXRef-Package-${idPart(algorithm)}-${idPart(encoded)}`;
}

function document(
  digest: string,
  created: string,
  toolName: string,
): Omit<SpdxDocument, 'packages' | 'relationships'> {
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: DOCUMENT,
    name: `sbom-${digest}`,
    // Unique per image and stable across runs, like ko's (which uses spdx.org/spdxdocs/ko/).
    documentNamespace: `https://spdx.org/spdxdocs/kodev/${digest}`,
    creationInfo: {
      created: sbomTimestamp(created),
      creators: [`Tool: ${requireText('toolName', toolName)}`],
    },
  };
}

function relate(a: string, type: SpdxRelationship['relationshipType'], b: string): SpdxRelationship {
  return { spdxElementId: a, relationshipType: type, relatedSpdxElement: b };
}

/** The SPDX 2.3 document for one image holding one Go binary at `opts.appPath`. */
export function spdxForImage(info: GoBuildInfo, opts: ImageSbomOptions): SpdxDocument {
  const doc = document(opts.imageDigest, opts.created, opts.toolName);
  const taken = new Set<string>([DOCUMENT]);
  const image = uniqueId(imageId(opts.imageDigest), taken);
  const platform = platformFromSettings(info.settings);
  const main = uniqueId(`SPDXRef-Package-${idPart(info.main.path)}-${idPart(info.main.version)}`, taken);
  const packages: SpdxPackage[] = [
    imagePackage(image, opts.imageDigest, ociPurl(opts.imageDigest, platform)),
    {
      SPDXID: main,
      name: info.main.path,
      versionInfo: info.main.version,
      packageFileName: requireText('appPath', opts.appPath),
      ...unasserted(),
      comment: `main package ${info.path}, built with ${info.goVersion}`,
      externalRefs: purlRef(golangPurl(info.main.path, info.main.version)),
      primaryPackagePurpose: 'APPLICATION',
    },
  ];
  const relationships = [relate(DOCUMENT, 'DESCRIBES', image), relate(image, 'CONTAINS', main)];
  for (const mod of linkedModules(info)) {
    const id = uniqueId(`SPDXRef-Package-${idPart(mod.path)}-${idPart(mod.version)}`, taken);
    const replaced = mod.replaces && `replaces ${mod.replaces.path} ${mod.replaces.version}`;
    const comment = mod.localDir ? `${replaced} with local directory ${mod.localDir}` : replaced;
    packages.push({
      SPDXID: id,
      name: mod.path,
      versionInfo: mod.version,
      ...unasserted(),
      ...(mod.sha256 ? { checksums: [{ algorithm: 'SHA256', checksumValue: mod.sha256 }] } : {}),
      ...(comment ? { comment } : {}),
      externalRefs: purlRef(golangPurl(mod.path, mod.version)),
      primaryPackagePurpose: 'LIBRARY',
    });
    relationships.push(relate(main, 'DEPENDS_ON', id));
  }
  return { ...doc, packages, relationships };
}

/** The SPDX 2.3 document for an image index: the index and one VARIANT_OF package per image. */
export function spdxForIndex(children: readonly IndexChild[], opts: IndexSbomOptions): SpdxDocument {
  const doc = document(opts.indexDigest, opts.created, opts.toolName);
  const taken = new Set<string>([DOCUMENT]);
  const index = uniqueId(imageId(opts.indexDigest), taken);
  const packages = [imagePackage(index, opts.indexDigest, ociPurl(opts.indexDigest))];
  const relationships = [relate(DOCUMENT, 'DESCRIBES', index)];
  for (const child of children) {
    const id = uniqueId(imageId(child.digest), taken);
    packages.push(imagePackage(id, child.digest, ociPurl(child.digest, child.platform)));
    relationships.push(relate(id, 'VARIANT_OF', index));
  }
  return { ...doc, packages, relationships };
}
