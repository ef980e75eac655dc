/**
 * What every service starter in test/helpers shares: the install hint, the
 * check that a program is there, the tail of a service's log, and stopping a
 * child process (SIGTERM, then SIGKILL after a grace period).
 */
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** What to do when a test dependency is missing. */
export const INSTALL_HINT = 'run scripts/install-test-deps.sh to install the test dependencies';

/** Fails, naming the program and the install script, when `path` is not executable. */
export async function requireExecutable(path: string): Promise<void> {
  try {
    await access(path, constants.X_OK);
  } catch (err) {
    throw new Error(`${path} is missing: ${INSTALL_HINT}`, { cause: err });
  }
}

/** The last lines of a service's log, or a note that `who` wrote nothing. */
export async function logTail(file: string, who: string, lines = 40): Promise<string> {
  const text = (await readFile(file, 'utf8').catch(() => '')).trimEnd();
  return text === '' ? `(${who} wrote nothing)` : text.split('\n').slice(-lines).join('\n');
}

/** A started child process: whether it has exited, its result, and how to stop it. */
export interface Supervised<R> {
  exited(): boolean;
  /** Settles when the process has exited. */
  exit: Promise<R>;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`; resolves once it is gone. */
  terminate(graceMs: number): Promise<void>;
}

/** Watches a child started with execa (`reject: false`, so `exit` never rejects). */
export function supervise<R>(child: Promise<R> & { kill(signal: NodeJS.Signals): boolean }): Supervised<R> {
  let exited = false;
  const exit = child.then((result) => {
    exited = true;
    return result;
  });
  return {
    exited: () => exited,
    exit,
    terminate: async (graceMs) => {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = new AbortController();
      const graceful = await Promise.race([
        exit.then(() => true),
        sleep(graceMs, false, { signal: timer.signal }).catch(() => false),
      ]);
      // A pending timer would keep the test runner from exiting.
      timer.abort();
      if (!graceful) {
        child.kill('SIGKILL');
        await exit;
      }
    },
  };
}
