import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { KodevConfig } from '../../src/config/types.js';
import { UserError } from '../../src/errors.js';
import type { Env } from '../../src/system/env.js';

const DEFINE_CONFIG = fileURLToPath(new URL('../../src/config/define-config.ts', import.meta.url));

const FULL_KO_YAML = `# a complete .ko.yaml
defaultBaseImage: cgr.dev/chainguard/static
baseImageOverrides:
  example.com/app/cmd/debug: golang:1.22
defaultPlatforms: linux/amd64,linux/arm64
defaultEnv: [CGO_ENABLED=0]
defaultFlags: [-trimpath]
defaultLdflags: [-s, -w]
builds:
  - id: app
    dir: .
    main: ./cmd/app
    env: [GOFLAGS=-mod=mod]
    flags: -tags netgo
    ldflags: -X main.version={{.Git.Tag}}
`;

let root: string;
let counter = 0;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'kodev-load-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Writes `files` (paths relative to a fresh dir) and returns the dir. */
async function project(files: Record<string, string>): Promise<string> {
  counter += 1;
  const dir = path.join(root, `p${counter}`);
  await mkdir(dir);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  return dir;
}

async function loadError(cwd: string, env: Env = {}): Promise<UserError> {
  try {
    await loadConfig({ cwd, env });
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return err as UserError;
  }
  throw new Error('loadConfig did not fail');
}

const EMPTY: Omit<KodevConfig, 'baseDir' | 'files'> = {
  defaultBaseImage: undefined,
  baseImageOverrides: {},
  defaultPlatforms: [],
  defaultEnv: [],
  defaultFlags: [],
  defaultLdflags: [],
  builds: [],
  dev: {},
};

describe('loadConfig reads', () => {
  it('a full .ko.yaml in cwd, with ko single-string forms normalized', async () => {
    const dir = await project({ '.ko.yaml': FULL_KO_YAML });
    expect(await loadConfig({ cwd: dir, env: {} })).toEqual({
      defaultBaseImage: 'cgr.dev/chainguard/static',
      baseImageOverrides: { 'example.com/app/cmd/debug': 'golang:1.22' },
      defaultPlatforms: ['linux/amd64', 'linux/arm64'],
      defaultEnv: ['CGO_ENABLED=0'],
      defaultFlags: ['-trimpath'],
      defaultLdflags: ['-s', '-w'],
      builds: [
        {
          id: 'app',
          dir: '.',
          main: './cmd/app',
          env: ['GOFLAGS=-mod=mod'],
          flags: ['-tags', 'netgo'],
          ldflags: ['-X main.version={{.Git.Tag}}'],
        },
      ],
      baseDir: dir,
      dev: {},
      files: [path.join(dir, '.ko.yaml')],
    });
  });

  const defaults: { name: string; files: Record<string, string> }[] = [
    { name: 'no config file at all', files: {} },
    { name: 'an empty .ko.yaml', files: { '.ko.yaml': '' } },
    { name: 'a .ko.yaml of comments only', files: { '.ko.yaml': '# nothing yet\n' } },
    { name: '.ko.yml is not read, like ko', files: { '.ko.yml': 'defaultBaseImage: x\n' } },
  ];
  for (const c of defaults) {
    it(`defaults for ${c.name}`, async () => {
      const dir = await project(c.files);
      const config = await loadConfig({ cwd: dir, env: {} });
      expect(config).toMatchObject({ ...EMPTY, baseDir: dir });
    });
  }
});

describe('loadConfig finds .ko.yaml through KO_CONFIG_PATH', () => {
  const cases: { name: string; files: Record<string, string>; configPath: string; wantFile?: string }[] = [
    {
      name: 'a file with another name, absolute',
      files: {
        'conf/custom.yaml': 'defaultBaseImage: from-file\n',
        '.ko.yaml': 'defaultBaseImage: ignored\n',
      },
      configPath: '<dir>/conf/custom.yaml',
      wantFile: 'conf/custom.yaml',
    },
    {
      name: 'a directory holding .ko.yaml',
      files: { 'conf/.ko.yaml': 'defaultBaseImage: from-dir\n', '.ko.yaml': 'defaultBaseImage: ignored\n' },
      configPath: '<dir>/conf',
      wantFile: 'conf/.ko.yaml',
    },
    {
      name: 'a directory relative to cwd',
      files: { 'conf/.ko.yaml': 'defaultBaseImage: from-dir\n' },
      configPath: 'conf',
      wantFile: 'conf/.ko.yaml',
    },
    {
      name: 'a directory without .ko.yaml gives defaults, like ko',
      files: { 'conf/README': 'x', '.ko.yaml': 'defaultBaseImage: ignored\n' },
      configPath: '<dir>/conf',
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const dir = await project(c.files);
      const config = await loadConfig({
        cwd: dir,
        env: { KO_CONFIG_PATH: c.configPath.replace('<dir>', dir) },
      });
      if (c.wantFile === undefined) {
        expect(config).toMatchObject({ ...EMPTY, files: [], baseDir: dir });
        return;
      }
      const file = path.join(dir, c.wantFile);
      expect(config.files).toEqual([file]);
      expect(config.baseDir).toBe(path.dirname(file));
      expect(config.defaultBaseImage).toMatch(/^from-/);
    });
  }

  it('a path that does not exist is a user error naming it', async () => {
    const dir = await project({});
    const err = await loadError(dir, { KO_CONFIG_PATH: path.join(dir, 'missing.yaml') });
    expect(err.message).toBe(`KO_CONFIG_PATH is "${path.join(dir, 'missing.yaml')}", which does not exist`);
    expect(err.hint).toContain('KO_CONFIG_PATH');
  });
});

describe('loadConfig KO_DEFAULTBASEIMAGE', () => {
  const cases: { name: string; files: Record<string, string>; env: Env; want: string | undefined }[] = [
    {
      name: 'overrides .ko.yaml',
      files: { '.ko.yaml': 'defaultBaseImage: from-yaml\n' },
      env: { KO_DEFAULTBASEIMAGE: 'from-env' },
      want: 'from-env',
    },
    {
      name: 'applies without a config file',
      files: {},
      env: { KO_DEFAULTBASEIMAGE: 'from-env' },
      want: 'from-env',
    },
    {
      name: 'empty value is ignored',
      files: { '.ko.yaml': 'defaultBaseImage: from-yaml\n' },
      env: { KO_DEFAULTBASEIMAGE: '' },
      want: 'from-yaml',
    },
    {
      name: 'overrides kodev.config.ts too',
      files: { 'kodev.config.mjs': "export default { defaultBaseImage: 'from-code' };\n" },
      env: { KO_DEFAULTBASEIMAGE: 'from-env' },
      want: 'from-env',
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const dir = await project(c.files);
      expect((await loadConfig({ cwd: dir, env: c.env })).defaultBaseImage).toBe(c.want);
    });
  }
});

describe('loadConfig reports .ko.yaml mistakes with file and line', () => {
  const cases: { name: string; yaml: string; firstLine: string; hint: string }[] = [
    {
      name: 'unknown key in a build',
      yaml: 'defaultBaseImage: x\nbuilds:\n  - id: app\n    flagz: [-x]\n',
      firstLine: '<file>:4: builds[0].flagz: unknown key',
      hint: 'valid keys here: id, dir, main, env, flags, ldflags',
    },
    {
      name: 'unknown top-level key',
      yaml: '# comment\ndefaultBaseImg: x\n',
      firstLine: '<file>:2: defaultBaseImg: unknown key',
      hint: 'valid keys here: defaultBaseImage, baseImageOverrides, defaultPlatforms',
    },
    {
      name: 'wrong type',
      yaml: 'defaultBaseImage: x\ndefaultFlags: 3\n',
      firstLine: '<file>:2: defaultFlags: expected a list of strings, got number 3',
      hint: 'https://ko.build/configuration/',
    },
    {
      name: 'wrong type of a list item',
      yaml: 'defaultEnv:\n  - A=1\n  - {B: 2}\n',
      firstLine: '<file>:3: defaultEnv[1]: expected a string, got a map',
      hint: 'https://ko.build/configuration/',
    },
    {
      name: 'YAML syntax error',
      yaml: 'defaultBaseImage: a\nbuilds:\n  - id: x\n   main: y\n',
      firstLine: '<file>:4:1: Sequence item without - indicator',
      hint: 'YAML',
    },
    {
      name: 'duplicate key',
      yaml: 'defaultBaseImage: a\ndefaultBaseImage: b\n',
      firstLine: '<file>:2:1: Map keys must be unique',
      hint: 'YAML',
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const dir = await project({ '.ko.yaml': c.yaml });
      const err = await loadError(dir);
      expect(err.message.split('\n')[0]).toBe(c.firstLine.replace('<file>', path.join(dir, '.ko.yaml')));
      expect(err.hint).toContain(c.hint);
    });
  }
});

describe('loadConfig kodev.config.ts', () => {
  it('loads a TypeScript config using defineConfig, overriding .ko.yaml key by key', async () => {
    const dir = await project({
      '.ko.yaml': 'defaultBaseImage: from-yaml\ndefaultFlags: [-trimpath]\nbuilds:\n  - main: ./from-yaml\n',
      'kodev.config.ts': [
        `import { defineConfig, type KodevUserConfig } from ${JSON.stringify(DEFINE_CONFIG)};`,
        `const platforms: string = 'linux/amd64,linux/arm64';`,
        'const config: KodevUserConfig = {',
        "  defaultBaseImage: 'from-ts',",
        '  defaultPlatforms: platforms,',
        "  builds: [{ id: 'app', main: './cmd/app', ldflags: '-X main.v={{.Git.Tag}}' }],",
        '};',
        'export default defineConfig(config);',
        '',
      ].join('\n'),
    });
    expect(await loadConfig({ cwd: dir, env: {} })).toEqual({
      ...EMPTY,
      defaultBaseImage: 'from-ts',
      defaultPlatforms: ['linux/amd64', 'linux/arm64'],
      defaultFlags: ['-trimpath'],
      builds: [{ id: 'app', main: './cmd/app', ldflags: ['-X main.v={{.Git.Tag}}'] }],
      baseDir: dir,
      files: [path.join(dir, '.ko.yaml'), path.join(dir, 'kodev.config.ts')],
    });
  });

  it('loads kodev.config.mjs when there is no .ts', async () => {
    const dir = await project({ 'kodev.config.mjs': "export default { defaultEnv: ['CGO_ENABLED=0'] };\n" });
    const config = await loadConfig({ cwd: dir, env: {} });
    expect(config.defaultEnv).toEqual(['CGO_ENABLED=0']);
    expect(config.files).toEqual([path.join(dir, 'kodev.config.mjs')]);
  });

  const failures: { name: string; source: string; firstLine: string; hint: string }[] = [
    {
      name: 'unknown key in a build, no line',
      source: `import { defineConfig } from ${JSON.stringify(DEFINE_CONFIG)};\nexport default defineConfig({ builds: [{ main: './x', flagz: [] } as never] });\n`,
      firstLine: '<file>: builds[0].flagz: unknown key',
      hint: 'valid keys here: id, dir, main, env, flags, ldflags',
    },
    {
      name: 'wrong type',
      source: 'export default { defaultLdflags: 42 };\n',
      firstLine: '<file>: defaultLdflags: expected a list of strings, got number 42',
      hint: 'https://ko.build/configuration/',
    },
    {
      name: 'module that throws',
      source: "throw new Error('boom');\n",
      firstLine: '<file>: cannot load: boom',
      hint: 'export default defineConfig',
    },
  ];
  for (const c of failures) {
    it(`rejects: ${c.name}`, async () => {
      const dir = await project({ 'kodev.config.ts': c.source });
      const err = await loadError(dir);
      expect(err.message.split('\n')[0]).toBe(
        c.firstLine.replace('<file>', path.join(dir, 'kodev.config.ts')),
      );
      expect(err.hint).toContain(c.hint);
    });
  }
});
