/** The seam between "make an image" and "put it somewhere". */
import type { Artifact } from '../oci/image.js';

/** What a build produced for one reference. */
export interface BuildResult {
  /** The fully qualified import path that was built. */
  importPath: string;
  artifact: Artifact;
}

/** Builds one image (or index) for a `ko://`, import path or `./dir` reference. */
export interface Builder {
  build(ref: string, signal?: AbortSignal): Promise<BuildResult>;
}
