/**
 * Timings for finding where a run's time goes. With KODEV_TIMINGS=1, every
 * command kodev runs is reported on stderr with when it started (ms since
 * kodev started) and how long it took, and so are marks such as "parsed
 * arguments". Dependency-free, so the CLI's entry can use it.
 */
const TIMINGS = process.env.KODEV_TIMINGS === '1';

/** Reports a moment of the run. */
export function traceMark(label: string): void {
  if (TIMINGS) process.stderr.write(`[kodev +${performance.now().toFixed(0)} ms] ${label}\n`);
}

/** Reports a finished command that started at `started` (performance.now()). */
export function traceCommand(command: string, started: number): void {
  if (!TIMINGS) return;
  const now = performance.now();
  process.stderr.write(
    `[kodev +${started.toFixed(0)} ms] ${command.slice(0, 100)} (${(now - started).toFixed(0)} ms)\n`,
  );
}
