/** The seam between "make an image" and "put it somewhere". */
import type { Artifact } from '../oci/image.js';
import type { RenderedSbom } from '../sbom/index.js';

/** What a build produced for one reference. */
export interface BuildResult {
  /** The fully qualified import path that was built. */
  importPath: string;
  artifact: Artifact;
  /** SBOMs by the digest of the image or index they describe (empty with --sbom=none). */
  sboms: Map<string, RenderedSbom>;
}

/** Builds one image (or index) for a `ko://`, import path or `./dir` reference. */
export interface Builder {
  build(ref: string, signal?: AbortSignal): Promise<BuildResult>;
}
