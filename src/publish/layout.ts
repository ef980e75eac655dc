/** Writes built artifacts into an OCI image layout directory (`--oci-layout-path`). */
import { resolve } from 'node:path';
import type { BuildResult } from '../build/builder.js';
import { writeOciLayout } from '../oci/layout-write.js';
import { imageName, type NamingStrategy } from './naming.js';
import type { Publisher } from './publisher.js';

/**
 * Adds each artifact to the layout, named (`org.opencontainers.image.ref.name`)
 * by the last component of its image name, so `skopeo`/`umoci` can select it.
 */
export class LayoutPublisher implements Publisher {
  constructor(
    private readonly dir: string,
    private readonly naming: NamingStrategy,
  ) {}

  async publish(result: BuildResult): Promise<string> {
    const name = imageName('layout', result.importPath, this.naming).split('/').pop() ?? 'image';
    await writeOciLayout(this.dir, result.artifact, name);
    return `${resolve(this.dir)}@${result.artifact.digest}`;
  }
}
