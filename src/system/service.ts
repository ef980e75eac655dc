/**
 * Long-running child processes (the `local` dev runtime's services): started
 * in their own process group so stopping one stops everything it started,
 * with output delivered line by line instead of buffered. The only other
 * place besides `exec.ts` that spawns processes.
 */
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { execa } from 'execa';
import { UserError } from '../errors.js';

/** What to start: an executable, its argv, its complete environment and its working directory. */
export interface ServiceSpec {
  file: string;
  args: string[];
  /** The complete environment for the child; nothing is inherited from kodev's own. */
  env: Record<string, string>;
  cwd: string;
}

/** How a service ended: an exit code, or the signal that killed it. */
export interface ServiceExit {
  code: number | null;
  signal: string | null;
}

/** A started service. */
export interface ServiceHandle {
  pid: number | undefined;
  /** Resolves (never rejects) when the process has exited and its output has been delivered. */
  exited: Promise<ServiceExit>;
  /** SIGTERM to the process group, then SIGKILL after `graceMs`; resolves when exited. */
  stop(graceMs: number): Promise<void>;
}

/**
 * Starts a long-running child in its own process group (so its children die
 * with it), stdin ignored; each complete output line goes to `onLine`, and a
 * partial last line is flushed at exit. Never throws for a non-zero exit. A
 * missing binary (or working directory) rejects with a UserError.
 */
export async function startService(
  spec: ServiceSpec,
  onLine: (stream: 'stdout' | 'stderr', line: string) => void,
): Promise<ServiceHandle> {
  const child = execa(spec.file, spec.args, {
    cwd: spec.cwd,
    env: spec.env,
    extendEnv: false,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    reject: false,
    buffer: false,
    detached: true,
  });
  const pid = child.pid;
  if (pid === undefined) {
    // Spawning failed synchronously (ENOENT, EACCES, ...); the result carries the reason.
    const result = await child;
    throw await startError(spec, result);
  }

  const streamsDone = Promise.all([
    lines(child.stdout, (line) => onLine('stdout', line)),
    lines(child.stderr, (line) => onLine('stderr', line)),
  ]);
  const leaderExit = new Promise<ServiceExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const exited = leaderExit.then(async (exit) => {
    // Whatever the leader left behind in its group would hold the output pipes open and outlive it.
    killGroup(pid, 'SIGKILL');
    await Promise.all([
      streamsDone,
      child.then(
        () => undefined,
        () => undefined,
      ),
    ]);
    return exit;
  });
  let done = false;
  void exited.then(() => (done = true));

  return {
    pid,
    exited,
    stop: async (graceMs) => {
      if (done) return;
      killGroup(pid, 'SIGTERM');
      const timer = new AbortController();
      const graceful = await Promise.race([
        exited.then(() => true),
        new Promise<boolean>((resolve) => {
          const t = setTimeout(() => resolve(false), graceMs);
          timer.signal.addEventListener('abort', () => clearTimeout(t));
        }),
      ]);
      // A pending timer would keep kodev alive after everything stopped.
      timer.abort();
      if (!graceful) killGroup(pid, 'SIGKILL');
      await exited;
    },
  };
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (err) {
    // ESRCH: the group is already gone, which is what we wanted.
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

function lines(stream: Readable | null, onLine: (line: string) => void): Promise<void> {
  if (!stream) return Promise.resolve();
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  rl.on('line', onLine);
  return new Promise((resolve) => rl.once('close', resolve));
}

async function startError(
  spec: ServiceSpec,
  result: { code?: unknown; message?: string },
): Promise<UserError> {
  const code = typeof result.code === 'string' ? result.code : undefined;
  if (code === 'ENOENT') {
    const cwdExists = await stat(spec.cwd).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!cwdExists)
      return new UserError(`cannot start ${spec.file}: working directory ${spec.cwd} does not exist`, {
        cause: result,
      });
    return new UserError(`cannot start ${spec.file}: no such file`, {
      hint: 'check that the program was built and the path is right',
      cause: result,
    });
  }
  if (code === 'EACCES')
    return new UserError(`cannot start ${spec.file}: permission denied`, {
      hint: 'check that the file is an executable program',
      cause: result,
    });
  return new UserError(`cannot start ${spec.file}: ${code ?? result.message ?? 'unknown error'}`, {
    cause: result,
  });
}
