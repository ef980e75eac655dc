import { describe, expect, it } from 'vitest';
import {
  BUILD_KEYS,
  CONFIG_KEYS,
  type ConfigValues,
  formatIssue,
  formatPath,
  validateConfig,
  DEV_IMAGE_KEYS,
  DEV_KEYS,
} from '../../src/config/schema.js';

describe('validateConfig accepts', () => {
  const cases: { name: string; raw: unknown; want: ConfigValues }[] = [
    {
      name: 'every ko key',
      raw: {
        defaultBaseImage: 'cgr.dev/chainguard/static',
        baseImageOverrides: { 'example.com/app/cmd/tool': 'alpine:3' },
        defaultPlatforms: ['linux/amd64', 'linux/arm64'],
        defaultEnv: ['CGO_ENABLED=0'],
        defaultFlags: ['-trimpath'],
        defaultLdflags: ['-s', '-w'],
        builds: [
          {
            id: 'app',
            dir: '.',
            main: './cmd/app',
            env: ['GOEXPERIMENT=x'],
            flags: ['-tags', 'netgo'],
            ldflags: ['-X main.v=1'],
          },
        ],
      },
      want: {
        defaultBaseImage: 'cgr.dev/chainguard/static',
        baseImageOverrides: { 'example.com/app/cmd/tool': 'alpine:3' },
        defaultPlatforms: ['linux/amd64', 'linux/arm64'],
        defaultEnv: ['CGO_ENABLED=0'],
        defaultFlags: ['-trimpath'],
        defaultLdflags: ['-s', '-w'],
        builds: [
          {
            id: 'app',
            dir: '.',
            main: './cmd/app',
            env: ['GOEXPERIMENT=x'],
            flags: ['-tags', 'netgo'],
            ldflags: ['-X main.v=1'],
          },
        ],
      },
    },
    {
      name: 'ldflags as one string becomes a one-entry list (ko StringArray)',
      raw: { builds: [{ ldflags: '-s -w -X main.v={{.Git.Tag}}' }] },
      want: { builds: [{ ldflags: ['-s -w -X main.v={{.Git.Tag}}'] }] },
    },
    {
      name: 'flags as one string is split on whitespace (ko FlagArray)',
      raw: { builds: [{ flags: ' -tags  netgo -trimpath ' }] },
      want: { builds: [{ flags: ['-tags', 'netgo', '-trimpath'] }] },
    },
    {
      name: 'defaultPlatforms as a comma-separated string',
      raw: { defaultPlatforms: 'linux/amd64, linux/arm64,' },
      want: { defaultPlatforms: ['linux/amd64', 'linux/arm64'] },
    },
    {
      name: 'keys with no value (YAML null) are left unset',
      raw: { defaultBaseImage: null, defaultFlags: null, builds: [{ main: './x', env: null }] },
      want: { builds: [{ main: './x' }] },
    },
    { name: 'an empty document', raw: null, want: {} },
    { name: 'an empty map', raw: {}, want: {} },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = validateConfig(c.raw, '.ko.yaml');
      expect(result.errors).toEqual([]);
      expect(result.config).toEqual(c.want);
    });
  }
});

describe('validateConfig rejects', () => {
  const lines: Record<string, number> = { defaultFlags: 3, builds: 5, 'builds.1.flagz': 9 };
  const lineOf = (segments: (string | number)[]) => lines[segments.join('.')];

  const cases: { name: string; raw: unknown; want: { path: string; message: string; line?: number }[] }[] = [
    {
      name: 'unknown top-level key',
      raw: { defaultBaseImag: 'x' },
      want: [{ path: 'defaultBaseImag', message: 'unknown key' }],
    },
    {
      name: 'unknown key inside a build, with its line',
      raw: { builds: [{ main: './a' }, { main: './b', flagz: ['-x'] }] },
      want: [{ path: 'builds[1].flagz', message: 'unknown key', line: 9 }],
    },
    {
      name: 'list field given a number',
      raw: { defaultFlags: 5 },
      want: [{ path: 'defaultFlags', message: 'expected a list of strings, got number 5', line: 3 }],
    },
    {
      name: 'non-string list item',
      raw: { builds: [{ env: ['A=1', 2] }] },
      want: [{ path: 'builds[0].env[1]', message: 'expected a string, got number 2' }],
    },
    {
      name: 'builds given a map',
      raw: { builds: { main: './x' } },
      want: [{ path: 'builds', message: 'expected a list of build entries, got a map', line: 5 }],
    },
    {
      name: 'build entry given a string',
      raw: { builds: ['./cmd/app'] },
      want: [{ path: 'builds[0]', message: 'expected a map, got string "./cmd/app"' }],
    },
    {
      name: 'override given a list, path quoted because of slashes',
      raw: { baseImageOverrides: { 'example.com/a': ['x'] } },
      want: [
        {
          path: 'baseImageOverrides["example.com/a"]',
          message: 'expected a string (image reference), got a list',
        },
      ],
    },
    {
      name: 'ldflags given a boolean',
      raw: { builds: [{ ldflags: true }] },
      want: [
        {
          path: 'builds[0].ldflags',
          message: 'expected a list of strings or a single string, got boolean true',
        },
      ],
    },
    {
      name: 'document that is a list',
      raw: ['a'],
      want: [{ path: '', message: 'expected a map of settings, got a list' }],
    },
    {
      name: 'several problems, sorted by line',
      raw: { builds: [{}, { flagz: 1 }], defaultFlags: 'x' },
      want: [
        { path: 'defaultFlags', message: 'expected a list of strings, got string "x"', line: 3 },
        { path: 'builds[1].flagz', message: 'unknown key', line: 9 },
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = validateConfig(c.raw, '/p/.ko.yaml', lineOf);
      expect(result.config).toBeUndefined();
      expect(result.errors.map((e) => ({ path: e.path, message: e.message, line: e.line }))).toEqual(
        c.want.map((w) => ({ line: undefined, ...w })),
      );
      for (const e of result.errors) expect(e.file).toBe('/p/.ko.yaml');
    });
  }

  it('unknown keys list the keys valid at their level', () => {
    const { errors } = validateConfig({ nope: 1, builds: [{ nope: 1 }] }, 'f');
    expect(errors.map((e) => [e.path, e.validKeys])).toEqual([
      ['builds[0].nope', BUILD_KEYS],
      ['nope', CONFIG_KEYS],
    ]);
  });
});

describe('formatIssue and formatPath', () => {
  const cases: { name: string; got: string; want: string }[] = [
    {
      name: 'issue with line',
      got: formatIssue({
        file: '/a/.ko.yaml',
        path: 'builds[0].flagz',
        segments: [],
        line: 4,
        message: 'unknown key',
      }),
      want: '/a/.ko.yaml:4: builds[0].flagz: unknown key',
    },
    {
      name: 'issue without line',
      got: formatIssue({
        file: 'kodev.config.ts',
        path: 'x',
        segments: [],
        line: undefined,
        message: 'unknown key',
      }),
      want: 'kodev.config.ts: x: unknown key',
    },
    {
      name: 'issue about the whole file',
      got: formatIssue({ file: 'f', path: '', segments: [], line: 1, message: 'm' }),
      want: 'f:1: m',
    },
    { name: 'nested path', got: formatPath(['builds', 1, 'flags', 0]), want: 'builds[1].flags[0]' },
    {
      name: 'map key that is not an identifier',
      got: formatPath(['baseImageOverrides', 'a.b/c']),
      want: 'baseImageOverrides["a.b/c"]',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(c.got).toBe(c.want);
    });
  }
});

describe('validateConfig and the dev section', () => {
  it('accepts every dev key, with ko-style lists', () => {
    const { config, errors } = validateConfig(
      {
        dev: {
          manifests: 'config/*.yaml',
          runtime: 'local',
          namespace: 'dev',
          repo: 'registry.example.com/me',
          platforms: 'linux/amd64,linux/arm64',
          ignore: ['**/testdata/**'],
          debounceMs: 20,
          concurrency: 2,
          cleanup: true,
          images: {
            'example.com/app/cmd/api': { fromImage: 'scratch', flags: '-tags dev', watch: ['migrations'] },
          },
        },
      },
      'k.yaml',
    );
    expect(errors).toEqual([]);
    expect(config?.dev).toMatchObject({
      manifests: ['config/*.yaml'],
      platforms: ['linux/amd64', 'linux/arm64'],
      images: { 'example.com/app/cmd/api': { flags: ['-tags', 'dev'], watch: ['migrations'] } },
    });
  });

  const bad: { name: string; raw: unknown; path: string; message: RegExp; validKeys?: readonly string[] }[] =
    [
      {
        name: 'an unknown dev key',
        raw: { dev: { watchDelay: 1 } },
        path: 'dev.watchDelay',
        message: /unknown key/,
        validKeys: DEV_KEYS,
      },
      {
        name: 'an unknown per-image key',
        raw: { dev: { images: { x: { labels: {} } } } },
        path: 'dev.images.x.labels',
        message: /unknown key/,
        validKeys: DEV_IMAGE_KEYS,
      },
      {
        name: 'a runtime that does not exist',
        raw: { dev: { runtime: 'docker' } },
        path: 'dev.runtime',
        message: /./,
      },
      { name: 'a negative debounce', raw: { dev: { debounceMs: -1 } }, path: 'dev.debounceMs', message: /./ },
    ];
  for (const c of bad)
    it(`rejects ${c.name}`, () => {
      const { errors } = validateConfig(c.raw, 'k.yaml');
      expect(errors).toHaveLength(1);
      expect(errors[0]?.path).toBe(c.path);
      expect(errors[0]?.message).toMatch(c.message);
      if (c.validKeys) expect(errors[0]?.validKeys).toEqual(c.validKeys);
    });
});
