/**
 * Platform strings (`os/arch[/variant][:osversion]`) and ko's matching rules
 * against base image index entries.
 */
import { UsageError } from '../errors.js';
import type { Platform } from './types.js';

/** Parses `linux/arm64`, `linux/arm/v7`, `windows/amd64:10.0.17763.1234`. */
export function parsePlatform(s: string): Platform {
  const [main = '', osVersion] = s.split(':', 2);
  const parts = main.split('/');
  if (parts.length < 1 || parts.length > 3 || parts.some((p) => p === '')) {
    throw new UsageError(`invalid platform ${JSON.stringify(s)}`, {
      hint: 'write platforms as os/arch[/variant], e.g. linux/amd64 or linux/arm/v7',
    });
  }
  const [os = '', architecture = '', variant] = parts;
  const p: Platform = { os, architecture };
  if (variant) p.variant = variant;
  if (osVersion) p['os.version'] = osVersion;
  return p;
}

/** Formats a platform as `os/arch[/variant][:osversion]`. */
export function formatPlatform(p: Platform): string {
  let s = `${p.os}/${p.architecture}`;
  if (p.variant) s += `/${p.variant}`;
  if (p['os.version']) s += `:${p['os.version']}`;
  return s;
}

/** The platforms a build targets: the flag's, else the config's defaultPlatforms, else linux on this machine's architecture. */
export function requestedPlatforms(
  flag: readonly string[] | undefined,
  configured: readonly string[],
  hostArch: string,
): string[] {
  if (flag?.length) return [...flag];
  return configured.length ? [...configured] : [`linux/${goArchFromNode(hostArch)}`];
}

/** Maps Node's `process.arch` to the GOARCH / OCI architecture name. */
export function goArchFromNode(arch: string): string {
  const map: Record<string, string> = {
    x64: 'amd64',
    arm64: 'arm64',
    arm: 'arm',
    ia32: '386',
    s390x: 's390x',
    ppc64: 'ppc64le',
    riscv64: 'riscv64',
  };
  return map[arch] ?? arch;
}

/** Decides which base platforms to build, following ko's rules. */
export class PlatformMatcher {
  readonly all: boolean;
  readonly platforms: Platform[];

  constructor(readonly spec: readonly string[]) {
    this.all = spec.length > 0 && spec[0] === 'all';
    this.platforms = this.all ? [] : spec.map(parsePlatform);
  }

  /** True when a base entry with this platform should be built. */
  matches(base: Platform | undefined): boolean {
    // Docker stores provenance attestations under unknown/unknown.
    if (base && (base.os === 'unknown' || base.architecture === 'unknown')) return false;
    if (this.all) return true;
    if (!base) return false;
    return this.platforms.some((p) => platformMatches(p, base));
  }
}

function platformMatches(want: Platform, base: Platform): boolean {
  if (want.os && base.os !== want.os) return false;
  if (want.architecture && base.architecture !== want.architecture) return false;
  if (want.variant && base.variant !== want.variant) return false;
  const wv = want['os.version'];
  const bv = base['os.version'] ?? '';
  if (wv && wv !== bv) {
    // Windows bases carry a build number as a fourth part; X.Y.Z matches X.Y.Z.N.
    if (want.os !== 'windows') return false;
    if (wv.split('.').length !== 3 || bv.split('.').length !== 4) return false;
    if (bv.slice(0, bv.lastIndexOf('.')) !== wv) return false;
  }
  return true;
}
