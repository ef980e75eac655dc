import { describe, expect, it } from 'vitest';
import { formatPlatform, parsePlatform, PlatformMatcher } from '../../src/oci/platform.js';
import type { Platform } from '../../src/oci/types.js';

describe('parsePlatform / formatPlatform', () => {
  it.each([
    ['linux/amd64', { os: 'linux', architecture: 'amd64' }],
    ['linux/arm/v7', { os: 'linux', architecture: 'arm', variant: 'v7' }],
    ['windows/amd64:10.0.17763', { os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763' }],
  ])('%s round-trips', (s, p) => {
    expect(parsePlatform(s)).toEqual(p);
    expect(formatPlatform(parsePlatform(s))).toBe(s);
  });

  it.each(['', 'linux/', '/amd64', 'a/b/c/d'])('rejects %j with a usage error', (s) => {
    expect(() => parsePlatform(s)).toThrow(/invalid platform/);
  });
});

describe('PlatformMatcher (ko rules)', () => {
  const amd64: Platform = { os: 'linux', architecture: 'amd64' };
  const armv7: Platform = { os: 'linux', architecture: 'arm', variant: 'v7' };
  const armv6: Platform = { os: 'linux', architecture: 'arm', variant: 'v6' };
  const unknown: Platform = { os: 'unknown', architecture: 'unknown' };
  const win: Platform = { os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763.1234' };
  it.each<[string, string[], Platform | undefined, boolean]>([
    ['exact os/arch matches', ['linux/amd64'], amd64, true],
    ['other arch does not match', ['linux/arm64'], amd64, false],
    ['arch without variant matches any variant', ['linux/arm'], armv6, true],
    ['variant must match when given', ['linux/arm/v7'], armv6, false],
    ['variant matches', ['linux/arm/v7'], armv7, true],
    ['all matches anything known', ['all'], armv6, true],
    ['all drops unknown/unknown attestations', ['all'], unknown, false],
    ['all matches a descriptor without platform', ['all'], undefined, true],
    ['a list does not match a descriptor without platform', ['linux/amd64'], undefined, false],
    ['windows X.Y.Z matches X.Y.Z.N', ['windows/amd64:10.0.17763'], win, true],
    ['windows X.Y.Z must match the first three parts', ['windows/amd64:10.0.20348'], win, false],
    ['second platform in list matches', ['linux/arm64', 'linux/amd64'], amd64, true],
  ])('%s', (_name, spec, base, want) => {
    expect(new PlatformMatcher(spec).matches(base)).toBe(want);
  });
});
