/**
 * Vitest global setup: compiles kodev once so tests run the real CLI
 * (`node dist/src/cli.js`) exactly as users do, never a stale build.
 */
import { execa } from 'execa';

/** Runs `tsc -p tsconfig.json` in the repository root. */
export default async function setup(): Promise<void> {
  await execa('npx', ['tsc', '-p', 'tsconfig.json'], {
    cwd: new URL('../..', import.meta.url).pathname,
    stdio: 'inherit',
  });
}
