import { homedir } from 'node:os';

/**
 * The one place that reads `process.env`, the cwd and the clock, so core code
 * receives them as data and tests can pass their own.
 */

/** A snapshot of the environment variables, read once per command. */
export type Env = Readonly<Record<string, string | undefined>>;

/** `base` with `KEY=value` entries laid over it (entries without a key are ignored). */
export function withEnvEntries(base: Env, entries: readonly string[]): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...base };
  for (const kv of entries) {
    const eq = kv.indexOf('=');
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return env;
}

/**
 * Puts NODE_EXTRA_CA_CERTS back where the `kodev` launcher moved it to
 * KODEV_EXTRA_CA_CERTS (system/extra-ca.ts says why); returns the file, or
 * undefined when nothing was moved.
 */
export function putBackExtraCaCerts(env: Record<string, string | undefined>): string | undefined {
  const file = env.KODEV_EXTRA_CA_CERTS;
  if (file === undefined) return undefined;
  delete env.KODEV_EXTRA_CA_CERTS;
  env.NODE_EXTRA_CA_CERTS = file;
  return file;
}

/** Returns a frozen copy of the process environment. */
export function processEnv(): Env {
  return Object.freeze({ ...process.env });
}

/** Returns the process working directory. */
export function processCwd(): string {
  return process.cwd();
}

/** Returns the current time; the only clock read in kodev. */
export function now(): Date {
  return new Date();
}

/** The CPU architecture Node runs on (`process.arch` spelling: x64, arm64, ...). */
export function hostArch(): string {
  return process.arch;
}

/** The user's home directory. */
export function homeDir(): string {
  return homedir();
}
