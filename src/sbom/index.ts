/**
 * SBOMs for kodev images, as ko's `--sbom` flag makes them: SPDX 2.3 JSON,
 * CycloneDX 1.5 JSON, or the raw `go version -m` text. `renderSbom` turns an
 * image's build info (or an index's images) into the bytes, media type and
 * file extension that publishers attach or write beside the image. Pure: the
 * caller runs `go version -m` and supplies the digest and creation time.
 */
import { Buffer } from 'node:buffer';
import { parseGoVersionM, withAppPath } from './buildinfo.js';
import { cyclonedxForImage, cyclonedxForIndex } from './cyclonedx.js';
import type { ImageSbomOptions, IndexChild, IndexSbomOptions } from './options.js';
import { spdxForImage, spdxForIndex } from './spdx.js';

export type { GoBuildInfo, GoDependency, GoModule } from './buildinfo.js';
export { GoVersionMSyntaxError, parseGoVersionM, withAppPath } from './buildinfo.js';
export type { CyclonedxBom } from './cyclonedx.js';
export { cyclonedxForImage, cyclonedxForIndex } from './cyclonedx.js';
export type { ImageSbomOptions, IndexChild, IndexSbomOptions } from './options.js';
export { SbomInputError } from './options.js';
export type { SpdxDocument } from './spdx.js';
export { spdxForImage, spdxForIndex } from './spdx.js';

/** The values of ko's `--sbom` flag. */
export type SbomFormat = 'spdx' | 'cyclonedx' | 'go.version-m' | 'none';

/** Every SbomFormat, for validating flag values. */
export const SBOM_FORMATS: readonly SbomFormat[] = ['spdx', 'cyclonedx', 'go.version-m', 'none'];

/** The media type of each SBOM format, as ko attaches them. */
export const SBOM_MEDIA_TYPES = {
  spdx: 'text/spdx+json',
  cyclonedx: 'application/vnd.cyclonedx+json',
  'go.version-m': 'application/vnd.go.version-m',
} as const satisfies Record<Exclude<SbomFormat, 'none'>, string>;

/** The file extension of each SBOM format, for `--sbom-dir` style output files. */
export const SBOM_FILE_EXTENSIONS = {
  spdx: 'spdx.json',
  cyclonedx: 'cyclonedx.json',
  'go.version-m': 'go.version-m',
} as const satisfies Record<Exclude<SbomFormat, 'none'>, string>;

/** What an SBOM describes: one image from its `go version -m` output, or an index. */
export type SbomInput =
  | ({ kind: 'image'; goVersionM: string } & ImageSbomOptions)
  | ({ kind: 'index'; children: readonly IndexChild[] } & IndexSbomOptions);

/** An SBOM ready to attach or write. */
export interface RenderedSbom {
  bytes: Buffer;
  mediaType: string;
  fileExtension: string;
}

function json(doc: unknown): Buffer {
  return Buffer.from(`${JSON.stringify(doc, null, 2)}\n`, 'utf8');
}

function render(format: Exclude<SbomFormat, 'none'>, input: SbomInput): Buffer | undefined {
  if (input.kind === 'index') {
    // ko has no go.version-m form for an index: each image carries its own.
    if (format === 'go.version-m') return undefined;
    return json(
      format === 'spdx' ? spdxForIndex(input.children, input) : cyclonedxForIndex(input.children, input),
    );
  }
  if (format === 'go.version-m') return Buffer.from(withAppPath(input.goVersionM, input.appPath), 'utf8');
  const info = parseGoVersionM(input.goVersionM);
  return json(format === 'spdx' ? spdxForImage(info, input) : cyclonedxForImage(info, input));
}

/**
 * Renders the SBOM of `format` for `input`; undefined for `none` and for a
 * `go.version-m` SBOM of an index. Throws GoVersionMSyntaxError or
 * SbomInputError on bad input.
 */
export function renderSbom(format: SbomFormat, input: SbomInput): RenderedSbom | undefined {
  if (format === 'none') return undefined;
  const bytes = render(format, input);
  return bytes && { bytes, mediaType: SBOM_MEDIA_TYPES[format], fileExtension: SBOM_FILE_EXTENSIONS[format] };
}
