/**
 * Vitest global setup: compiles kodev once so tests run the real CLI
 * (`node dist/bundle/cli.js`, the bundled bin) exactly as users run it, never a stale build.
 */
import { execa } from 'execa';

/** Runs `npm run build` (tsc, then the bundle of the bin) in the repository root. */
export default async function setup(): Promise<void> {
  await execa('npm', ['run', '--silent', 'build'], {
    cwd: new URL('../..', import.meta.url).pathname,
    stdio: 'inherit',
  });
}
