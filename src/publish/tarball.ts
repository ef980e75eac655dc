/** Writes built images into one docker-loadable tarball (`--tarball`). */
import type { BuildResult } from '../build/builder.js';
import { UserError } from '../errors.js';
import { type ArchiveImage, writeDockerArchive } from '../oci/docker-archive.js';
import { imageName, type NamingStrategy } from './naming.js';
import type { Publisher } from './publisher.js';

/** Collects images and writes the archive once, on close, tagged `<repo>/<name>:<tag>`. */
export class TarballPublisher implements Publisher {
  private readonly images: ArchiveImage[] = [];

  constructor(
    private readonly file: string,
    private readonly repo: string,
    private readonly naming: NamingStrategy,
    private readonly tags: readonly string[],
  ) {}

  validate(result: BuildResult): void {
    const a = result.artifact;
    if (a.kind !== 'image') {
      throw new UserError(
        `--tarball: ${result.importPath} built for ${a.children.length} platforms; a docker tarball holds one image per name`,
        {
          hint: 'pass a single --platform with --tarball, or use --oci-layout-path for multi-platform output',
        },
      );
    }
  }

  async publish(result: BuildResult): Promise<string> {
    this.validate(result);
    const a = result.artifact;
    if (a.kind !== 'image') throw new Error('unreachable: validated above');
    const name = imageName(this.repo, result.importPath, this.naming);
    this.images.push({ image: a, tags: this.tags.map((t) => `${name}:${t}`) });
    return `${name}@${a.digest}`;
  }

  async close(): Promise<void> {
    if (this.images.length > 0) await writeDockerArchive(this.file, this.images);
  }
}
