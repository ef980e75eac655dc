/**
 * `kodev resolve` end to end with real go builds and a real registry: the
 * output is the input with each ko:// reference replaced by exactly what
 * `kodev build` prints for it, so comments, order and quoting survive.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFixture, removeAll, runKodev } from '../helpers/kodev.js';
import { type Registry, startRegistry } from '../helpers/registry.js';

let registry: Registry;
let app: string;
const built = new Map<string, string>();

function kodev(args: string[], input?: string) {
  return runKodev(args, {
    cwd: app,
    env: { KO_DOCKER_REPO: `${registry.host}/resolve` },
    ...(input !== undefined ? { input } : {}),
  });
}

beforeAll(async () => {
  registry = await startRegistry();
  app = await copyFixture('k8s-app');
  const paths = ['server', 'ticker', 'migrate'].map((c) => `example.com/kodev-k8s/cmd/${c}`);
  const r = await kodev(['build', ...paths]);
  expect(r.exitCode, r.stderr).toBe(0);
  r.stdout
    .trim()
    .split('\n')
    .forEach((ref, i) => built.set(`ko://${paths[i]}`, ref));
}, 300_000);

afterAll(async () => {
  await registry?.stop();
  if (app) await removeAll(join(app, '..'));
});

/** The input text with every ko:// reference swapped for what kodev build printed. */
function expected(text: string): string {
  let out = text;
  for (const [ko, ref] of built) out = out.split(ko).join(ref);
  return out;
}

describe('kodev resolve', () => {
  it('replaces every reference and keeps comments, key order, flow style and quoting byte for byte', async () => {
    for (const file of ['server.yaml', 'ticker.yaml', 'migrate.yaml']) {
      const text = await readFile(join(app, 'config', file), 'utf8');
      const r = await kodev(['resolve', '-f', join('config', file)]);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toBe(expected(text));
    }
  });

  it('reads a directory in name order and separates documents with ---', async () => {
    const r = await kodev(['resolve', '-f', 'config']);
    const texts = await Promise.all(
      ['migrate.yaml', 'server.yaml', 'ticker.yaml'].map((f) => readFile(join(app, 'config', f), 'utf8')),
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe(expected(texts.join('---\n')));
  });

  it('reads stdin with -f - and JSON documents', async () => {
    const json =
      '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "ko://example.com/kodev-k8s/cmd/ticker"}]}}\n';
    const r = await kodev(['resolve', '-f', '-'], json);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(expected(json)));
  });

  it('filters documents with -l before building, so unselected references are not built', async () => {
    const manifest = `apiVersion: v1
kind: Pod
metadata: {name: a, labels: {tier: web}}
spec: {containers: [{name: c, image: ko://example.com/kodev-k8s/cmd/server}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, labels: {tier: worker}}
spec: {containers: [{name: c, image: ko://example.com/kodev-k8s/internal/banner}]}
`;
    const r = await kodev(['resolve', '-l', 'tier=web', '-f', '-'], manifest);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe(expected(manifest.split('---\n')[0] as string));
  });

  it('produces the same references as kodev build, so the node can pull and run them', async () => {
    const r = await kodev(['resolve', '-f', 'config/migrate.yaml']);
    const ref = /image: '([^']+)'/.exec(r.stdout)?.[1] ?? '';
    expect(ref).toBe(built.get('ko://example.com/kodev-k8s/cmd/migrate'));
    const inspect = await execa('skopeo', ['inspect', '--tls-verify=false', `docker://${ref}`]);
    expect(JSON.parse(inspect.stdout).Digest).toBe(ref.slice(ref.indexOf('@') + 1));
  });
});

describe('kodev resolve with bad input prints nothing on stdout and names the place', () => {
  const cases: { name: string; file?: string; text: string; args?: string[]; stderr: RegExp }[] = [
    {
      name: 'a ko:// reference to a package that is not main',
      file: 'bad-ref.yaml',
      text: 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: ko://example.com/kodev-k8s/internal/banner\n',
      stderr: /^Error: bad-ref\.yaml:7: .*example\.com\/kodev-k8s\/internal\/banner.*not a main package/,
    },
    {
      name: 'a YAML syntax error',
      file: 'broken.yaml',
      text: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n',
      stderr: /^Error: broken\.yaml:\d+:\d+: YAML syntax error: /,
    },
    {
      name: 'a missing file',
      text: '',
      args: ['-f', 'nope.yaml'],
      stderr: /^Error: -f nope\.yaml: no such file or directory; check the path\n$/,
    },
    {
      name: 'a malformed selector',
      file: 'ok.yaml',
      text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n',
      args: ['-l', 'a in (b'],
      stderr: /^Error: -l "a in \(b": /,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      if (c.file) await writeFile(join(app, c.file), c.text);
      const r = await kodev(['resolve', ...(c.args ?? []), ...(c.file ? ['-f', c.file] : [])]);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(c.stderr);
      expect(
        r.stderr
          .trim()
          .split('\n')
          .filter((l) => l.startsWith('Error:')),
      ).toHaveLength(1);
      expect(r.exitCode).toBeGreaterThan(0);
    });
  }
});
