/**
 * Starts a recorded run's `go build`s from the entry, before the CLI loads.
 * When a build's record matches its command line, environment, directory
 * and .ko.yaml but an input changed (the usual edit-and-rebuild), the full
 * run would start the same compiles once the argument parser, the config
 * and the package resolver have loaded, ~50-70 ms later. Started here, the
 * compile runs during that time. The full run adopts a started compile only
 * where its own plan writes the same `out` (build/early-compile.ts); any
 * other is stopped. Output is discarded: a failed compile is run again by
 * the full build, which reports it as always.
 *
 * Only Node built-ins are loaded here (the entry's budget, see entry.ts).
 */
import { putBackExtraCaCerts, withEnvEntries } from '../system/env.js';
import { traceCommand } from '../system/timings.js';
import type { RecordedCompile, RecordedCompiles } from './build-record.js';

/** A `go build` started here: the recorded command, when it started (Date.now()), its end, how to stop it. */
export interface Prestarted {
  command: RecordedCompile;
  startedAtMs: number;
  done: Promise<void>;
  stop(): void;
}

/**
 * Starts each compile with the environment the full run gives `go`: this
 * process's, with NODE_EXTRA_CA_CERTS put back (system/extra-ca.ts does the
 * same), plus the compile's own entries.
 */
export async function prestartCompiles(
  compiles: RecordedCompiles,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Map<string, Prestarted>> {
  const [{ spawn }, { mkdirSync }, { dirname }] = await Promise.all([
    import('node:child_process'),
    import('node:fs'),
    import('node:path'),
  ]);
  const base: Record<string, string | undefined> = { ...env };
  putBackExtraCaCerts(base);
  const started = new Map<string, Prestarted>();
  // The first `jobs` of them, as many as the recorded run ran at once: the build queues the rest.
  for (const c of compiles.commands) {
    if (started.size >= compiles.jobs) break;
    if (started.has(c.out)) continue;
    const childEnv = withEnvEntries(base, c.env);
    try {
      mkdirSync(dirname(c.out), { recursive: true });
    } catch {
      continue;
    }
    // The child keeps this process alive until it ends: an adopted compile is awaited, and the
    // CLI stops any other (build/early-compile.ts, cli.ts).
    const startedAt = performance.now();
    const startedAtMs = Date.now();
    const child = spawn(c.bin, c.args, { cwd: c.cwd, env: childEnv, stdio: 'ignore' });
    const done = new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        traceCommand(`go ${c.args[0]} (started by the entry) ${c.args.slice(1).join(' ')}`, startedAt);
        if (code === 0) resolve();
        else reject(new Error(`go build ended with ${signal ?? `exit code ${code}`}`));
      });
    });
    done.catch(() => undefined);
    started.set(c.out, { command: c, startedAtMs, done, stop: () => child.kill() });
  }
  return started;
}
