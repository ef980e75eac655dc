import { defineConfig } from 'vitest/config';

/**
 * Test runner settings: one private dockerd per run (global setup), forked
 * workers, timeouts sized for real services, and a JSON report for CI.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    globalSetup: ['test/helpers/build-cli.ts', 'test/helpers/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    reporters: ['default', 'json'],
    outputFile: { json: '.kodev-test/vitest.json' },
  },
});
