import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKubeTarget } from '../../src/k8s/kubeconfig.js';
import { removeAll, tempDir } from '../helpers/kodev.js';

let dir: string;
const config = (name: string, server: string, ns?: string) =>
  `apiVersion: v1\nkind: Config\nclusters: [{name: ${name}, cluster: {server: "${server}"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: ${name}, context: {cluster: ${name}, user: u${ns ? `, namespace: ${ns}` : ''}}}]\ncurrent-context: ${name}\n`;

beforeAll(async () => {
  dir = await tempDir();
  await writeFile(join(dir, 'a.yaml'), config('a', 'https://a.example:6443/', 'team-a'));
  await writeFile(join(dir, 'b.yaml'), config('b', 'https://b.example:6443'));
  await mkdir(join(dir, 'home/.kube'), { recursive: true });
  await writeFile(join(dir, 'home/.kube/config'), config('home', 'https://home.example'));
  await writeFile(join(dir, 'broken.yaml'), 'clusters: [unclosed');
});
afterAll(() => removeAll(dir));

describe('loadKubeTarget', () => {
  it('prefers --kubeconfig, and -n over the context namespace', () => {
    const t = loadKubeTarget({
      kubeconfig: join(dir, 'a.yaml'),
      namespace: 'mine',
      env: {},
      homeDir: join(dir, 'home'),
    });
    expect(t).toMatchObject({
      context: 'a',
      server: 'https://a.example:6443',
      namespace: 'mine',
      namespaceFromFlag: true,
    });
  });
  it('merges KUBECONFIG files with the first file current context winning, like kubectl', () => {
    const t = loadKubeTarget({
      env: { KUBECONFIG: `${join(dir, 'a.yaml')}:${join(dir, 'b.yaml')}` },
      homeDir: dir,
    });
    expect(t).toMatchObject({ context: 'a', namespace: 'team-a', namespaceFromFlag: false });
  });
  it('switches with --context to a context from another KUBECONFIG file', () => {
    const t = loadKubeTarget({
      context: 'b',
      env: { KUBECONFIG: `${join(dir, 'a.yaml')}:${join(dir, 'b.yaml')}` },
      homeDir: dir,
    });
    expect(t).toMatchObject({ context: 'b', server: 'https://b.example:6443', namespace: 'default' });
  });
  it('falls back to ~/.kube/config', () => {
    expect(loadKubeTarget({ env: {}, homeDir: join(dir, 'home') }).context).toBe('home');
  });
  const errors: { name: string; o: () => Parameters<typeof loadKubeTarget>[0]; message: RegExp }[] = [
    {
      name: 'no configuration anywhere',
      o: () => ({ env: {}, homeDir: dir }),
      message: /^no Kubernetes configuration found/,
    },
    {
      name: 'a missing --kubeconfig',
      o: () => ({ kubeconfig: join(dir, 'nope'), env: {}, homeDir: dir }),
      message: /^--kubeconfig .*nope: no such file$/,
    },
    {
      name: 'KUBECONFIG naming no file',
      o: () => ({ env: { KUBECONFIG: join(dir, 'nope') }, homeDir: dir }),
      message: /^KUBECONFIG=.*nope names no existing file$/,
    },
    {
      name: 'an unknown context',
      o: () => ({ context: 'zz', kubeconfig: join(dir, 'a.yaml'), env: {}, homeDir: dir }),
      message: /^--context zz: no such context in .*a\.yaml$/,
    },
    {
      name: 'a file that is not YAML',
      o: () => ({ kubeconfig: join(dir, 'broken.yaml'), env: {}, homeDir: dir }),
      message: /broken\.yaml: not a readable kubeconfig/,
    },
  ];
  for (const c of errors) it(c.name, () => expect(() => loadKubeTarget(c.o())).toThrow(c.message));
});
