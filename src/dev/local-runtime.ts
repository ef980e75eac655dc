/**
 * The `local` dev runtime: each ko:// container runs as a host process built
 * for the host, restarted on every rebuild, its output sent to the loop's log
 * stream. A crash is reported, not retried: the next rebuild starts it again.
 */
import { UserError } from '../errors.js';
import { type ServiceHandle, startService } from '../system/service.js';
import type { LocalProcess } from './local-specs.js';

/** Dependencies and callbacks for a LocalRuntime. */
export interface LocalRuntimeOptions {
  /** The process spawner seam; `startService` by default. */
  start?: typeof startService;
  /** One output line of a process. */
  onLog: (e: { process: string; stream: 'stdout' | 'stderr'; line: string }) => void;
  /** A process exited; `expected` is true when kodev stopped it (restart or stop). */
  onExit: (e: { process: string; code: number | null; signal: string | null; expected: boolean }) => void;
  /** Variables every process gets (e.g. PATH, HOME), under its own env. */
  baseEnv: Record<string, string>;
  /** How long a process has to exit after SIGTERM before SIGKILL; 3000 ms by default. */
  graceMs?: number;
}

interface Running {
  handle: ServiceHandle;
  /** Set once kodev asked it to stop, so its exit is expected. */
  stopping: boolean;
  /** Settles after onExit has been called. */
  reported: Promise<void>;
}

/** Runs LocalProcesses as host processes, one per name. */
export class LocalRuntime {
  private readonly procs = new Map<string, Running>();
  /** The tail of each name's queue of run/stop operations, so they never interleave. */
  private readonly queues = new Map<string, Promise<void>>();
  private readonly start: typeof startService;
  private readonly graceMs: number;

  constructor(private readonly o: LocalRuntimeOptions) {
    this.start = o.start ?? startService;
    this.graceMs = o.graceMs ?? 3000;
  }

  /**
   * Starts or restarts a process: stops the running one with that name first
   * (and waits for it), then starts `binary` with the process's args and env
   * = baseEnv + process env + KO_DATA_PATH=kodataDir, in `cwd`.
   */
  run(p: LocalProcess, binary: string, kodataDir: string, cwd: string): Promise<void> {
    return this.enqueue(p.name, async () => {
      await this.stopNow(p.name);
      const env = { ...this.o.baseEnv, ...p.env, KO_DATA_PATH: kodataDir };
      let handle: ServiceHandle;
      try {
        handle = await this.start({ file: binary, args: p.args, env, cwd }, (stream, line) =>
          this.o.onLog({ process: p.name, stream, line }),
        );
      } catch (err) {
        if (err instanceof UserError)
          throw new UserError(`${p.name}: ${err.message}`, { hint: err.hint, cause: err });
        throw err;
      }
      const entry: Running = { handle, stopping: false, reported: Promise.resolve() };
      entry.reported = handle.exited.then(({ code, signal }) => {
        if (this.procs.get(p.name) === entry) this.procs.delete(p.name);
        this.o.onExit({ process: p.name, code, signal, expected: entry.stopping });
      });
      this.procs.set(p.name, entry);
    });
  }

  /** Names of the processes currently running. */
  running(): string[] {
    return [...this.procs.keys()];
  }

  /** Stops the named process (SIGTERM, then SIGKILL after the grace period); nothing if it is not running. */
  stop(name: string): Promise<void> {
    return this.enqueue(name, () => this.stopNow(name));
  }

  /** Stops every process, including ones whose start is under way. */
  async stopAll(): Promise<void> {
    const names = new Set([...this.procs.keys(), ...this.queues.keys()]);
    await Promise.all([...names].map((name) => this.stop(name)));
  }

  private async stopNow(name: string): Promise<void> {
    const entry = this.procs.get(name);
    if (!entry) return;
    entry.stopping = true;
    await entry.handle.stop(this.graceMs);
    await entry.reported;
  }

  private enqueue(name: string, op: () => Promise<void>): Promise<void> {
    const result = (this.queues.get(name) ?? Promise.resolve()).then(op);
    // The queue goes on after a failed operation; the caller sees the failure through `result`.
    const tail = result.catch(() => undefined);
    this.queues.set(name, tail);
    void tail.then(() => {
      if (this.queues.get(name) === tail) this.queues.delete(name);
    });
    return result;
  }
}
