import { homedir } from 'node:os';

/**
 * The one place that reads `process.env`, the cwd and the clock, so core code
 * receives them as data and tests can pass their own.
 */

/** A snapshot of the environment variables, read once per command. */
export type Env = Readonly<Record<string, string | undefined>>;

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
