/**
 * The dev loop's typed event stream. The engine only emits these; the Ink UI,
 * the plain line logger and `--json` all consume the same events, so every
 * screen has a non-interactive twin.
 */

/** Phases of one cycle, timed in milliseconds. */
export type Phase = 'detect' | 'compile' | 'layer' | 'publish' | 'apply' | 'ready' | 'firstLog';

/** Where a log line came from. */
export interface LogSource {
  /** The image (import path) or workload the line belongs to. */
  resource: string;
  /** Pod name (cluster) or process name (local). */
  pod?: string;
  /** Pod UID, so a new pod with the same name is a new stream. */
  uid?: string;
  container?: string;
}

/** Everything the loop reports. */
export type DevEvent =
  | { type: 'session'; runtime: 'kubernetes' | 'local'; target: string; images: string[] }
  | { type: 'watching'; roots: string[] }
  | {
      type: 'cycle-start';
      cycle: number;
      images: string[];
      files: string[];
      reason: string;
      /** Per image: the packages (import paths) the changed files belong to, or `go.mod`/`kodata`/a path for other inputs. */
      why?: Record<string, string[]>;
    }
  | { type: 'image-state'; image: string; state: ImageState; detail?: string }
  | { type: 'build-output'; image: string; line: string }
  | { type: 'image-skipped'; image: string; why: 'inputs unchanged' | 'binary unchanged' }
  | { type: 'published'; image: string; reference: string }
  | { type: 'applied'; objects: string[] }
  /** What runs each image: cluster workloads (`Deployment/api`) or local processes, sent after every apply. */
  | { type: 'workloads'; workloads: WorkloadInfo[] }
  | { type: 'workload'; name: string; ready: boolean; summary: string; pods?: string; restarts?: number }
  | { type: 'log'; source: LogSource; line: string; stream?: 'stdout' | 'stderr' }
  | { type: 'problem'; resource: string; reason: string; message: string; lines?: string[] }
  | {
      type: 'cycle-end';
      cycle: number;
      images: string[];
      ok: boolean;
      timings: Partial<Record<Phase, number>>;
      totalMs: number;
      error?: string;
    }
  | { type: 'first-log'; resource: string; ms: number }
  | { type: 'error'; message: string; retrying: boolean }
  | { type: 'pending'; images: string[]; files: string[] }
  | { type: 'stopped'; cleanedUp: boolean };

/** One workload (or local process) and the images its containers run. */
export interface WorkloadInfo {
  name: string;
  images: string[];
  /** Its namespace (cluster only). */
  namespace?: string;
}

/** The life of one image within a cycle. */
export type ImageState =
  | 'queued'
  | 'building'
  | 'pushing'
  | 'applying'
  | 'rolling out'
  | 'ready'
  | 'failed'
  | 'unchanged'
  | 'paused';

/** Receives events; the engine never waits on it. */
export type EventSink = (event: DevEvent) => void;
