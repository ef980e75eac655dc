import { describe, expect, it } from 'vitest';
import { parseManifests, renderManifests } from '../../src/resolve/documents.js';
import { resolveManifests } from '../../src/resolve/resolve.js';
import { parseSelector } from '../../src/resolve/selector.js';

const MANIFESTS = `# the web app
kind: Deployment
metadata:
  labels: {app: web}
spec:
  containers:
    - image: "ko://example.com/app/cmd/web" # built by kodev
      args: [ko://example.com/app/cmd/sidecar]
---
kind: Job
metadata:
  labels: {app: migrate}
spec:
  image: ko://example.com/app/cmd/migrate
  again: ko://example.com/app/cmd/web
---
kind: Service
metadata:
  labels: {app: web}
`;

/** A publish that records its calls and maps each ref to `reg.io/<last path element>`. */
function recordingPublish() {
  const calls: (readonly string[])[] = [];
  const publish = async (refs: readonly string[]) => {
    calls.push(refs);
    return new Map(refs.map((r) => [r, `reg.io/${r.split('/').pop()}@sha256:abc`]));
  };
  return { calls, publish };
}

describe('resolveManifests', () => {
  it('publishes every distinct reference in one call and replaces them', async () => {
    const docs = parseManifests({ name: 'app.yaml', text: MANIFESTS });
    const { calls, publish } = recordingPublish();
    const out = await resolveManifests(docs, { publish });
    expect(calls).toEqual([
      [
        'ko://example.com/app/cmd/web',
        'ko://example.com/app/cmd/sidecar',
        'ko://example.com/app/cmd/migrate',
      ],
    ]);
    expect(renderManifests(out)).toBe(
      MANIFESTS.replace('"ko://example.com/app/cmd/web"', '"reg.io/web@sha256:abc"')
        .replace('ko://example.com/app/cmd/sidecar', 'reg.io/sidecar@sha256:abc')
        .replace('ko://example.com/app/cmd/migrate', 'reg.io/migrate@sha256:abc')
        .replace('ko://example.com/app/cmd/web', 'reg.io/web@sha256:abc'),
    );
  });

  it('does not change the input documents and returns documents without references as they are', async () => {
    const docs = parseManifests({ name: 'app.yaml', text: MANIFESTS });
    const out = await resolveManifests(docs, recordingPublish());
    expect(renderManifests(docs)).toBe(MANIFESTS);
    expect(out[0]).not.toBe(docs[0]);
    expect(out[2]).toBe(docs[2]);
  });

  it('builds only the references of the selected documents', async () => {
    const docs = parseManifests({ name: 'app.yaml', text: MANIFESTS });
    const { calls, publish } = recordingPublish();
    const out = await resolveManifests(docs, { selector: parseSelector('app=web'), publish });
    expect(calls).toEqual([['ko://example.com/app/cmd/web', 'ko://example.com/app/cmd/sidecar']]);
    expect(out.map((d) => d.index)).toEqual([0, 2]);
  });

  it.each([
    ['documents without references', 'kind: Service\nmetadata: {name: s}\n', undefined, 1],
    ['no documents', '', undefined, 0],
    ['references only in unselected documents', MANIFESTS, 'app=none', 0],
  ])('does not call publish for %s', async (_name, text, selector, count) => {
    const docs = parseManifests({ name: 'x.yaml', text });
    const { calls, publish } = recordingPublish();
    const out = await resolveManifests(docs, {
      publish,
      ...(selector ? { selector: parseSelector(selector) } : {}),
    });
    expect(calls).toEqual([]);
    expect(out).toHaveLength(count);
    expect(out).toEqual(docs.slice(0, count));
  });

  it('propagates a publish error and replaces nothing', async () => {
    const docs = parseManifests({ name: 'app.yaml', text: MANIFESTS });
    const failure = new Error('build of ko://example.com/app/cmd/web failed');
    await expect(resolveManifests(docs, { publish: () => Promise.reject(failure) })).rejects.toBe(failure);
    expect(renderManifests(docs)).toBe(MANIFESTS);
  });

  it('rejects an invalid reference before publishing', async () => {
    const docs = parseManifests({ name: 'bad.yaml', text: 'a: 1\nimage: "ko://has space"\n' });
    const { calls, publish } = recordingPublish();
    await expect(resolveManifests(docs, { publish })).rejects.toThrow(
      'bad.yaml:2: "ko://has space" is not a valid ko:// reference',
    );
    expect(calls).toEqual([]);
  });

  it('fails loudly when publish leaves a reference out', async () => {
    const docs = parseManifests({ name: 'app.yaml', text: 'image: ko://example.com/x\n' });
    const publish = async () => new Map<string, string>();
    await expect(resolveManifests(docs, { publish })).rejects.toThrow(
      'no image was resolved for ko://example.com/x',
    );
  });
});
