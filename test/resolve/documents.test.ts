import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { lineOf, location, parseManifests, renderManifests } from '../../src/resolve/documents.js';

const roundTrip = (text: string): string => renderManifests(parseManifests({ name: 'in.yaml', text }));

describe('parseManifests + renderManifests round-trip', () => {
  it.each([
    ['leading, inline and in-between comments', '# leading\napp: web # inline\n# inside\nport: 80\n'],
    ['key order', 'zeta: 1\nalpha: 2\nmid: 3\n'],
    ['single, double and plain quoting', `a: 'single'\nb: "double"\nc: plain\nd: "123"\ne: 'true'\n`],
    ['literal block scalars', 'script: |\n  echo hi\n  echo there\nkeep: |+\n  x\n\nstrip: |-\n  y\n'],
    ['a folded block scalar on one line', 'folded: >-\n  one two\n'],
    ['anchors and aliases', 'base: &b\n  x: 1\nother: *b\n'],
    ['long strings are not re-folded', `args: ["${'x '.repeat(80).trim()}"]\n`],
    ['nested sequences and maps', 'spec:\n  containers:\n    - name: a\n      args: [--v, "2"]\n'],
    ['two documents', 'a: 1\n---\nb: 2\n'],
  ])('%s', (_name, text) => {
    expect(roundTrip(text)).toBe(text);
  });

  it.each([
    [
      'drops empty documents between others',
      'a: 1\n---\n---\n# only a comment\n---\nnull\n---\nb: 2\n',
      'a: 1\n---\nb: 2\n',
    ],
    ['no leading --- before the first document', '---\na: 1\n---\nb: 2\n', 'a: 1\n---\nb: 2\n'],
    ['keeps a document end marker', 'a: 1\n...\n---\nb: 2\n', 'a: 1\n...\n---\nb: 2\n'],
    ['renders an empty stream as nothing', '# nothing here\n', ''],
    ['renders an empty text as nothing', '', ''],
    [
      'JSON input',
      '{"kind": "Pod", "spec": {"args": ["ko://x", 1]}}',
      '{"kind": "Pod", "spec": {"args": ["ko://x", 1]}}\n',
    ],
    // yaml always sets a document's trailing comment apart with a blank line.
    [
      'a trailing comment, after a blank line',
      'a: 1\n# trailing\n---\nb: 2\n',
      'a: 1\n\n# trailing\n---\nb: 2\n',
    ],
    // Folding is the one style not kept: the text is the same, on one line (long lines are never folded).
    ['a folded block scalar, unfolded', 'f: >-\n  one\n  two\n', 'f: >-\n  one two\n'],
  ])('%s', (_name, text, want) => {
    expect(roundTrip(text)).toBe(want);
  });

  it('keeps a comment placed before the first ---', () => {
    expect(roundTrip('# header\n---\na: 1\n')).toBe('# header\n\na: 1\n');
  });
});

describe('parseManifests', () => {
  it('records source, index (counting dropped documents) and content line', () => {
    const docs = parseManifests({ name: 'd.yaml', text: '# c\na: 1\n---\n---\n\nb:\n  c: 2\n' });
    expect(docs.map(({ source, index, line }) => ({ source, index, line }))).toEqual([
      { source: 'd.yaml', index: 0, line: 2 },
      { source: 'd.yaml', index: 2, line: 6 },
    ]);
    expect(docs[1]?.doc.toJS()).toEqual({ b: { c: 2 } });
  });

  it('treats warnings (unknown tags) as non-fatal', () => {
    expect(parseManifests({ name: 'w.yaml', text: 'a: !custom x\n' })).toHaveLength(1);
  });

  it.each([
    [
      'unclosed flow sequence',
      { name: 'deploy.yaml', text: 'a: [1, 2\nb: 3\n' },
      'deploy.yaml:2:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ],
    [
      'error in a later document, from stdin',
      { name: '-', text: 'a: 1\n---\nb: : :\n' },
      '<stdin>:3:4: YAML syntax error: Nested mappings are not allowed in compact mappings',
    ],
    [
      'unterminated quote',
      { name: 'q.yaml', text: 'x: "open\n' },
      'q.yaml:2:1: YAML syntax error: Missing closing "quote',
    ],
    [
      'duplicate key',
      { name: 'dup.yaml', text: 'metadata:\n  name: a\n  name: b\n' },
      'dup.yaml:3:3: YAML syntax error: Map keys must be unique',
    ],
    [
      'tab indentation',
      { name: 't.yaml', text: 'a:\n\tb: 1\n' },
      't.yaml:2:1: YAML syntax error: Tabs are not allowed as indentation',
    ],
  ])('reports %s with file:line:col', (_name, src, message) => {
    let error: unknown;
    try {
      parseManifests(src);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toBe(message);
    expect((error as UserError).hint).toBeTruthy();
  });

  it('hints at removing a duplicate key', () => {
    expect(() => parseManifests({ name: 'dup.yaml', text: 'a: 1\na: 2\n' })).toThrow(
      expect.objectContaining({ hint: expect.stringContaining('repeated keys') }),
    );
  });
});

describe('location and lineOf', () => {
  it.each([
    ['deploy.yaml', 12, 'deploy.yaml:12'],
    ['-', 3, '<stdin>:3'],
    ['dir/x.yaml', 1, 'dir/x.yaml:1'],
  ])('location(%s, %d) -> %s', (source, line, want) => {
    expect(location(source, line)).toBe(want);
  });

  it.each([
    ['start of text', 'a\nb\nc', 0, 1],
    ['first character of line 2', 'a\nb\nc', 2, 2],
    ['the newline ending line 2', 'a\nb\nc', 3, 2],
    ['last line', 'a\nb\nc', 4, 3],
    ['past the end', 'a\nb', 99, 2],
  ])('lineOf: %s', (_name, text, offset, want) => {
    expect(lineOf(text, offset)).toBe(want);
  });
});
