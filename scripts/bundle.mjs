#!/usr/bin/env node
/**
 * Bundles the compiled CLI (dist/src/entry.js, from tsc) into dist/bundle/: one
 * minified ES module per entry and lazily loaded command, so `kodev` starts
 * without resolving and reading hundreds of small files. Node 20 has no
 * compile cache, and module loading was most of a warm `kodev build`.
 * Packages that load their own files at run time (Ink and React with Yoga's
 * WebAssembly, the Kubernetes client, jiti) stay external and load from
 * node_modules when a command needs them.
 */
import { build } from 'esbuild';
import { chmod, rm } from 'node:fs/promises';

const outdir = 'dist/bundle';
await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: { cli: 'dist/src/entry.js' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir,
  minify: true,
  sourcemap: 'linked',
  logLevel: 'warning',
  external: ['@kubernetes/client-node', 'ink', 'ink-spinner', 'react', 'jiti'],
  // Bundled CommonJS packages call require() for Node's built-in modules.
  banner: {
    js: "import { createRequire as __kodevRequire } from 'node:module'; const require = __kodevRequire(import.meta.url);",
  },
});
await chmod(`${outdir}/cli.js`, 0o755);
// The unbundled entry stays runnable too (older links and `node dist/src/cli.js` users).
await chmod('dist/src/cli.js', 0o755);
