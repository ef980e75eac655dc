/**
 * What every SBOM writer needs besides the build info: the image (or index)
 * it describes, the creation time and the tool name, all passed in so that
 * the same inputs always give the same bytes. Also the checks that turn bad
 * values into one clear error before any document is built.
 */
import type { Platform } from '../oci/types.js';

/** What an image SBOM records about the image that holds the Go binary. */
export interface ImageSbomOptions {
  /** Where the binary lives in the image, e.g. `/ko-app/server`. */
  appPath: string;
  /** The image manifest's digest, `sha256:<hex>`; it names and identifies the document. */
  imageDigest: string;
  /** Creation time (RFC 3339), passed in for reproducibility; ko uses the config's `created`. */
  created: string;
  /** The generating tool and its version, e.g. `kodev-0.1.0`. */
  toolName: string;
}

/** One image of an index: its manifest digest and platform. */
export interface IndexChild {
  digest: string;
  platform: Platform;
}

/** What an index SBOM records about the index itself. */
export interface IndexSbomOptions {
  /** The index's digest, `sha256:<hex>`. */
  indexDigest: string;
  /** Creation time (RFC 3339), passed in for reproducibility. */
  created: string;
  /** The generating tool and its version, e.g. `kodev-0.1.0`. */
  toolName: string;
}

/** An SBOM input that cannot describe anything: a bad digest, time or empty name. */
export class SbomInputError extends Error {
  override name = 'SbomInputError';
}

// The OCI digest grammar: algorithm ":" encoded.
const DIGEST = /^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/** Splits an OCI digest into algorithm and encoded parts; throws SbomInputError if malformed. */
export function parseDigest(digest: string): { algorithm: string; encoded: string } {
  const m = DIGEST.exec(digest);
  if (!m) throw new SbomInputError(`invalid image digest ${JSON.stringify(digest)}: want algorithm:hex`);
  return { algorithm: m[1] as string, encoded: m[2] as string };
}

/**
 * Converts an RFC 3339 time to the `YYYY-MM-DDThh:mm:ssZ` form that SPDX
 * requires (UTC, whole seconds); CycloneDX accepts the same form. Throws
 * SbomInputError on anything else.
 */
export function sbomTimestamp(created: string): string {
  const m = RFC3339.exec(created);
  const bad = () => new SbomInputError(`invalid creation time ${JSON.stringify(created)}: want RFC 3339`);
  if (!m) throw bad();
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const local = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  local.setUTCFullYear(y); // Date.UTC maps years 0-99 to 1900-1999.
  const fields = [local.getUTCMonth() + 1, local.getUTCDate(), local.getUTCHours(), local.getUTCMinutes()];
  if (fields.join() !== [mo, d, h, mi].join() || s > 59) throw bad();
  const offsetMinutes = m[7] ? (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9])) : 0;
  const utc = new Date(local.getTime() - offsetMinutes * 60_000);
  if (utc.getUTCFullYear() < 0 || utc.getUTCFullYear() > 9999) throw bad();
  return `${utc.toISOString().slice(0, 19)}Z`;
}

/** Throws SbomInputError when a required text option is empty. */
export function requireText(name: string, value: string): string {
  if (value.trim() === '') throw new SbomInputError(`${name} must not be empty`);
  return value;
}

/** The platform a Go binary was built for, from its GOOS/GOARCH/GOARM build settings. */
export function platformFromSettings(settings: Readonly<Record<string, string>>): Platform | undefined {
  const os = settings.GOOS;
  const architecture = settings.GOARCH;
  if (!os || !architecture) return undefined;
  // GOARM is "7" or, since Go 1.22, "7,softfloat"; OCI writes the variant as "v7".
  const arm = architecture === 'arm' ? /^(\d)/.exec(settings.GOARM ?? '') : null;
  return arm ? { os, architecture, variant: `v${arm[1]}` } : { os, architecture };
}
