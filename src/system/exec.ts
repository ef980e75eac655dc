/**
 * The single wrapper through which kodev spawns processes. Arguments are
 * always an argv array (never a shell string); failures become
 * `ExternalCommandError`s that name the command and carry its output.
 */
import { execa } from 'execa';
import { ExternalCommandError, UserError } from '../errors.js';
import { traceCommand } from './timings.js';

/** Options for `run`. */
export interface RunOptions {
  cwd?: string;
  /** The complete environment for the child; nothing is inherited implicitly. */
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
  /** Bytes to write to the child's stdin. */
  input?: string | Uint8Array;
  /** When the program is missing, raise this user error instead of a generic one. */
  notFound?: { message: string; hint?: string };
}

/** The outcome of a successful run. */
export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs `file args...`, resolving with its output, or throws ExternalCommandError. */
export async function run(
  file: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const command = [file, ...args].join(' ');
  const started = performance.now();
  try {
    const result = await execa(file, args, {
      cwd: options.cwd,
      env: options.env,
      extendEnv: options.env === undefined,
      cancelSignal: options.signal,
      input: options.input,
      stripFinalNewline: false,
      reject: true,
      maxBuffer: 256 * 1024 * 1024,
    });
    traceCommand(command, started);
    return { stdout: String(result.stdout), stderr: String(result.stderr) };
  } catch (err) {
    const e = err as {
      code?: string;
      stderr?: unknown;
      stdout?: unknown;
      isCanceled?: boolean;
      shortMessage?: string;
    };
    if (e.code === 'ENOENT' && options.notFound) {
      throw new UserError(options.notFound.message, { hint: options.notFound.hint, cause: err });
    }
    if (e.isCanceled) throw err;
    const output = [e.stderr, e.stdout].filter((s) => typeof s === 'string' && s.length > 0).join('\n');
    throw new ExternalCommandError(`${e.shortMessage ?? `command failed: ${command}`}`, command, output, {
      cause: err,
    });
  }
}
