/**
 * kodev's configuration for this repository's bundled example
 * (`fixtures/example`). It is also an example of the typed config:
 * everything `.ko.yaml` can say, checked by TypeScript.
 */
import { defineConfig } from './src/index.js';

export default defineConfig({
  // The quick start needs no registry: the example is laid on an empty base.
  defaultBaseImage: 'scratch',
  defaultLdflags: ['-s', '-w'],
  // The example's module lives below the repository root.
  builds: [
    { id: 'hello', dir: './fixtures/example', main: './cmd/hello' },
    { id: 'worker', dir: './fixtures/example', main: './cmd/worker' },
  ],
  // `npx kodev up`: the dev loop over the example's manifests. With no
  // kubeconfig it runs the programs as local processes.
  dev: {
    manifests: ['fixtures/example/config/*.yaml'],
    debounceMs: 50,
  },
});
