/**
 * The tree `kodev deps` prints: a Go binary's build info drawn with
 * box-drawing characters, no colours (the output is for reading and for
 * pasting, so it is the same on a terminal and in a pipe). Pure.
 *
 * ```
 * example.com/deps/cmd/app (go1.26.8)
 * └── example.com/deps (devel)
 *     ├── example.com/color v0.4.0 => ./color (devel)
 *     └── example.com/lib v1.2.3 => ./lib (devel)
 * ```
 *
 * The root is the main package and the toolchain, its one child the main
 * module, and the main module's children every linked dependency module in
 * Go's order (sorted by path), each `path version`, then ` => path version`
 * when go.mod replaced it.
 */
import type { GoBuildInfo, GoModule } from '../sbom/buildinfo.js';

/** One node of a printed tree. */
export interface TreeNode {
  label: string;
  children: readonly TreeNode[];
}

/** The tree of a binary's build info: package and Go version, main module, then the dependencies. */
export function depsTree(info: GoBuildInfo): TreeNode {
  const deps = info.deps.map((d) => ({
    label: d.replace ? `${moduleLabel(d)} => ${moduleLabel(d.replace)}` : moduleLabel(d),
    children: [],
  }));
  return {
    label: `${info.path} (${info.goVersion})`,
    children: [{ label: moduleLabel(info.main), children: deps }],
  };
}

function moduleLabel(m: GoModule): string {
  return `${m.path} ${m.version}`;
}

/** Draws a tree, one node per line, each line ending in a newline. */
export function renderTree(root: TreeNode): string {
  const lines = [root.label];
  const walk = (node: TreeNode, indent: string) => {
    node.children.forEach((child, i) => {
      const last = i === node.children.length - 1;
      lines.push(`${indent}${last ? '└── ' : '├── '}${child.label}`);
      walk(child, `${indent}${last ? '    ' : '│   '}`);
    });
  };
  walk(root, '');
  return `${lines.join('\n')}\n`;
}
