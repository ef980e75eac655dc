/**
 * The Go build info of the binary an image runs: the entrypoint is copied to
 * a private temp dir, `go version -m` reads it, and the dir is removed again.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ExternalCommandError, UserError } from '../errors.js';
import { type GoTool, goVersionM } from '../gotool/go.js';
import type { Image } from '../oci/image.js';
import { type GoBuildInfo, GoVersionMSyntaxError, parseGoVersionM, withAppPath } from '../sbom/buildinfo.js';
import { extractEntrypoint } from './find-binary.js';

/** What `go version -m` says about an image's binary. */
export interface ImageBuildInfo {
  /** Where the binary is in the image, e.g. `/ko-app/app`. */
  appPath: string;
  /** `go version -m` output with the binary's path in the image on its first line. */
  goVersionM: string;
  info: GoBuildInfo;
}

/** Dependencies for `readImageBuildInfo`. */
export interface ReadBuildInfoOptions {
  go: GoTool;
  /** Where the private temp dir is made. */
  tmpDir: string;
  signal?: AbortSignal;
}

/**
 * Reads the build info of `image`'s entrypoint; `name` names the image in
 * errors. Throws a UserError when the entrypoint is missing or is not a Go
 * binary built in module mode.
 */
export async function readImageBuildInfo(
  image: Image,
  name: string,
  o: ReadBuildInfoOptions,
): Promise<ImageBuildInfo> {
  const dir = await mkdtemp(join(o.tmpDir, 'kodev-deps-'));
  try {
    const file = join(dir, 'binary');
    const appPath = await extractEntrypoint(image, name, file, o.signal);
    try {
      const text = withAppPath(await goVersionM(o.go, file), appPath);
      return { appPath, goVersionM: text, info: parseGoVersionM(text) };
    } catch (err) {
      if (!(err instanceof ExternalCommandError || err instanceof GoVersionMSyntaxError)) throw err;
      throw new UserError(`${appPath} in ${name} is not a Go binary built with module support`, {
        hint: 'kodev deps reads the module list Go links into binaries; use an image built by kodev or ko',
        cause: err,
      });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
