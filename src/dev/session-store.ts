/**
 * The dev session as the terminal UI sees it: a plain store that folds the
 * engine's events into one row per image (or workload without an image) and
 * a bounded log history, and tells subscribers at most once per interval
 * that something changed. Components read it; they never start work.
 */
import type { DevEvent, ImageState, Phase } from './events.js';
import { detectLevel, type LogLevel } from './log-filter.js';
import { RingBuffer } from './ring-buffer.js';

/** What a row shows as its state. */
export type RowState = ImageState | 'starting' | 'pending' | 'completed';

/** One finished cycle, as far as one row is concerned. */
export interface CycleRecord {
  cycle: number;
  ok: boolean;
  totalMs: number;
  timings: Partial<Record<Phase, number>>;
  error?: string;
}

/** A pod (or local process) seen for a row. */
export interface PodView {
  name: string;
  container?: string;
  /** `running` once it logs, or the last problem's reason. */
  status: string;
  message?: string;
}

/** One row of the resources pane. */
export interface ResourceView {
  /** Import path for images, workload name for rows without an image. */
  key: string;
  /** Short display name. */
  name: string;
  image?: string;
  state: RowState;
  /** One line on the state: the error, the problem, what changed. */
  detail?: string;
  /** Building, pushing, applying or rolling out. */
  busy: boolean;
  reference?: string;
  /** `sha256:…` of the last published image, if it went to a registry. */
  digest?: string;
  /** Readiness summary of its workloads (`2/2`, `exited 0`). */
  readiness?: string;
  restarts: number;
  workloads: string[];
  /** Applied objects of its workloads (`Deployment/api serverside-applied`). */
  objects: string[];
  /** Most recent first, at most 8. */
  cycles: CycleRecord[];
  /** Why it last rebuilt. */
  why?: { cycle: number; reason: string; files: string[]; packages: string[] };
  pods: PodView[];
  problem?: { reason: string; message: string; lines: string[] };
  /** Files changed while paused, waiting for a resume or `r`. */
  pending: string[];
}

/** One line in the log pane. */
export interface LogEntry {
  seq: number;
  at: number;
  kind: 'pod' | 'build' | 'event';
  /** Row key it belongs to ('' for session-wide events). */
  resource: string;
  /** Row display name. */
  name: string;
  /** `pod/container`, `build api`, or `kodev`. */
  prefix: string;
  /** Stable key for the prefix colour (pod + container). */
  colorKey: string;
  text: string;
  level: LogLevel;
}

/** Everything the UI shows. Mutated in place; `version` counts changes. */
export interface SessionView {
  version: number;
  runtime?: 'kubernetes' | 'local';
  target?: string;
  watching: boolean;
  watchedRoots: number;
  paused: boolean;
  cycle: number;
  cycleRunning: boolean;
  lastCycleMs?: number;
  lastError?: { message: string; retrying: boolean };
  stopping: boolean;
  stopped: boolean;
  resources: ResourceView[];
  logs: RingBuffer<LogEntry>;
}

/** Store settings. */
export interface StoreOptions {
  /** Log lines kept (default 5,000). */
  logCapacity?: number;
  /** Least time between change notifications (default 50 ms), so floods render in batches. */
  notifyMs?: number;
  now?: () => number;
}

const BUSY: ReadonlySet<RowState> = new Set(['queued', 'building', 'pushing', 'applying', 'rolling out']);

/** The session store: `dispatch` events in, `subscribe` for batched change notices. */
export class SessionStore {
  readonly state: SessionView;
  private readonly listeners = new Set<() => void>();
  private timer?: NodeJS.Timeout;
  private lastNotify = 0;
  private readonly notifyMs: number;
  private readonly now: () => number;
  /** Workload (or process) name -> row key. */
  private readonly owner = new Map<string, string>();

  constructor(o: StoreOptions = {}) {
    this.notifyMs = o.notifyMs ?? 50;
    this.now = o.now ?? Date.now;
    this.state = {
      version: 0,
      watching: false,
      watchedRoots: 0,
      paused: false,
      cycle: 0,
      cycleRunning: false,
      stopping: false,
      stopped: false,
      resources: [],
      logs: new RingBuffer<LogEntry>(o.logCapacity ?? 5000),
    };
  }

  /** Calls `fn` after changes, at most once per interval; returns the unsubscribe function. */
  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The row with this key. */
  row(key: string): ResourceView | undefined {
    return this.state.resources.find((r) => r.key === key);
  }

  /** Records the UI's pause state (the engine is told separately). */
  setPaused(paused: boolean): void {
    this.state.paused = paused;
    if (!paused) for (const r of this.state.resources) r.pending = [];
    this.changed();
  }

  /** The person asked to quit; cleanup may take a moment. */
  setStopping(): void {
    this.state.stopping = true;
    this.changed();
  }

  /** Empties the log pane. */
  clearLogs(): void {
    this.state.logs.clear();
    this.changed();
  }

  /** Stops the pending notification timer. */
  dispose(): void {
    clearTimeout(this.timer);
    this.listeners.clear();
  }

  /** Folds one event into the state. */
  dispatch(e: DevEvent): void {
    const s = this.state;
    switch (e.type) {
      case 'session':
        s.runtime = e.runtime;
        s.target = e.target;
        for (const i of e.images) this.imageRow(i);
        break;
      case 'watching':
        s.watching = true;
        s.watchedRoots = e.roots.length;
        break;
      case 'cycle-start': {
        s.cycle = e.cycle;
        s.cycleRunning = true;
        for (const i of e.images) {
          const r = this.imageRow(i);
          const packages = e.why?.[i] ?? [];
          const files = e.files;
          r.why = { cycle: e.cycle, reason: e.reason, files, packages };
          r.pending = [];
          this.setState(r, 'queued', packages.length ? `${packages.join(', ')} changed` : undefined);
        }
        const what = e.reason === 'start' ? 'building' : 'rebuilding';
        const files = e.files.length ? ` (${e.files.map(baseName).slice(0, 3).join(', ')} changed)` : '';
        this.log(
          'event',
          '',
          'kodev',
          `cycle ${e.cycle}: ${what} ${e.images.map((i) => this.imageRow(i).name).join(', ')}${files}`,
        );
        break;
      }
      case 'image-state': {
        const r = this.imageRow(e.image);
        if (e.state === 'unchanged') this.setState(r, r.problem ? 'failed' : 'ready', 'unchanged');
        // A busy step keeps the reason it is busy (`internal/queue changed`) unless it brings its own.
        else this.setState(r, e.state, e.detail ?? (BUSY.has(e.state) ? r.detail : undefined));
        if (e.state === 'failed') this.log('build', r.key, `build ${r.name}`, e.detail ?? 'failed', 'error');
        break;
      }
      case 'build-output': {
        const r = this.imageRow(e.image);
        this.log('build', r.key, `build ${r.name}`, e.line);
        break;
      }
      case 'image-skipped':
        break;
      case 'published': {
        const r = this.imageRow(e.image);
        r.reference = e.reference;
        r.digest = /@(sha256:[0-9a-f]{64})$/.exec(e.reference)?.[1];
        break;
      }
      case 'applied':
        for (const o of e.objects) {
          const name = o.split(' ')[0] ?? o;
          const r = this.ownerRow(name);
          if (r && !r.objects.includes(o))
            r.objects = [...r.objects.filter((x) => !x.startsWith(`${name} `)), o];
        }
        this.log('event', '', 'kodev', `applied ${e.objects.join(', ')}`);
        break;
      case 'workloads':
        for (const w of e.workloads) {
          const image = w.images[0];
          if (image) {
            this.dropWorkloadRow(w.name);
            const r = this.imageRow(image);
            this.owner.set(w.name, r.key);
            if (!r.workloads.includes(w.name)) r.workloads.push(w.name);
          }
        }
        break;
      case 'workload': {
        const r = this.ownerRow(e.name) ?? this.workloadRow(e.name);
        r.readiness = e.pods ?? e.summary;
        if (e.restarts !== undefined) r.restarts = e.restarts;
        r.problem = undefined;
        if (!BUSY.has(r.state) || r.state === 'rolling out')
          this.setState(r, /exited 0|complete/i.test(e.summary) ? 'completed' : 'ready', undefined);
        break;
      }
      case 'log': {
        const r = this.ownerRow(e.source.resource) ?? this.workloadRow(e.source.resource);
        const pod = e.source.pod && e.source.pod !== 'local' ? shortPod(e.source.pod) : undefined;
        const prefix = pod ? [pod, e.source.container].filter(Boolean).join('/') : e.source.resource;
        const podName = e.source.pod && e.source.pod !== 'local' ? e.source.pod : e.source.resource;
        const known = r.pods.find((p) => p.name === podName && p.container === e.source.container);
        if (!known) {
          r.pods = [
            {
              name: podName,
              status: 'running',
              ...(e.source.container ? { container: e.source.container } : {}),
            },
            ...r.pods,
          ].slice(0, 6);
        } else if (known.status !== 'running' && known.message === undefined) known.status = 'running';
        if (r.state === 'starting') this.setState(r, 'ready', undefined);
        this.log('pod', r.key, prefix, e.line, undefined, `${podName}/${e.source.container ?? ''}`);
        break;
      }
      case 'problem': {
        const [resource = e.resource, pod] = e.resource.split(' ');
        const r = this.ownerRow(resource) ?? this.workloadRow(resource);
        r.problem = { reason: e.reason, message: e.message, lines: e.lines ?? [] };
        if (/restart/i.test(e.reason)) r.restarts++;
        if (pod) {
          const p = r.pods.find((x) => x.name === pod);
          if (p) {
            p.status = e.reason;
            p.message = e.message;
          } else r.pods = [{ name: pod, status: e.reason, message: e.message }, ...r.pods].slice(0, 6);
        }
        this.setState(r, 'failed', `${e.reason}${e.message ? `: ${e.message}` : ''}`);
        this.log('event', r.key, r.name, `${e.reason}: ${e.message}`, 'error');
        for (const l of e.lines ?? []) this.log('event', r.key, r.name, `  ${l}`, 'error');
        break;
      }
      case 'cycle-end': {
        s.cycleRunning = false;
        s.lastCycleMs = e.totalMs;
        const record: CycleRecord = {
          cycle: e.cycle,
          ok: e.ok,
          totalMs: e.totalMs,
          timings: e.timings,
          ...(e.error ? { error: e.error } : {}),
        };
        for (const i of e.images) {
          const r = this.imageRow(i);
          r.cycles = [record, ...r.cycles].slice(0, 8);
          if (BUSY.has(r.state)) {
            if (e.ok) this.setState(r, 'ready');
            else this.setState(r, 'failed', e.error);
          }
        }
        if (e.ok) s.lastError = undefined;
        this.log(
          'event',
          '',
          'kodev',
          `cycle ${e.cycle} ${e.ok ? 'done' : 'failed'} in ${formatMs(e.totalMs)}${e.error ? `: ${firstLine(e.error)}` : ''}`,
          e.ok ? 'info' : 'error',
        );
        break;
      }
      case 'first-log':
        break;
      case 'error':
        s.lastError = { message: e.message, retrying: e.retrying };
        this.log('event', '', 'kodev', e.message, e.retrying ? 'warn' : 'error');
        break;
      case 'pending':
        for (const i of e.images) {
          const r = this.imageRow(i);
          r.pending = [...new Set([...r.pending, ...e.files])];
          this.setState(r, 'pending', `${r.pending.length} change(s) waiting`);
        }
        break;
      case 'stopped':
        s.stopped = true;
        break;
    }
    this.changed();
  }

  private setState(r: ResourceView, state: RowState, detail?: string): void {
    r.state = state;
    r.busy = BUSY.has(state);
    if (detail === undefined) delete r.detail;
    else r.detail = firstLine(detail);
    if (state !== 'failed' && !BUSY.has(state)) r.problem = state === 'ready' ? undefined : r.problem;
  }

  private imageRow(image: string): ResourceView {
    return this.row(image) ?? this.addRow(image, image);
  }

  private ownerRow(workload: string): ResourceView | undefined {
    const key = this.owner.get(workload);
    return key ? this.row(key) : undefined;
  }

  private workloadRow(workload: string): ResourceView {
    const existing = this.row(workload);
    if (existing) return existing;
    this.owner.set(workload, workload);
    const r = this.addRow(workload, undefined);
    r.workloads.push(workload);
    return r;
  }

  /** A workload seen before kodev knew its image (a log line came first) joins its image's row. */
  private dropWorkloadRow(workload: string): void {
    const i = this.state.resources.findIndex((r) => r.key === workload && !r.image);
    if (i < 0) return;
    this.state.resources.splice(i, 1);
    this.owner.delete(workload);
    for (const r of this.state.resources) r.name = shortName(r.key);
    for (const r of this.state.resources)
      if (this.state.resources.some((x) => x !== r && shortName(x.key) === shortName(r.key)))
        r.name = shortName(r.key, 2);
  }

  private addRow(key: string, image: string | undefined): ResourceView {
    const r: ResourceView = {
      key,
      name: shortName(key),
      ...(image ? { image } : {}),
      state: 'starting',
      busy: false,
      restarts: 0,
      workloads: [],
      objects: [],
      cycles: [],
      pods: [],
      pending: [],
    };
    this.state.resources.push(r);
    const clash = this.state.resources.filter((x) => x.name === r.name);
    if (clash.length > 1) for (const x of clash) x.name = shortName(x.key, 2);
    return r;
  }

  private log(
    kind: LogEntry['kind'],
    resource: string,
    prefix: string,
    text: string,
    level?: LogLevel,
    colorKey?: string,
  ): void {
    const logs = this.state.logs;
    const name = resource ? (this.row(resource)?.name ?? resource) : '';
    logs.push({
      seq: logs.total,
      at: this.now(),
      kind,
      resource,
      name,
      prefix,
      colorKey: colorKey ?? prefix,
      text: stripControl(text),
      level: level ?? detectLevel(text),
    });
  }

  private changed(): void {
    this.state.version++;
    if (this.timer || this.listeners.size === 0) return;
    const wait = Math.max(0, this.lastNotify + this.notifyMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lastNotify = this.now();
      for (const l of this.listeners) l();
    }, wait);
  }
}

/** `example.com/app/cmd/api` -> `api` (or the last `parts` segments); `Deployment/api` -> `api`. */
export function shortName(key: string, parts = 1): string {
  const segments = key.split('/').filter(Boolean);
  return segments.slice(-parts).join('/') || key;
}

/** `api-7d9f8c6b5-x2x9k` -> `api-7d9f…`: enough to tell pods apart. */
function shortPod(pod: string): string {
  const m = /^(.*)-([a-z0-9]{8,10})-([a-z0-9]{5})$/.exec(pod);
  return m ? `${m[1]}-${(m[2] ?? '').slice(0, 4)}…${m[3]}` : pod;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim()) ?? '';
  return line.trim();
}

/** Terminal control sequences in program output would move the cursor inside the UI. */
function stripControl(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*(\x07|\x1b\\)|[\x00-\x08\x0b-\x1f\x7f]/g, '')
      .replace(/\t/g, '  ')
  );
}

/** `1234` -> `1.2s`, `87` -> `87ms`. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}
