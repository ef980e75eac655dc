/**
 * Vitest global setup: compiles kodev once so tests run the real CLI
 * (`node dist/src/cli.js`) exactly as users do, never a stale build.
 */
import { execa } from 'execa';

/** Runs `npm run build` (tsc, then marks the bin executable) in the repository root. */
export default async function setup(): Promise<void> {
  await execa('npm', ['run', '--silent', 'build'], {
    cwd: new URL('../..', import.meta.url).pathname,
    stdio: 'inherit',
  });
}
