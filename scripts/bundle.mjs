#!/usr/bin/env node
/**
 * Bundles the compiled CLI (from tsc) into dist/bundle/: the entry
 * (dist/src/entry.js) as one self-contained module, cli.js, and the rest of the
 * CLI as one minified ES module per lazily loaded command (main.js and its
 * chunks), so `kodev` starts without resolving and reading hundreds of small
 * files. Node 20 has no compile cache, and module loading was most of a warm
 * `kodev build`.
 * Packages that load their own files at run time (Ink and React with Yoga's
 * WebAssembly, the Kubernetes client, jiti) stay external and load from
 * node_modules when a command needs them.
 */
import { build } from 'esbuild';
import { chmod, rm } from 'node:fs/promises';

const outdir = 'dist/bundle';
await rm(outdir, { recursive: true, force: true });
const common = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir,
  minify: true,
  sourcemap: 'linked',
  logLevel: 'warning',
  // Bundled CommonJS packages call require() for Node's built-in modules.
  banner: {
    js: "import { createRequire as __kodevRequire } from 'node:module'; const require = __kodevRequire(import.meta.url);",
  },
};
// The CLI proper, split: each lazily loaded command and the chunks they share.
await build({
  ...common,
  entryPoints: { main: 'dist/src/cli.js', 'extra-ca': 'dist/src/system/extra-ca.js' },
  splitting: true,
  external: ['@kubernetes/client-node', 'ink', 'ink-spinner', 'react', 'jiti'],
});
// The entry (`kodev`), whole in one file: an unchanged run is answered from it alone, without
// the dozen small chunks it would otherwise share with the CLI (each costs the ES module loader
// ~1-2 ms on every start). It imports the CLI above for everything else.
const toSplitBuild = {
  name: 'to-split-build',
  setup(b) {
    // The entry's `import('./cli.js')` is the split build's main.js; extra-ca (and node:tls with
    // it) loads from there too, only when a TLS registry needs it.
    b.onResolve({ filter: /^\.\/cli\.js$/ }, (args) =>
      args.importer.endsWith('/dist/src/entry.js') ? { path: './main.js', external: true } : undefined,
    );
    b.onResolve({ filter: /(^|\/)system\/extra-ca\.js$|^\.\/extra-ca\.js$/ }, () => ({
      path: './extra-ca.js',
      external: true,
    }));
  },
};
await build({
  ...common,
  entryPoints: { cli: 'dist/src/entry.js' },
  splitting: false,
  plugins: [toSplitBuild],
});
await chmod(`${outdir}/cli.js`, 0o755);
// The unbundled entry stays runnable too (older links and `node dist/src/cli.js` users).
await chmod('dist/src/cli.js', 0o755);
