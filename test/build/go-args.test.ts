import { describe, expect, it } from 'vitest';
import { goBuildEnv, goBuildFlags } from '../../src/build/go-args.js';
import type { KodevConfig } from '../../src/config/types.js';
import { parsePlatform } from '../../src/oci/platform.js';

const config = (over: Partial<KodevConfig> = {}): KodevConfig => ({
  baseImageOverrides: {},
  defaultPlatforms: [],
  defaultEnv: [],
  defaultFlags: [],
  defaultLdflags: [],
  builds: [],
  dev: {},
  baseDir: '/x',
  files: [],
  ...over,
});
const render = (t: string) => t.replace('{{.Env.V}}', '1.2.3');

describe('goBuildEnv', () => {
  it.each([
    ['linux/amd64', ['CGO_ENABLED=0', 'GOOS=linux', 'GOARCH=amd64']],
    ['linux/amd64/v3', ['CGO_ENABLED=0', 'GOOS=linux', 'GOARCH=amd64', 'GOAMD64=v3']],
    ['linux/arm/v7', ['CGO_ENABLED=0', 'GOOS=linux', 'GOARCH=arm', 'GOARM=7']],
    ['linux/arm/v8', ['CGO_ENABLED=0', 'GOOS=linux', 'GOARCH=arm', 'GOARM=7']],
    ['linux/arm/v4', ['CGO_ENABLED=0', 'GOOS=linux', 'GOARCH=arm']],
    ['windows/amd64', ['CGO_ENABLED=0', 'GOOS=windows', 'GOARCH=amd64']],
  ])('%s', (p, want) => {
    expect(goBuildEnv(parsePlatform(p), config(), undefined, render)).toEqual(want);
  });

  it('appends defaultEnv, or the build entry env instead of it, rendered', () => {
    const c = config({ defaultEnv: ['A=1'] });
    expect(goBuildEnv(parsePlatform('linux/amd64'), c, undefined, render).slice(3)).toEqual(['A=1']);
    expect(goBuildEnv(parsePlatform('linux/amd64'), c, { env: ['B={{.Env.V}}'] }, render).slice(3)).toEqual([
      'B=1.2.3',
    ]);
  });

  it('rejects an arm variant that is not vN', () => {
    expect(() => goBuildEnv(parsePlatform('linux/arm/x'), config(), undefined, render)).toThrow(
      /unknown arm variant/,
    );
  });
});

describe('goBuildFlags', () => {
  const opts = { disableOptimizations: false, trimpath: true };
  it.each([
    ['nothing configured: only -trimpath', config(), undefined, opts, ['-trimpath']],
    [
      'default flags and ldflags joined',
      config({ defaultFlags: ['-tags=netgo'], defaultLdflags: ['-s', '-X main.v={{.Env.V}}'] }),
      undefined,
      opts,
      ['-tags=netgo', '-ldflags=-s -X main.v=1.2.3', '-trimpath'],
    ],
    [
      'build entry replaces the defaults',
      config({ defaultFlags: ['-a'] }),
      { flags: ['-v'] },
      opts,
      ['-v', '-trimpath'],
    ],
    [
      'disable optimizations adds gcflags',
      config(),
      undefined,
      { disableOptimizations: true, trimpath: true },
      ['-trimpath', '-gcflags', 'all=-N -l'],
    ],
  ])('%s', (_n, c, b, o, want) => {
    expect(goBuildFlags(c, b, render, o)).toEqual(want);
  });

  it.each(['-toolexec=x', '--toolexec', '-toolexec'])('refuses %s', (f) => {
    expect(() => goBuildFlags(config({ defaultFlags: [f] }), undefined, render, opts)).toThrow(
      /is not allowed/,
    );
  });
});
