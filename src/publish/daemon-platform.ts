/** Picks, from a multi-platform build, the one image a Docker daemon (or its kind nodes) can run. */
import { UserError } from '../errors.js';
import type { Image, ImageIndex } from '../oci/image.js';
import { formatPlatform } from '../oci/platform.js';
import type { Platform } from '../oci/types.js';

/**
 * Returns the index child for platform `want`; a missing variant on either
 * side matches any. `where` says what runs there, for the error
 * ("the Docker daemon at unix:///..." or "the kind nodes at ...").
 */
export function childForPlatform(
  importPath: string,
  index: ImageIndex,
  want: Platform,
  where: string,
  target: string,
): Image {
  const child = index.children.find(({ descriptor: { platform: p } }) => {
    if (!p || p.os !== want.os || p.architecture !== want.architecture) return false;
    return !want.variant || !p.variant || p.variant === want.variant;
  });
  if (child) return child.image;
  const built = index.children
    .map((c) => (c.descriptor.platform ? formatPlatform(c.descriptor.platform) : 'unknown'))
    .filter((p) => !p.startsWith('unknown'))
    .join(', ');
  const runs = formatPlatform(want);
  throw new UserError(
    `${importPath} was built for ${built || 'no known platform'}, but ${where} ${where.includes('nodes') ? 'run' : 'runs'} ${runs}`,
    {
      hint: `add ${runs} to --platform (or set it in defaultPlatforms) to load the image into ${target}`,
    },
  );
}
