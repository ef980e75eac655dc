import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { parseManifests, renderManifests } from '../../src/resolve/documents.js';
import {
  type LabelSelector,
  matchesSelector,
  parseSelector,
  selectDocuments,
} from '../../src/resolve/selector.js';

describe('parseSelector', () => {
  it.each<[string, string, LabelSelector['requirements']]>([
    ['empty text', '', []],
    ['only spaces', '   ', []],
    ['=', 'app=web', [{ key: 'app', operator: '=', values: ['web'] }]],
    ['==', 'app==web', [{ key: 'app', operator: '==', values: ['web'] }]],
    ['!=', 'tier != db', [{ key: 'tier', operator: '!=', values: ['db'] }]],
    ['= with an empty value', 'app=', [{ key: 'app', operator: '=', values: [''] }]],
    ['in', 'env in (dev, prod)', [{ key: 'env', operator: 'in', values: ['dev', 'prod'] }]],
    ['in with an empty value', 'env in (x,)', [{ key: 'env', operator: 'in', values: ['x', ''] }]],
    ['notin', 'env notin (test)', [{ key: 'env', operator: 'notin', values: ['test'] }]],
    ['exists', 'debug', [{ key: 'debug', operator: 'exists', values: [] }]],
    ['does not exist', '!legacy', [{ key: 'legacy', operator: '!', values: [] }]],
    [
      'a prefixed key',
      'app.kubernetes.io/name=x',
      [{ key: 'app.kubernetes.io/name', operator: '=', values: ['x'] }],
    ],
    [
      'every operator together',
      'a=b,c!=d,e in (x,y),f notin (z),g,!h',
      [
        { key: 'a', operator: '=', values: ['b'] },
        { key: 'c', operator: '!=', values: ['d'] },
        { key: 'e', operator: 'in', values: ['x', 'y'] },
        { key: 'f', operator: 'notin', values: ['z'] },
        { key: 'g', operator: 'exists', values: [] },
        { key: 'h', operator: '!', values: [] },
      ],
    ],
  ])('parses %s', (_name, text, want) => {
    expect(parseSelector(text).requirements).toEqual(want);
  });

  it.each([
    ['a trailing comma', 'a=b,', 'expected a label key, found the end at column 5'],
    ['a leading comma', ',a', 'expected a label key, found "," at column 1'],
    ['two words', 'a b', 'expected an operator (=, ==, !=, in, notin) or "," after "a" at column 3'],
    [
      'an unsupported operator',
      'a > 1',
      'expected an operator (=, ==, !=, in, notin) or "," after "a" at column 3',
    ],
    ['in without (', 'a in x', 'expected "(" after in at column 6'],
    ['an empty in ()', 'a in ()', 'in needs at least one value at column 7'],
    ['an unclosed in (', 'a in (x,y', 'expected "," or ")", found the end at column 10'],
    ['values without a comma', 'a notin (x y)', 'expected "," or ")", found "y" at column 12'],
    ['an operator after a value', 'a=b=c', 'expected "," or the end, found "=" at column 4'],
    ['! without a key', '!', 'expected a label key, found the end at column 2'],
    [
      'a bad key character',
      'a$b=c',
      'label key "a$b" must be letters and digits, with - _ . only inside at column 1',
    ],
    [
      'a key ending in -',
      'app-=x',
      'label key "app-" must be letters and digits, with - _ . only inside at column 1',
    ],
    [
      'an uppercase key prefix',
      'Example.com/a=b',
      'label key "Example.com/a" has a prefix that is not a DNS subdomain (lowercase letters, digits, - and .) at column 1',
    ],
    ['an empty key name', 'example.com/=b', 'label key "example.com/" has an empty name at column 1'],
    [
      'a too long key',
      `${'k'.repeat(64)}`,
      `label key "${'k'.repeat(64)}" is longer than 63 characters at column 1`,
    ],
    [
      'a bad value',
      'a=b/c',
      'label value "b/c" must be letters and digits, with - _ . only inside at column 3',
    ],
    [
      'a too long value',
      `a in (${'v'.repeat(64)})`,
      `label value "${'v'.repeat(64)}" is longer than 63 characters at column 7`,
    ],
  ])('rejects %s', (_name, text, what) => {
    let error: unknown;
    try {
      parseSelector(text);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe(`-l ${JSON.stringify(text)}: ${what}`);
    expect((error as UsageError).hint).toContain('kubectl -l');
  });
});

describe('matchesSelector', () => {
  const labels = { app: 'web', tier: 'front', empty: '' };
  it.each([
    ['the empty selector', '', true],
    ['= on a match', 'app=web', true],
    ['= on another value', 'app=api', false],
    ['= on a missing label', 'zone=a', false],
    ['== on a match', 'app==web', true],
    ['= with an empty value on an empty label', 'empty=', true],
    ['!= on another value', 'app!=api', true],
    ['!= on the same value', 'app!=web', false],
    ['!= on a missing label', 'zone!=a', true],
    ['in with a listed value', 'tier in (back, front)', true],
    ['in with an unlisted value', 'tier in (back)', false],
    ['in on a missing label', 'zone in (a)', false],
    ['notin with an unlisted value', 'tier notin (back)', true],
    ['notin with a listed value', 'tier notin (front)', false],
    ['notin on a missing label', 'zone notin (a)', true],
    ['exists on a present label', 'app', true],
    ['exists on a missing label', 'zone', false],
    ['! on a missing label', '!zone', true],
    ['! on a present label', '!app', false],
    ['all requirements holding', 'app=web,tier,!zone', true],
    ['one requirement failing', 'app=web,tier=back', false],
  ])('%s -> %s', (_name, text, want) => {
    expect(matchesSelector(parseSelector(text), labels)).toBe(want);
  });
});

const MANIFESTS = `# web deployment
kind: Deployment
metadata:
  name: web
  labels: {app: web}
---
kind: Service
metadata:
  name: db
  labels:
    app: db
---
kind: ConfigMap
metadata:
  name: unlabeled
---
- just
- a list
---
kind: List
items:
  # first item
  - kind: Pod
    metadata: {name: p1, labels: {app: web}}
  - kind: Pod
    metadata: {name: p2, labels: {app: db}}
---
kind: DeploymentList
items:
  - metadata: {name: d1, labels: {app: db}}
`;

describe('selectDocuments', () => {
  const docs = parseManifests({ name: 'all.yaml', text: MANIFESTS });
  const names = (sel: string) =>
    selectDocuments(docs, parseSelector(sel)).map((d) =>
      JSON.stringify(d.doc.toJS()?.metadata?.name ?? d.index),
    );

  it.each([
    ['the empty selector keeps everything', '', ['"web"', '"db"', '"unlabeled"', '3', '4', '5']],
    ['app=web keeps the deployment and the List', 'app=web', ['"web"', '4']],
    ['app=db keeps the service and both Lists', 'app=db', ['"db"', '4', '5']],
    ['!app keeps unlabeled documents and non-maps', '!app', ['"unlabeled"', '3']],
    ['app=none keeps nothing', 'app=none', []],
  ])('%s', (_name, sel, want) => {
    expect(names(sel)).toEqual(want);
  });

  it('keeps only the matching items of a List, with comments, in a copy', () => {
    const before = renderManifests(docs);
    const list = selectDocuments(docs, parseSelector('app=web')).find((d) => d.index === 4);
    expect(list && renderManifests([list])).toBe(
      'kind: List\nitems:\n  # first item\n  - kind: Pod\n    metadata: {name: p1, labels: {app: web}}\n',
    );
    expect(list?.doc).not.toBe(docs[4]?.doc);
    expect(renderManifests(docs)).toBe(before);
  });

  it('returns a List whose items all match as it is', () => {
    const list = selectDocuments(docs, parseSelector('app=db')).find((d) => d.index === 5);
    expect(list?.doc).toBe(docs[5]?.doc);
  });

  it('keeps the documents of a kept non-List as they are', () => {
    const [web] = selectDocuments(docs, parseSelector('app=web'));
    expect(web).toBe(docs[0]);
    expect(renderManifests(web ? [web] : [])).toContain('# web deployment');
  });
});
