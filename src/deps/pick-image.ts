/**
 * Picks the one image `kodev deps` reads from what a reference names: an
 * image as it is, or the first image of an index whose platform matches.
 * Pure.
 */
import { UserError } from '../errors.js';
import type { Artifact, Image } from '../oci/image.js';
import { formatPlatform, PlatformMatcher } from '../oci/platform.js';
import type { Platform } from '../oci/types.js';

/**
 * Returns the image itself for a single image (whatever its platform, as ko
 * does), or the index child matching `platform` (`os/arch[/variant]`).
 * Throws a UserError listing the index's platforms when none matches.
 */
export function pickImage(artifact: Artifact, platform: string, name: string): Image {
  if (artifact.kind === 'image') return artifact;
  const matcher = new PlatformMatcher([platform]);
  const platforms = artifact.children.map((c) => c.descriptor.platform ?? configPlatform(c.image));
  const i = platforms.findIndex((p) => matcher.matches(p));
  const found = artifact.children[i];
  if (found) return found.image;
  const available = platforms.filter((p) => p.os !== 'unknown').map(formatPlatform);
  throw new UserError(
    `${name} has no image for ${platform} (it has ${available.length ? available.join(', ') : 'no images'})`,
    { hint: `pick one with --platform, e.g. --platform ${available[0] ?? 'linux/amd64'}` },
  );
}

function configPlatform(image: Image): Platform {
  const c = image.config;
  return { os: c.os, architecture: c.architecture, ...(c.variant ? { variant: c.variant } : {}) };
}
