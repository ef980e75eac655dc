/**
 * The terminal kodev runs in, when it is one: the only place that looks at
 * process.stdin/stdout for TTY-ness. Commands get it through their context
 * and decide between the interactive UI and plain lines.
 */

/** An interactive terminal: both ends are TTYs. */
export interface Terminal {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  /** Leaves at once with this exit code (a second Ctrl-C). */
  forceExit: (code: number) => void;
}

/** The process's terminal, or undefined when stdin or stdout is not a TTY. */
export function processTerminal(): Terminal | undefined {
  if (!process.stdin.isTTY || !process.stdout.isTTY) return undefined;
  return { stdin: process.stdin, stdout: process.stdout, forceExit: (code) => process.exit(code) };
}

/**
 * Makes React load its production build (unless NODE_ENV says otherwise):
 * the development build renders a log flood several times slower. Call it
 * before React is first imported.
 */
export function preferProductionReact(): void {
  process.env.NODE_ENV ??= 'production';
}
