import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { parseManifests, renderManifests } from '../../src/resolve/documents.js';
import {
  findReferences,
  KO_PREFIX,
  replaceReferences,
  uniqueReferences,
} from '../../src/resolve/references.js';

const parse = (text: string, name = 'm.yaml') => parseManifests({ name, text });
const refsIn = (text: string) => findReferences(parse(text)).map((s) => s.ref);

describe('findReferences', () => {
  it.each([
    ['a top-level value', 'image: ko://example.com/app\n', ['ko://example.com/app']],
    [
      'nested containers',
      'spec:\n  template:\n    spec:\n      containers:\n        - name: a\n          image: ko://e.com/a\n',
      ['ko://e.com/a'],
    ],
    [
      'a list of args',
      'args:\n  - --sidecar=x\n  - ko://e.com/s\n  - ko://e.com/t\n',
      ['ko://e.com/s', 'ko://e.com/t'],
    ],
    ['a flow mapping', 'c: {name: a, image: "ko://e.com/f"}\n', ['ko://e.com/f']],
    ['a flow sequence', 'args: [ko://e.com/x, plain]\n', ['ko://e.com/x']],
    ['JSON input', '{"spec": {"image": "ko://e.com/j", "n": 1}}', ['ko://e.com/j']],
    ['single-quoted value', "image: 'ko://e.com/q'\n", ['ko://e.com/q']],
    ['a literal block scalar, trimmed', 'image: |\n  ko://e.com/b\n', ['ko://e.com/b']],
    ['an anchored value once, not its alias', 'a: &i ko://e.com/a\nb: *i\n', ['ko://e.com/a']],
    ['every document, in order', 'a: ko://e.com/1\n---\nb: ko://e.com/2\n', ['ko://e.com/1', 'ko://e.com/2']],
    ['repeats as they occur', 'a: ko://e.com/1\nb: ko://e.com/1\n', ['ko://e.com/1', 'ko://e.com/1']],
    ['not a map key', 'ko://e.com/key: value\n"ko://e.com/k2": v\n', []],
    ['not a string merely containing ko://', 'a: "see ko://e.com/x"\nb: xko://e\n', []],
    ['not a leading-space string', 'a: " ko://e.com/x"\n', []],
    ['not other schemes or numbers', 'a: docker://x\nb: 5\nc: null\nd: true\n', []],
  ])('finds %s', (_name, text, want) => {
    expect(refsIn(text)).toEqual(want);
  });

  it('reports the source and the line of each scalar', () => {
    const sites = findReferences([
      ...parse('# c\na:\n  b:\n    - ko://e.com/x\n---\n\nimage: ko://e.com/y\n', 'deploy.yaml'),
      ...parse('image: ko://e.com/z\n', '-'),
    ]);
    expect(sites).toEqual([
      { ref: 'ko://e.com/x', source: 'deploy.yaml', line: 4, document: 0 },
      { ref: 'ko://e.com/y', source: 'deploy.yaml', line: 7, document: 1 },
      { ref: 'ko://e.com/z', source: '-', line: 1, document: 2 },
    ]);
  });

  it('exports the prefix', () => {
    expect(KO_PREFIX).toBe('ko://');
  });
});

describe('replaceReferences', () => {
  const resolved = new Map([
    ['ko://e.com/a', 'reg.io/a@sha256:1111'],
    ['ko://e.com/b', 'reg.io/b@sha256:2222'],
  ]);

  it.each([
    ['plain', 'image: ko://e.com/a # built\n', 'image: reg.io/a@sha256:1111 # built\n'],
    ['double-quoted', 'image: "ko://e.com/a"\n', 'image: "reg.io/a@sha256:1111"\n'],
    ['single-quoted', "image: 'ko://e.com/a'\n", "image: 'reg.io/a@sha256:1111'\n"],
    [
      'flow',
      'args: [ko://e.com/a, "ko://e.com/b"]\n',
      'args: [reg.io/a@sha256:1111, "reg.io/b@sha256:2222"]\n',
    ],
    ['JSON', '{"image": "ko://e.com/b"}', '{"image": "reg.io/b@sha256:2222"}\n'],
    ['anchor and alias', 'a: &x ko://e.com/a\nb: *x\n', 'a: &x reg.io/a@sha256:1111\nb: *x\n'],
    ['keys untouched', 'ko://e.com/a: ko://e.com/b\n', 'ko://e.com/a: reg.io/b@sha256:2222\n'],
    [
      'across documents, others unchanged',
      '# keep\nkind: A\n---\nimage: ko://e.com/b\n',
      '# keep\nkind: A\n---\nimage: reg.io/b@sha256:2222\n',
    ],
  ])('keeps the style: %s', (_name, text, want) => {
    const docs = parse(text);
    replaceReferences(docs, resolved);
    expect(renderManifests(docs)).toBe(want);
  });

  it('throws a plain Error (a bug) for a reference with no entry', () => {
    const docs = parse('image: ko://e.com/missing\n');
    expect(() => replaceReferences(docs, resolved)).toThrow('no image was resolved for ko://e.com/missing');
    expect(() => replaceReferences(docs, resolved)).not.toThrow(UserError);
  });
});

describe('uniqueReferences', () => {
  it('returns distinct references in first-seen order', () => {
    const sites = findReferences(parse('a: ko://e.com/b\nb: ko://e.com/a\nc: ko://e.com/b\n'));
    expect(uniqueReferences(sites)).toEqual(['ko://e.com/b', 'ko://e.com/a']);
  });

  it('returns nothing for no sites', () => {
    expect(uniqueReferences([])).toEqual([]);
  });

  it.each([
    ['an empty import path', 'a: 1\nimage: ko://\n', 'm.yaml:2: "ko://" is not a valid ko:// reference'],
    [
      'a space inside',
      'image: "ko://e.com/a b"\n',
      'm.yaml:1: "ko://e.com/a b" is not a valid ko:// reference',
    ],
    [
      'a tab inside',
      'image: "ko://e.com/a\\tb"\n',
      'm.yaml:1: "ko://e.com/a\\tb" is not a valid ko:// reference',
    ],
  ])('rejects %s with file:line', (_name, text, message) => {
    const sites = findReferences(parse(text));
    expect(() => uniqueReferences(sites)).toThrow(
      expect.objectContaining({
        name: 'UserError',
        message,
        hint: expect.stringContaining('ko://example.com/'),
      }),
    );
  });

  it('names stdin as <stdin>', () => {
    expect(() => uniqueReferences([{ ref: 'ko://', source: '-', line: 9, document: 0 }])).toThrow(
      '<stdin>:9: "ko://" is not a valid ko:// reference',
    );
  });
});
