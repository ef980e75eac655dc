/**
 * kodev's own threads step back while `go build` runs. On two cores, the
 * CPU kodev spends beside the first `go build` (loading its modules,
 * starting the gzip worker, fetching the base image) slowed that build by
 * as much as a third; at the lowest priority, that work takes only the
 * cycles `go build` leaves idle.
 *
 * On Linux a nice value belongs to a thread: this lowers the calling thread
 * only (setpriority with who = 0), never `go` or other processes already
 * running. Processes started while it is lowered inherit it. `restore` puts
 * it back at 0 when the system allows raising a priority (root,
 * CAP_SYS_NICE, or RLIMIT_NICE); otherwise the thread stays low for the rest
 * of the command. Elsewhere both do nothing.
 */
import { setPriority } from 'node:os';

const LOWEST = 19;

/** Lowers this thread's priority; returns how to restore it (a no-op where it was not lowered). */
export function lowerThreadPriority(): () => void {
  if (process.platform !== 'linux') return () => undefined;
  try {
    setPriority(LOWEST);
  } catch {
    return () => undefined;
  }
  return () => {
    try {
      setPriority(0);
    } catch {
      // Not allowed to raise it again: the rest of this command runs at the lowest priority.
    }
  };
}
