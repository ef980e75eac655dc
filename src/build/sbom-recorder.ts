/**
 * Renders an SBOM for each built image and index (from `go version -m` of the
 * binary), records it by the digest it describes, and optionally writes it to
 * `--sbom-dir` with ko's file names (`<app>-<os>-<arch>.spdx.json`,
 * `<app>-index.spdx.json`).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Image, ImageIndex } from '../oci/image.js';
import type { Platform } from '../oci/types.js';
import { type RenderedSbom, renderSbom, type SbomFormat } from '../sbom/index.js';

/** Options for SBOM recording. */
export interface SbomRecorderOptions {
  format: SbomFormat;
  dir?: string;
  toolName: string;
}

/** Makes and keeps the SBOMs of one build. */
export class SbomRecorder {
  constructor(private readonly o: SbomRecorderOptions) {}

  /** True when SBOMs are wanted (so the builder runs `go version -m`). */
  get enabled(): boolean {
    return this.o.format !== 'none';
  }

  /** Records the SBOM of a single-platform image. */
  async image(
    sboms: Map<string, RenderedSbom>,
    image: Image,
    a: { appFileName: string; appPath: string; platform: Platform; goVersionM: string },
  ): Promise<void> {
    const sbom = renderSbom(this.o.format, {
      kind: 'image',
      goVersionM: a.goVersionM,
      appPath: a.appPath,
      imageDigest: image.digest,
      created: image.config.created ?? '1970-01-01T00:00:00Z',
      toolName: this.o.toolName,
    });
    if (!sbom) return;
    sboms.set(image.digest, sbom);
    const p = a.platform;
    await this.write(`${a.appFileName}-${[p.os, p.architecture, p.variant].filter(Boolean).join('-')}`, sbom);
  }

  /** Records the SBOM of an index (its children are recorded as they are built). */
  async index(sboms: Map<string, RenderedSbom>, index: ImageIndex, appFileName: string): Promise<void> {
    const sbom = renderSbom(this.o.format, {
      kind: 'index',
      children: index.children.map((c) => ({
        digest: c.descriptor.digest,
        platform: c.descriptor.platform ?? {
          os: c.image.config.os,
          architecture: c.image.config.architecture,
        },
      })),
      indexDigest: index.digest,
      created: index.children[0]?.image.config.created ?? '1970-01-01T00:00:00Z',
      toolName: this.o.toolName,
    });
    if (!sbom) return;
    sboms.set(index.digest, sbom);
    await this.write(`${appFileName}-index`, sbom);
  }

  private async write(name: string, sbom: RenderedSbom): Promise<void> {
    if (!this.o.dir) return;
    await mkdir(this.o.dir, { recursive: true });
    await writeFile(join(this.o.dir, `${name}.${sbom.fileExtension}`), sbom.bytes);
  }
}
