import { describe, expect, it } from 'vitest';
import { depsTree, renderTree, type TreeNode } from '../../src/deps/tree.js';
import type { GoBuildInfo } from '../../src/sbom/buildinfo.js';

const leaf = (label: string): TreeNode => ({ label, children: [] });

describe('renderTree', () => {
  it.each<[string, TreeNode, string[]]>([
    ['a root alone is one line', leaf('root'), ['root']],
    ['a single child hangs off a corner', { label: 'r', children: [leaf('a')] }, ['r', '└── a']],
    [
      'siblings use a tee until the last',
      { label: 'r', children: [leaf('a'), leaf('b'), leaf('c')] },
      ['r', '├── a', '├── b', '└── c'],
    ],
    [
      'children of a middle node keep the parent bar',
      { label: 'r', children: [{ label: 'a', children: [leaf('a1'), leaf('a2')] }, leaf('b')] },
      ['r', '├── a', '│   ├── a1', '│   └── a2', '└── b'],
    ],
    [
      'children of the last node are indented with spaces',
      {
        label: 'r',
        children: [leaf('a'), { label: 'b', children: [{ label: 'b1', children: [leaf('x')] }] }],
      },
      ['r', '├── a', '└── b', '    └── b1', '        └── x'],
    ],
  ])('%s', (_name, tree, lines) => {
    expect(renderTree(tree)).toBe(`${lines.join('\n')}\n`);
  });
});

const INFO: GoBuildInfo = {
  goVersion: 'go1.26.8',
  path: 'example.com/deps/cmd/app',
  main: { path: 'example.com/deps', version: '(devel)' },
  deps: [],
  settings: { GOOS: 'linux' },
};

describe('depsTree', () => {
  it.each<[string, GoBuildInfo['deps'], string[]]>([
    ['no dependencies leaves the main module bare', [], []],
    [
      'a plain dependency shows path and version',
      [{ path: 'github.com/google/uuid', version: 'v1.6.0', sum: 'h1:abc=' }],
      ['    └── github.com/google/uuid v1.6.0'],
    ],
    [
      'a replaced dependency shows its replacement after =>',
      [
        { path: 'example.com/color', version: 'v0.4.0', replace: { path: './color', version: '(devel)' } },
        {
          path: 'example.com/lib',
          version: 'v1.2.3',
          replace: { path: 'example.com/fork', version: 'v1.2.4', sum: 'h1:x=' },
        },
        { path: 'golang.org/x/text', version: 'v0.14.0' },
      ],
      [
        '    ├── example.com/color v0.4.0 => ./color (devel)',
        '    ├── example.com/lib v1.2.3 => example.com/fork v1.2.4',
        '    └── golang.org/x/text v0.14.0',
      ],
    ],
  ])('%s', (_name, deps, depLines) => {
    expect(renderTree(depsTree({ ...INFO, deps }))).toBe(
      ['example.com/deps/cmd/app (go1.26.8)', '└── example.com/deps (devel)', ...depLines].join('\n') + '\n',
    );
  });
});
