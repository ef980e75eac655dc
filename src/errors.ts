/**
 * Typed errors. The one handler in `src/cli.ts` decides the exit code and the
 * message shape from the class, so core code only has to pick the right one.
 */

/** A mistake the user can fix: bad input, bad config, a missing tool. Exit 1. */
export class UserError extends Error {
  override name = 'UserError';
  /** What to do about it, printed on its own line after the message. */
  readonly hint: string | undefined;
  /** Supporting lines printed after the error line (a crashed program's last log lines). */
  readonly details: string | undefined;
  constructor(message: string, options: { hint?: string; cause?: unknown; details?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.hint = options.hint;
    this.details = options.details;
  }
}

/** A command-line usage mistake (unknown flag, bad flag value). Exit 2. */
export class UsageError extends UserError {
  override name = 'UsageError';
}

/** An external program failed: carries the command line and its output. Exit 1. */
export class ExternalCommandError extends Error {
  override name = 'ExternalCommandError';
  constructor(
    message: string,
    readonly command: string,
    readonly output: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}

/** True for errors whose message is meant for the user as is (no stack trace). */
export function isExpectedError(err: unknown): err is UserError | ExternalCommandError {
  return err instanceof UserError || err instanceof ExternalCommandError;
}
