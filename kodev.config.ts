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
});
