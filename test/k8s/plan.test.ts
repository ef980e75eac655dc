import { describe, expect, it } from 'vitest';
import type { KubeApi, KubeRequest } from '../../src/k8s/client.js';
import { Discovery, resourcePath } from '../../src/k8s/discovery.js';
import type { KubeObject, ManifestObject } from '../../src/k8s/objects.js';
import { planObjects } from '../../src/k8s/plan.js';

/** A discovery-only API server seam: the resource lists of a few group versions. */
function fakeApi(): KubeApi & { requests: string[] } {
  const lists: Record<string, unknown> = {
    '/api/v1': {
      resources: [
        { name: 'namespaces', kind: 'Namespace', namespaced: false },
        { name: 'configmaps', kind: 'ConfigMap', namespaced: true },
        { name: 'pods/log', kind: 'Pod', namespaced: true },
        { name: 'pods', kind: 'Pod', namespaced: true },
      ],
    },
    '/apis/apiextensions.k8s.io/v1': {
      resources: [{ name: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false }],
    },
  };
  const requests: string[] = [];
  return {
    server: 'https://fake',
    context: 'fake',
    requests,
    async json<T>(req: KubeRequest): Promise<T> {
      requests.push(req.path);
      const body = lists[req.path];
      if (!body) {
        const { KubeApiError } = await import('../../src/k8s/client.js');
        throw new KubeApiError(404, { reason: 'NotFound' }, req.method, req.path);
      }
      return body as T;
    },
    async call<T>(req: KubeRequest) {
      return { statusCode: 200, body: await this.json<T>(req) };
    },
    stream: () => Promise.reject(new Error('not used')),
    close: async () => undefined,
  };
}

const m = (
  o: Partial<KubeObject> & Pick<KubeObject, 'apiVersion' | 'kind'>,
  where = 'f.yaml:1',
): ManifestObject => ({
  object: { metadata: { name: 'x' }, ...o } as KubeObject,
  where,
});
const crd = m({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: { group: 'example.com', scope: 'Namespaced', names: { kind: 'Widget' }, versions: [{ name: 'v1' }] },
});

describe('planObjects', () => {
  it('puts Namespaces, then CRDs, then everything else in written order', async () => {
    const objects = [
      m({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c1' } }),
      m({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }),
      crd,
      m({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' } }),
      m({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c2', namespace: 'other' } }),
    ];
    const plan = await planObjects(new Discovery(fakeApi()), objects, { namespace: 'dflt', fromFlag: false });
    expect(plan.map((p) => `${p.object.kind}/${p.object.metadata.name}@${p.namespace ?? '-'}`)).toEqual([
      'Namespace/ns@-',
      'CustomResourceDefinition/widgets.example.com@-',
      'ConfigMap/c1@dflt',
      'Widget/w@dflt',
      'ConfigMap/c2@other',
    ]);
    expect(plan[3]?.resource).toBeUndefined();
    expect(plan[3]?.definedBy).toBe(crd);
  });

  it('asks discovery once per group version', async () => {
    const api = fakeApi();
    const objects = ['a', 'b', 'c'].map((name) =>
      m({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } }),
    );
    await planObjects(new Discovery(api), objects, { namespace: 'd', fromFlag: false });
    expect(api.requests).toEqual(['/api/v1']);
  });

  it('skips subresources when mapping kinds to resources', async () => {
    const d = new Discovery(fakeApi());
    const pod = await d.resource('v1', 'Pod');
    expect(pod && resourcePath(pod, 'n', 'p')).toBe('/api/v1/namespaces/n/pods/p');
  });

  const errors: { name: string; objects: ManifestObject[]; fromFlag: boolean; message: RegExp }[] = [
    {
      name: 'a kind neither the server nor a CRD in the batch defines',
      objects: [m({ apiVersion: 'example.com/v2', kind: 'Widget' }, 'w.yaml:4'), crd],
      fromFlag: false,
      message: /^w\.yaml:4: the API server has no kind Widget in example\.com\/v2 \(Widget\/x\)$/,
    },
    {
      name: 'a namespace different from -n',
      objects: [
        m({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'b' } }, 'c.yaml:9'),
      ],
      fromFlag: true,
      message: /^c\.yaml:9: ConfigMap\/c names namespace b, which does not match -n a$/,
    },
  ];
  for (const c of errors)
    it(c.name, async () => {
      await expect(
        planObjects(new Discovery(fakeApi()), c.objects, { namespace: 'a', fromFlag: c.fromFlag }),
      ).rejects.toThrow(c.message);
    });
});
