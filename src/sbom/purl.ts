/**
 * Package URLs (purl) for what an SBOM lists: Go modules (`pkg:golang/...`)
 * and OCI images (`pkg:oci/...`). Scanners match vulnerabilities by these, so
 * they are built one way in one place.
 */
import type { Platform } from '../oci/types.js';

// Versions Go reports for code that has no release: a main module or a local directory.
const UNVERSIONED = new Set(['', '(devel)']);

/**
 * Percent-encodes one purl component: all but RFC 3986 unreserved characters,
 * keeping ':' literal as the purl spec's canonical form (and packageurl-python) do.
 */
export function purlEncode(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replaceAll('%3A', ':');
}

/** `pkg:golang/<module path>@<version>`; no version for `(devel)` code, which has none. */
export function golangPurl(path: string, version: string): string {
  const name = path.split('/').filter(Boolean).map(purlEncode).join('/');
  return `pkg:golang/${name}${UNVERSIONED.has(version) ? '' : `@${purlEncode(version)}`}`;
}

/**
 * `pkg:oci/image@<digest>?arch=..&os=..`. The repository is not known when the
 * SBOM is made (it is attached before publishing), so the name is `image`
 * as ko writes it; the platform goes in qualifiers, sorted by key.
 */
export function ociPurl(digest: string, platform?: Platform): string {
  const qualifiers: [string, string | undefined][] = [
    ['arch', platform?.architecture],
    ['os', platform?.os],
    ['variant', platform?.variant],
  ];
  const query = qualifiers
    .filter((q): q is [string, string] => Boolean(q[1]))
    .map(([k, v]) => `${k}=${purlEncode(v)}`)
    .join('&');
  return `pkg:oci/image@${purlEncode(digest)}${query ? `?${query}` : ''}`;
}
