/**
 * Credentials against real files in temp dirs and real credential helper
 * executables (`docker-credential-kodevtest*` on a PATH given through the Env),
 * which speak Docker's helper protocol over stdin/stdout against a JSON file.
 */
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import {
  type Credential,
  type CredentialContext,
  credentialSecrets,
  redact,
  resolveCredential,
  storeCredential,
} from '../../src/registry/credentials.js';

const HUB = 'https://index.docker.io/v1/';
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const basic = (username: string, password: string): Credential => ({ kind: 'basic', username, password });

// The helper: get/store/erase/list against the JSON file named by its first argument.
// KODEVTEST_MODE (read from the Env kodev passes) injects faults a real keychain produces.
const HELPER_JS = `
const fs = require('node:fs');
const [file, action] = process.argv.slice(2);
const input = fs.readFileSync(0, 'utf8');
const db = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
const mode = process.env.KODEVTEST_MODE || '';
const save = () => fs.writeFileSync(file, JSON.stringify(db));
fs.appendFileSync(file + '.calls', action + ' ' + (action === 'store' ? JSON.parse(input).ServerURL : input) + '\\n');
const fail = (text) => { process.stdout.write(text + '\\n'); process.exit(1); };
if (mode === 'fail') fail('keychain is locked');
if (action === 'get') {
  if (mode === 'garbage') { process.stdout.write('oops ' + JSON.stringify(Object.values(db)[0])); process.exit(0); }
  const entry = db[input];
  if (!entry) fail('credentials not found in native keychain');
  process.stdout.write(JSON.stringify({ ServerURL: input, Username: entry.Username, Secret: entry.Secret }));
} else if (action === 'store') {
  if (mode === 'echo') fail('cannot store ' + input);
  const c = JSON.parse(input);
  db[c.ServerURL] = { Username: c.Username, Secret: c.Secret };
  save();
} else if (action === 'erase') {
  delete db[input];
  save();
} else if (action === 'list') {
  process.stdout.write(JSON.stringify(Object.fromEntries(Object.entries(db).map(([k, v]) => [k, v.Username]))));
} else {
  fail('unknown action ' + action);
}
`;

let root: string;
let caseNo = 0;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'kodev-credentials-'));
  await writeFile(path.join(root, 'helper.cjs'), HELPER_JS);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Sandbox {
  dir: string;
  home: string;
  bin: string;
  dockerConfig: string;
  ctx: (extraEnv?: Record<string, string>) => CredentialContext;
  writeJson: (file: string, value: unknown) => Promise<void>;
  /** Installs `docker-credential-<name>` holding `creds` (ServerURL -> user/secret); returns its store file. */
  helper: (name: string, creds?: Record<string, { Username: string; Secret: string }>) => Promise<string>;
  calls: (store: string) => Promise<string[]>;
}

/** A fresh home dir, an empty bin dir on PATH, and a context whose Env holds only what the test says. */
async function sandbox(): Promise<Sandbox> {
  const dir = path.join(root, `case-${++caseNo}`);
  const home = path.join(dir, 'home');
  const bin = path.join(dir, 'bin');
  await mkdir(home, { recursive: true });
  await mkdir(bin, { recursive: true });
  const writeJson = async (file: string, value: unknown): Promise<void> => {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  };
  return {
    dir,
    home,
    bin,
    dockerConfig: path.join(home, '.docker', 'config.json'),
    ctx: (extraEnv = {}) => ({
      env: { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, HOME: home, ...extraEnv },
      homeDir: home,
    }),
    writeJson,
    helper: async (name, creds = {}) => {
      const store = path.join(dir, `${name}-store.json`);
      await writeJson(store, creds);
      const script = path.join(bin, `docker-credential-${name}`);
      const q = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;
      await writeFile(
        script,
        `#!/bin/sh\nexec ${q(process.execPath)} ${q(path.join(root, 'helper.cjs'))} ${q(store)} "$@"\n`,
      );
      await chmod(script, 0o755);
      return store;
    },
    calls: async (store) => {
      const text = await readFile(`${store}.calls`, 'utf8').catch(() => '');
      return text.split('\n').filter((l) => l !== '');
    },
  };
}

describe('resolveCredential: docker config.json auths', () => {
  it.each<{ name: string; auths: Record<string, unknown>; registry: string; want: Credential | undefined }>([
    {
      name: 'auth is base64 user:password',
      auths: { 'reg.io': { auth: b64('alice:pw:with:colons') } },
      registry: 'reg.io',
      want: basic('alice', 'pw:with:colons'),
    },
    {
      name: 'username and password fields',
      auths: { 'reg.io': { username: 'bob', password: 'pw' } },
      registry: 'reg.io',
      want: basic('bob', 'pw'),
    },
    {
      name: 'auth replaces username/password, like docker',
      auths: { 'reg.io': { auth: b64('alice:a'), username: 'bob', password: 'b' } },
      registry: 'reg.io',
      want: basic('alice', 'a'),
    },
    {
      name: 'field names match case-insensitively, like Go',
      auths: { 'reg.io': { Username: 'bob', Password: 'pw' } },
      registry: 'reg.io',
      want: basic('bob', 'pw'),
    },
    {
      name: 'identitytoken wins over auth and keeps its user',
      auths: { 'reg.io': { auth: b64('carol:'), identitytoken: 'refresh-1' } },
      registry: 'reg.io',
      want: { kind: 'identity-token', username: 'carol', token: 'refresh-1' },
    },
    {
      name: 'registrytoken wins over everything',
      auths: { 'reg.io': { auth: b64('a:b'), identitytoken: 'x', registrytoken: 'bearer-1' } },
      registry: 'reg.io',
      want: { kind: 'registry-token', token: 'bearer-1' },
    },
    {
      name: 'host:port key',
      auths: { 'localhost:5000': { auth: b64('u:p') } },
      registry: 'localhost:5000',
      want: basic('u', 'p'),
    },
    {
      name: 'https://host key',
      auths: { 'https://reg.io': { auth: b64('u:https') } },
      registry: 'reg.io',
      want: basic('u', 'https'),
    },
    {
      name: 'http://host key',
      auths: { 'http://reg.io': { auth: b64('u:http') } },
      registry: 'reg.io',
      want: basic('u', 'http'),
    },
    {
      name: 'host/v1/ key',
      auths: { 'reg.io/v1/': { auth: b64('u:v1') } },
      registry: 'reg.io',
      want: basic('u', 'v1'),
    },
    {
      name: 'any URL whose host matches, e.g. https://host/v2/',
      auths: { 'https://reg.io/v2/': { auth: b64('u:v2') } },
      registry: 'reg.io',
      want: basic('u', 'v2'),
    },
    {
      name: 'exact host key is preferred over the https:// spelling',
      auths: { 'https://reg.io': { auth: b64('u:old') }, 'reg.io': { auth: b64('u:new') } },
      registry: 'reg.io',
      want: basic('u', 'new'),
    },
    {
      name: 'registry given as a URL is reduced to its host',
      auths: { 'reg.io': { auth: b64('u:p') } },
      registry: 'https://reg.io/v2/',
      want: basic('u', 'p'),
    },
    {
      name: 'a longer host sharing a prefix does not match',
      auths: { 'ghcr.io.evil.example': { auth: b64('u:p') } },
      registry: 'ghcr.io',
      want: undefined,
    },
    {
      name: 'same host, other port does not match',
      auths: { 'reg.io:5000': { auth: b64('u:p') } },
      registry: 'reg.io',
      want: undefined,
    },
    {
      name: 'an empty {} placeholder is no credential',
      auths: { 'reg.io': {} },
      registry: 'reg.io',
      want: undefined,
    },
    ...['docker.io', 'index.docker.io', 'registry-1.docker.io'].map((registry) => ({
      name: `Docker Hub alias ${registry} uses key ${HUB}`,
      auths: { [HUB]: { auth: b64('hubuser:hubpw') } },
      registry,
      want: basic('hubuser', 'hubpw'),
    })),
    {
      name: 'Docker Hub: the legacy URL key wins over an alias key',
      auths: { 'docker.io': { auth: b64('u:alias') }, [HUB]: { auth: b64('u:legacy') } },
      registry: 'docker.io',
      want: basic('u', 'legacy'),
    },
    {
      name: 'Docker Hub: an alias key is found when the legacy key is absent',
      auths: { 'index.docker.io': { auth: b64('u:idx') } },
      registry: 'registry-1.docker.io',
      want: basic('u', 'idx'),
    },
  ])('$name', async ({ auths, registry, want }) => {
    const s = await sandbox();
    await s.writeJson(s.dockerConfig, { auths });
    expect(await resolveCredential(registry, s.ctx())).toEqual(want);
  });

  it.each<{ name: string; text: string | undefined }>([
    { name: 'no config file', text: undefined },
    { name: 'an empty config file', text: '' },
    { name: 'a config without auths', text: '{"psFormat": "table"}' },
  ])('$name gives undefined', async ({ text }) => {
    const s = await sandbox();
    if (text !== undefined) await s.writeJson(s.dockerConfig, text);
    expect(await resolveCredential('reg.io', s.ctx())).toBeUndefined();
  });

  it('reads $DOCKER_CONFIG/config.json instead of ~/.docker when DOCKER_CONFIG is set', async () => {
    const s = await sandbox();
    await s.writeJson(s.dockerConfig, { auths: { 'reg.io': { auth: b64('home:p') } } });
    const custom = path.join(s.dir, 'custom-docker');
    await s.writeJson(path.join(custom, 'config.json'), { auths: { 'reg.io': { auth: b64('custom:p') } } });
    expect(await resolveCredential('reg.io', s.ctx({ DOCKER_CONFIG: custom }))).toEqual(basic('custom', 'p'));
  });
});

describe('resolveCredential: credential helpers', () => {
  it.each<{
    name: string;
    config: Record<string, unknown>;
    specific?: Record<string, { Username: string; Secret: string }>;
    global?: Record<string, { Username: string; Secret: string }>;
    registry: string;
    want: Credential | undefined;
    asked?: { specific?: string[]; global?: string[] };
  }>([
    {
      name: 'credHelpers[registry] wins over credsStore and auths',
      config: {
        credHelpers: { 'reg.io': 'kodevtest' },
        credsStore: 'kodevtestglobal',
        auths: { 'reg.io': { auth: b64('inline:p') } },
      },
      specific: { 'reg.io': { Username: 'specific', Secret: 's1' } },
      global: { 'reg.io': { Username: 'global', Secret: 'g1' } },
      registry: 'reg.io',
      want: basic('specific', 's1'),
      asked: { specific: ['get reg.io'], global: [] },
    },
    {
      name: 'credsStore wins over auths',
      config: { credsStore: 'kodevtestglobal', auths: { 'reg.io': { auth: b64('inline:p') } } },
      global: { 'reg.io': { Username: 'global', Secret: 'g1' } },
      registry: 'reg.io',
      want: basic('global', 'g1'),
    },
    {
      name: 'credHelpers for another registry is not used',
      config: { credHelpers: { 'other.io': 'kodevtest' }, auths: { 'reg.io': { auth: b64('inline:p') } } },
      specific: { 'reg.io': { Username: 'specific', Secret: 's1' } },
      registry: 'reg.io',
      want: basic('inline', 'p'),
      asked: { specific: [] },
    },
    {
      name: 'a "not found" answer passes on to credsStore',
      config: { credHelpers: { 'reg.io': 'kodevtest' }, credsStore: 'kodevtestglobal' },
      specific: {},
      global: { 'reg.io': { Username: 'global', Secret: 'g1' } },
      registry: 'reg.io',
      want: basic('global', 'g1'),
      asked: { specific: ['get reg.io'], global: ['get reg.io'] },
    },
    {
      name: 'a "not found" answer from credsStore passes on to auths',
      config: { credsStore: 'kodevtestglobal', auths: { 'reg.io': { auth: b64('inline:p') } } },
      global: {},
      registry: 'reg.io',
      want: basic('inline', 'p'),
    },
    {
      name: '"not found" everywhere gives undefined',
      config: { credsStore: 'kodevtestglobal', auths: { 'reg.io': {} } },
      global: {},
      registry: 'reg.io',
      want: undefined,
    },
    {
      name: 'Username <token> means Secret is an identity token',
      config: { credsStore: 'kodevtestglobal' },
      global: { 'reg.io': { Username: '<token>', Secret: 'refresh-2' } },
      registry: 'reg.io',
      want: { kind: 'identity-token', username: '', token: 'refresh-2' },
    },
    {
      name: 'Docker Hub is asked for as https://index.docker.io/v1/',
      config: { credsStore: 'kodevtestglobal' },
      global: { [HUB]: { Username: 'hub', Secret: 'h1' } },
      registry: 'docker.io',
      want: basic('hub', 'h1'),
      asked: { global: [`get ${HUB}`] },
    },
    {
      name: 'credHelpers keyed by a Hub alias applies to the Hub',
      config: { credHelpers: { 'docker.io': 'kodevtest' } },
      specific: { [HUB]: { Username: 'hub', Secret: 'h2' } },
      registry: 'index.docker.io',
      want: basic('hub', 'h2'),
    },
  ])('$name', async ({ config, specific, global, registry, want, asked }) => {
    const s = await sandbox();
    const specificStore = specific && (await s.helper('kodevtest', specific));
    const globalStore = global && (await s.helper('kodevtestglobal', global));
    await s.writeJson(s.dockerConfig, config);
    expect(await resolveCredential(registry, s.ctx())).toEqual(want);
    if (asked?.specific && specificStore) expect(await s.calls(specificStore)).toEqual(asked.specific);
    if (asked?.global && globalStore) expect(await s.calls(globalStore)).toEqual(asked.global);
  });

  it('a missing helper is a user error naming the helper and the config file', async () => {
    const s = await sandbox();
    await s.writeJson(s.dockerConfig, { credsStore: 'kodevmissing' });
    const err = await resolveCredential('reg.io', s.ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toContain('docker-credential-kodevmissing');
    expect((err as UserError).message).toContain(s.dockerConfig);
    expect((err as UserError).hint).toMatch(/Install docker-credential-kodevmissing .*or remove credsStore/);
  });

  it('the helper is looked up on the PATH of the Env passed in, not the process PATH', async () => {
    const s = await sandbox();
    await s.helper('kodevtest', { 'reg.io': { Username: 'u', Secret: 'p' } });
    await s.writeJson(s.dockerConfig, { credsStore: 'kodevtest' });
    expect(await resolveCredential('reg.io', s.ctx())).toEqual(basic('u', 'p'));
    const noBin = { ...s.ctx(), env: { ...s.ctx().env, PATH: process.env.PATH ?? '/usr/bin:/bin' } };
    await expect(resolveCredential('reg.io', noBin)).rejects.toThrow(
      /docker-credential-kodevtest was not found/,
    );
  });

  it.each<{ name: string; mode: string; want: RegExp }>([
    {
      name: 'a failing helper',
      mode: 'fail',
      want: /docker-credential-kodevtest failed to get .*keychain is locked/,
    },
    { name: 'a helper printing non-JSON', mode: 'garbage', want: /docker-credential-kodevtest .* not JSON/ },
  ])('$name is a user error naming the helper', async ({ mode, want }) => {
    const s = await sandbox();
    await s.helper('kodevtest', { 'reg.io': { Username: 'u', Secret: 'hunter2-helper' } });
    await s.writeJson(s.dockerConfig, { credHelpers: { 'reg.io': 'kodevtest' } });
    const err = await resolveCredential('reg.io', s.ctx({ KODEVTEST_MODE: mode })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(want);
    expect(inspect(err, { showHidden: true, depth: 10 })).not.toContain('hunter2-helper');
  });

  it('a helper name with a path separator is refused', async () => {
    const s = await sandbox();
    await s.writeJson(s.dockerConfig, { credsStore: '../evil' });
    await expect(resolveCredential('reg.io', s.ctx())).rejects.toThrow(/not a plain name/);
  });
});

describe('resolveCredential: podman auth.json', () => {
  const prefixed = {
    auths: {
      'reg.io': { auth: b64('host:p') },
      'reg.io/team': { auth: b64('team:p') },
      'reg.io/team/app': { auth: b64('app:p') },
    },
  };
  it.each<{
    name: string;
    files: Record<string, unknown>;
    env?: Record<string, string>;
    registry?: string;
    repository?: string;
    want: Credential | undefined;
  }>([
    {
      name: 'the repository key is the most specific match',
      files: { xdgRuntime: prefixed },
      repository: 'team/app',
      want: basic('app', 'p'),
    },
    {
      name: 'a namespace key matches repositories below it',
      files: { xdgRuntime: prefixed },
      repository: 'team/other/deep',
      want: basic('team', 'p'),
    },
    {
      name: 'the host key matches other namespaces',
      files: { xdgRuntime: prefixed },
      repository: 'elsewhere/app',
      want: basic('host', 'p'),
    },
    {
      name: 'without a repository the host key applies',
      files: { xdgRuntime: prefixed },
      want: basic('host', 'p'),
    },
    {
      name: 'a namespace-only key does not apply to the whole registry',
      files: { xdgRuntime: { auths: { 'reg.io/team': { auth: b64('team:p') } } } },
      want: undefined,
    },
    {
      name: 'a namespace key is not a string prefix match (team vs teammate)',
      files: { xdgRuntime: { auths: { 'reg.io/team': { auth: b64('team:p') } } } },
      repository: 'teammate/app',
      want: undefined,
    },
    {
      name: 'a legacy https:// key applies to its host',
      files: { xdgRuntime: { auths: { 'https://reg.io/v1/': { auth: b64('legacy:p') } } } },
      repository: 'team/app',
      want: basic('legacy', 'p'),
    },
    {
      name: 'Docker Hub is docker.io and one-segment repositories are under library/',
      files: { xdgRuntime: { auths: { 'docker.io/library/alpine': { auth: b64('lib:p') } } } },
      registry: 'index.docker.io',
      repository: 'alpine',
      want: basic('lib', 'p'),
    },
    {
      name: 'REGISTRY_AUTH_FILE is read, and replaces the default locations',
      files: {
        custom: { auths: { 'reg.io': { auth: b64('custom:p') } } },
        xdgRuntime: { auths: { 'reg.io': { auth: b64('xdg:p') } } },
      },
      env: { REGISTRY_AUTH_FILE: 'custom' },
      want: basic('custom', 'p'),
    },
    {
      name: 'REGISTRY_AUTH_FILE alone: nothing there means nothing',
      files: { xdgRuntime: { auths: { 'reg.io': { auth: b64('xdg:p') } } } },
      env: { REGISTRY_AUTH_FILE: 'custom' },
      want: undefined,
    },
    {
      name: '$XDG_RUNTIME_DIR/containers/auth.json comes before ~/.config',
      files: {
        xdgRuntime: { auths: { 'reg.io': { auth: b64('xdg:p') } } },
        homeConfig: { auths: { 'reg.io': { auth: b64('home:p') } } },
      },
      want: basic('xdg', 'p'),
    },
    {
      name: '~/.config/containers/auth.json when the runtime file has nothing for it',
      files: {
        xdgRuntime: { auths: { 'other.io': { auth: b64('xdg:p') } } },
        homeConfig: { auths: { 'reg.io': { auth: b64('home:p') } } },
      },
      want: basic('home', 'p'),
    },
    {
      name: '$XDG_CONFIG_HOME replaces ~/.config',
      files: {
        xdgConfig: { auths: { 'reg.io': { auth: b64('xdgconfig:p') } } },
        homeConfig: { auths: { 'reg.io': { auth: b64('home:p') } } },
      },
      env: { XDG_CONFIG_HOME: 'xdgConfig' },
      want: basic('xdgconfig', 'p'),
    },
    {
      name: 'the docker config has the entry: podman files are not consulted',
      files: {
        docker: { auths: { 'reg.io': { auth: b64('docker:p') } } },
        xdgRuntime: { auths: { 'reg.io': { auth: b64('xdg:p') } } },
      },
      want: basic('docker', 'p'),
    },
    {
      name: 'the docker config exists but has nothing for it: podman is consulted',
      files: {
        docker: { auths: { 'other.io': { auth: b64('docker:p') } } },
        xdgRuntime: { auths: { 'reg.io': { auth: b64('xdg:p') } } },
      },
      want: basic('xdg', 'p'),
    },
  ])('$name', async ({ files, env = {}, registry = 'reg.io', repository, want }) => {
    const s = await sandbox();
    const runtimeDir = path.join(s.dir, 'run');
    const locations: Record<string, string> = {
      docker: s.dockerConfig,
      xdgRuntime: path.join(runtimeDir, 'containers', 'auth.json'),
      homeConfig: path.join(s.home, '.config', 'containers', 'auth.json'),
      xdgConfig: path.join(s.dir, 'xdg-config', 'containers', 'auth.json'),
      custom: path.join(s.dir, 'custom-auth.json'),
    };
    for (const [where, content] of Object.entries(files))
      await s.writeJson(locations[where] as string, content);
    const fullEnv: Record<string, string> = { XDG_RUNTIME_DIR: runtimeDir };
    if (env.REGISTRY_AUTH_FILE) fullEnv.REGISTRY_AUTH_FILE = locations.custom as string;
    if (env.XDG_CONFIG_HOME) fullEnv.XDG_CONFIG_HOME = path.join(s.dir, 'xdg-config');
    expect(await resolveCredential(registry, s.ctx(fullEnv), { repository })).toEqual(want);
  });
});

describe('resolveCredential: GITHUB_TOKEN for ghcr.io', () => {
  it.each<{ name: string; registry: string; env: Record<string, string>; docker?: unknown; want: unknown }>([
    {
      name: 'user is GITHUB_ACTOR, like go-containerregistry',
      registry: 'ghcr.io',
      env: { GITHUB_TOKEN: 'ghs_abc', GITHUB_ACTOR: 'octocat' },
      want: basic('octocat', 'ghs_abc'),
    },
    {
      name: 'user is "unset" without GITHUB_ACTOR',
      registry: 'ghcr.io',
      env: { GITHUB_TOKEN: 'ghs_abc' },
      want: basic('unset', 'ghs_abc'),
    },
    {
      name: 'not for other registries',
      registry: 'gcr.io',
      env: { GITHUB_TOKEN: 'ghs_abc' },
      want: undefined,
    },
    {
      name: 'an empty GITHUB_TOKEN is no token',
      registry: 'ghcr.io',
      env: { GITHUB_TOKEN: '' },
      want: undefined,
    },
    {
      name: 'a docker config entry for ghcr.io wins',
      registry: 'ghcr.io',
      env: { GITHUB_TOKEN: 'ghs_abc' },
      docker: { auths: { 'ghcr.io': { auth: b64('me:pat') } } },
      want: basic('me', 'pat'),
    },
  ])('$name', async ({ registry, env, docker, want }) => {
    const s = await sandbox();
    if (docker) await s.writeJson(s.dockerConfig, docker);
    expect(await resolveCredential(registry, s.ctx(env))).toEqual(want);
  });
});

describe('malformed auth files', () => {
  it.each<{ name: string; text: string; want: RegExp }>([
    {
      name: 'JSON syntax error with a position gives line and column',
      text: '{\n  "auths": {\n    "reg.io": { "auth": "c2VjcmV0LXB3" }\n  },\n  oops: "hunter2-file"\n}',
      want: /config\.json:5:3: invalid JSON$/,
    },
    {
      name: 'JSON syntax error without a position names the file',
      text: '{"auths": {"reg.io": {"password": hunter2-file}}}',
      want: /config\.json: invalid JSON$/,
    },
    { name: 'a top-level array', text: '["hunter2-file"]', want: /expected a JSON object/ },
    { name: 'auths not an object', text: '{"auths": "hunter2-file"}', want: /"auths" must be an object/ },
    {
      name: 'a non-string password',
      text: '{"auths": {"reg.io": {"password": ["hunter2-file"]}}}',
      want: /auths\["reg\.io"\]\.password must be a string/,
    },
    {
      name: 'auth that is not base64 of user:password',
      text: `{"auths": {"reg.io": {"auth": "${b64('hunter2-file')}"}}}`,
      want: /auths\["reg\.io"\]\.auth is not base64 of "user:password"/,
    },
  ])('$name: user error naming the file, contents not echoed', async ({ text, want }) => {
    const s = await sandbox();
    await s.writeJson(s.dockerConfig, text);
    const err = await resolveCredential('reg.io', s.ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toContain(s.dockerConfig);
    expect((err as UserError).message).toMatch(want);
    expect((err as UserError).hint).toBeTruthy();
    expect(inspect(err, { showHidden: true, depth: 10 })).not.toContain('hunter2-file');
  });

  it('a malformed podman file is named too', async () => {
    const s = await sandbox();
    const file = path.join(s.dir, 'auth.json');
    await s.writeJson(file, '{"auths": {');
    await expect(resolveCredential('reg.io', s.ctx({ REGISTRY_AUTH_FILE: file }))).rejects.toThrow(
      `${file}:1:12: invalid JSON`,
    );
  });
});

describe('storeCredential', () => {
  it.each<{ name: string; registry: string; cred: Credential; key: string; entry: Record<string, string> }>([
    {
      name: 'basic as base64 auth',
      registry: 'reg.io',
      cred: basic('alice', 'pw'),
      key: 'reg.io',
      entry: { auth: b64('alice:pw') },
    },
    {
      name: 'Docker Hub under its legacy key',
      registry: 'docker.io',
      cred: basic('alice', 'pw'),
      key: HUB,
      entry: { auth: b64('alice:pw') },
    },
    {
      name: 'identity token with its user',
      registry: 'reg.io',
      cred: { kind: 'identity-token', username: 'bob', token: 'rt' },
      key: 'reg.io',
      entry: { auth: b64('bob:'), identitytoken: 'rt' },
    },
    {
      name: 'registry token',
      registry: 'reg.io',
      cred: { kind: 'registry-token', token: 'bt' },
      key: 'reg.io',
      entry: { registrytoken: 'bt' },
    },
  ])('$name: new file, dirs created, mode 0600, round-trips', async ({ registry, cred, key, entry }) => {
    const s = await sandbox();
    const result = await storeCredential(registry, cred, s.ctx());
    expect(result).toEqual({ where: s.dockerConfig });
    expect(JSON.parse(await readFile(s.dockerConfig, 'utf8'))).toEqual({ auths: { [key]: entry } });
    expect((await stat(s.dockerConfig)).mode & 0o777).toBe(0o600);
    expect(await resolveCredential(registry, s.ctx())).toEqual(cred);
  });

  it('keeps every other key, replaces the entry, tightens the mode, leaves no temp file', async () => {
    const s = await sandbox();
    const before = {
      auths: { 'other.io': { auth: b64('o:p') }, 'reg.io': { auth: b64('old:old'), identitytoken: 'stale' } },
      credHelpers: { 'gcr.io': 'gcloud' },
      proxies: { default: { httpProxy: 'http://proxy:3128' } },
      psFormat: 'table {{.ID}}',
      plugins: { x: { y: 'z' } },
    };
    await s.writeJson(s.dockerConfig, before);
    await chmod(s.dockerConfig, 0o644);
    await storeCredential('reg.io', basic('alice', 'new'), s.ctx());
    expect(JSON.parse(await readFile(s.dockerConfig, 'utf8'))).toEqual({
      ...before,
      auths: { 'other.io': { auth: b64('o:p') }, 'reg.io': { auth: b64('alice:new') } },
    });
    expect((await stat(s.dockerConfig)).mode & 0o777).toBe(0o600);
    expect(await readdir(path.dirname(s.dockerConfig))).toEqual(['config.json']);
  });

  it('writes through a symlinked config file and keeps the link', async () => {
    const s = await sandbox();
    const real = path.join(s.dir, 'dotfiles', 'docker-config.json');
    await s.writeJson(real, { psFormat: 'x' });
    await mkdir(path.dirname(s.dockerConfig), { recursive: true });
    await symlink(real, s.dockerConfig);
    await storeCredential('reg.io', basic('a', 'b'), s.ctx());
    expect((await lstat(s.dockerConfig)).isSymbolicLink()).toBe(true);
    expect(JSON.parse(await readFile(real, 'utf8'))).toEqual({
      psFormat: 'x',
      auths: { 'reg.io': { auth: b64('a:b') } },
    });
  });

  it.each<{
    name: string;
    config: Record<string, unknown>;
    registry: string;
    cred: Credential;
    stored: unknown;
  }>([
    {
      name: 'credsStore',
      config: { credsStore: 'kodevtest', auths: { 'reg.io': { auth: b64('stale:inline') } } },
      registry: 'reg.io',
      cred: basic('alice', 'pw'),
      stored: { 'reg.io': { Username: 'alice', Secret: 'pw' } },
    },
    {
      name: 'credHelpers[registry]',
      config: { credHelpers: { 'reg.io': 'kodevtest' } },
      registry: 'reg.io',
      cred: basic('alice', 'pw'),
      stored: { 'reg.io': { Username: 'alice', Secret: 'pw' } },
    },
    {
      name: 'credsStore, identity token as Username <token>, Hub key',
      config: { credsStore: 'kodevtest' },
      registry: 'docker.io',
      cred: { kind: 'identity-token', username: '', token: 'rt' },
      stored: { [HUB]: { Username: '<token>', Secret: 'rt' } },
    },
  ])('via helper ($name): secret goes to the helper, config keeps a placeholder', async (c) => {
    const s = await sandbox();
    const store = await s.helper('kodevtest');
    await s.writeJson(s.dockerConfig, c.config);
    const result = await storeCredential(c.registry, c.cred, s.ctx());
    expect(result).toEqual({ where: 'docker-credential-kodevtest' });
    expect(JSON.parse(await readFile(store, 'utf8'))).toEqual(c.stored);
    const config = JSON.parse(await readFile(s.dockerConfig, 'utf8')) as { auths: Record<string, unknown> };
    const key = Object.keys(c.stored as object)[0] as string;
    expect(config.auths[key]).toEqual({});
    expect(await readFile(s.dockerConfig, 'utf8')).not.toContain(b64('stale:inline'));
    expect(await resolveCredential(c.registry, s.ctx())).toEqual(c.cred);
  });

  it('a registry token cannot go to a helper', async () => {
    const s = await sandbox();
    await s.helper('kodevtest');
    await s.writeJson(s.dockerConfig, { credsStore: 'kodevtest' });
    await expect(storeCredential('reg.io', { kind: 'registry-token', token: 't' }, s.ctx())).rejects.toThrow(
      /cannot store a registry token/,
    );
  });

  it('a malformed config is not overwritten', async () => {
    const s = await sandbox();
    await s.writeJson(s.dockerConfig, '{"auths": ');
    await expect(storeCredential('reg.io', basic('a', 'b'), s.ctx())).rejects.toThrow(/invalid JSON/);
    expect(await readFile(s.dockerConfig, 'utf8')).toBe('{"auths": ');
  });
});

describe('redact', () => {
  it.each<{ name: string; text: string; secrets: readonly string[]; want: string }>([
    { name: 'a plain secret', text: 'token=abc123 done', secrets: ['abc123'], want: 'token=*** done' },
    {
      name: 'user:password in its base64 auth form',
      text: `Authorization: Basic ${b64('alice:s3cret')}`,
      secrets: credentialSecrets(basic('alice', 's3cret')),
      want: 'Authorization: Basic ***',
    },
    {
      name: 'the password alone from a basic credential',
      text: 'password was s3cret',
      secrets: credentialSecrets(basic('alice', 's3cret')),
      want: 'password was ***',
    },
    { name: 'JSON-escaped form', text: '{"Secret":"a\\"b"}', secrets: ['a"b'], want: '{"Secret":"***"}' },
    { name: 'every occurrence', text: 'x x x', secrets: ['x'], want: '*** *** ***' },
    { name: 'longer secrets first', text: 'abcdef', secrets: ['abc', 'abcdef'], want: '***' },
    { name: 'empty secrets are ignored', text: 'keep me', secrets: [''], want: 'keep me' },
    {
      name: 'identity token',
      text: 'rt-1',
      secrets: credentialSecrets({ kind: 'identity-token', username: 'u', token: 'rt-1' }),
      want: '***',
    },
  ])('$name', ({ text, secrets, want }) => {
    expect(redact(text, secrets)).toBe(want);
  });
});

describe('no secret in any error', () => {
  const SECRET = 'hunter2-NEVER-SHOWN';
  const USER = 'leaky-user';
  const forms = [SECRET, b64(`${USER}:${SECRET}`), b64(SECRET)];

  it.each<{ name: string; act: (s: Sandbox) => Promise<unknown> }>([
    {
      name: 'malformed config holding the secret',
      act: async (s) => {
        await s.writeJson(s.dockerConfig, `{"auths": {"reg.io": {"password": ${SECRET}}}}`);
        return resolveCredential('reg.io', s.ctx());
      },
    },
    {
      name: 'unparsable auth field holding the secret',
      act: async (s) => {
        await s.writeJson(s.dockerConfig, { auths: { 'reg.io': { auth: b64(SECRET) } } });
        return resolveCredential('reg.io', s.ctx());
      },
    },
    {
      name: 'helper failing to store and echoing its input',
      act: async (s) => {
        await s.helper('kodevtest');
        await s.writeJson(s.dockerConfig, { credsStore: 'kodevtest' });
        return storeCredential('reg.io', basic(USER, SECRET), s.ctx({ KODEVTEST_MODE: 'echo' }));
      },
    },
    {
      name: 'missing helper on store',
      act: async (s) => {
        await s.writeJson(s.dockerConfig, { credsStore: 'kodevmissing' });
        return storeCredential('reg.io', basic(USER, SECRET), s.ctx());
      },
    },
    {
      name: 'helper printing non-JSON that includes the secret',
      act: async (s) => {
        await s.helper('kodevtest', { 'reg.io': { Username: USER, Secret: SECRET } });
        await s.writeJson(s.dockerConfig, { credsStore: 'kodevtest' });
        return resolveCredential('reg.io', s.ctx({ KODEVTEST_MODE: 'garbage' }));
      },
    },
    {
      name: 'config directory that cannot be created on store',
      act: async (s) => {
        const blocker = path.join(s.dir, 'not-a-dir');
        await writeFile(blocker, '');
        return storeCredential(
          'reg.io',
          basic(USER, SECRET),
          s.ctx({ DOCKER_CONFIG: path.join(blocker, 'docker') }),
        );
      },
    },
  ])('$name', async ({ act }) => {
    const s = await sandbox();
    const err = await act(s).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    const e = err as UserError;
    const renderings = [
      String(e),
      e.message,
      e.hint ?? '',
      e.stack ?? '',
      JSON.stringify(e),
      JSON.stringify(e, Object.getOwnPropertyNames(e)),
      inspect(e, { showHidden: true, depth: 10 }),
      String(e.cause ?? ''),
    ];
    for (const text of renderings) for (const form of forms) expect(text).not.toContain(form);
  });
});
