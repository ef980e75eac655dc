/**
 * The log of one container instance: splitting a byte stream into lines,
 * reading the RFC3339Nano timestamp the API server prefixes with
 * `timestamps=true`, reading which container instances a pod has, and
 * following one instance through dropped streams without gaps or repeats.
 */
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';
import { now } from '../system/env.js';
import type { KubeApi } from './client.js';
import type { KubeObject } from './objects.js';
import { podLogStream, readPod } from './pods.js';

/** Splits chunks into lines; a line cut between chunks (or inside a UTF-8 character) waits for the rest. */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  /** The complete lines `chunk` finishes, without their line endings. */
  push(chunk: Buffer | string): string[] {
    const text = this.partial + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    return lines.map(stripCR);
  }

  /** The unfinished last line, when the stream ended without a newline. */
  rest(): string | undefined {
    const text = this.partial + this.decoder.end();
    this.partial = '';
    return text === '' ? undefined : stripCR(text);
  }
}

function stripCR(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** A log line with its timestamp taken off. */
export interface TimestampedLine {
  /** The timestamp as written, for `sinceTime`. */
  time?: string;
  /** Nanoseconds since the epoch, for ordering (fractions have 0 to 9 digits, so strings do not sort). */
  nanos?: bigint;
  text: string;
}

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** Nanoseconds since the epoch of an RFC3339 (or RFC3339Nano) time, or undefined when it is not one. */
export function timestampNanos(time: string): bigint | undefined {
  const m = TIMESTAMP.exec(time);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** Splits `<RFC3339Nano> <text>`; a line without a timestamp prefix is returned whole. */
export function parseTimestamped(line: string): TimestampedLine {
  const space = line.indexOf(' ');
  const time = space < 0 ? line : line.slice(0, space);
  const nanos = timestampNanos(time);
  if (nanos === undefined) return { text: line };
  return { time, nanos, text: space < 0 ? '' : line.slice(space + 1) };
}

/** One container of a pod as its status reports it. */
export interface ContainerInstance {
  name: string;
  init: boolean;
  /** Which instance: 0 for the first, one more per restart. */
  restartCount: number;
  running: boolean;
  terminated: boolean;
  /** How the previous instance ended. */
  lastTerminated?: { exitCode?: number; reason?: string };
}

interface RawStatus {
  name: string;
  restartCount?: number;
  state?: { running?: object; terminated?: object; waiting?: object };
  lastState?: { terminated?: { exitCode?: number; reason?: string } };
}

/** The init and regular containers of a pod, in start order, as far as the kubelet has reported them. */
export function containerInstances(pod: KubeObject): ContainerInstance[] {
  const st = (pod.status ?? {}) as { initContainerStatuses?: RawStatus[]; containerStatuses?: RawStatus[] };
  const read = (s: RawStatus, init: boolean): ContainerInstance => ({
    name: s.name,
    init,
    restartCount: s.restartCount ?? 0,
    running: Boolean(s.state?.running),
    terminated: Boolean(s.state?.terminated),
    ...(s.lastState?.terminated ? { lastTerminated: s.lastState.terminated } : {}),
  });
  return [
    ...(st.initContainerStatuses ?? []).map((s) => read(s, true)),
    ...(st.containerStatuses ?? []).map((s) => read(s, false)),
  ];
}

/** One container instance to follow. */
export interface InstanceStream {
  namespace: string;
  pod: string;
  uid: string;
  container: string;
  /** Its restartCount: which instance. */
  restart: number;
  signal: AbortSignal;
  /** Reopen a stream that received nothing for this long (off when undefined). */
  stallMs?: number;
  /** Each line without its timestamp, in order and never twice. */
  onLine(line: string): void;
  /** True once the pod is known to be gone, so a closed stream is not reopened. */
  gone(): boolean;
}

const RECONNECT_ATTEMPTS = 6;
const RECONNECT_BASE_MS = 250;
const RECONNECT_MAX_MS = 5_000;
/** An attempt open this long was healthy: its end does not count against the reconnect budget. */
const HEALTHY_MS = 30_000;

/**
 * Follows one container instance until it stops. A stream that ends or breaks
 * while the instance still runs is reopened from the last timestamp seen
 * (`sinceTime`, which the API server truncates to seconds, so lines at or
 * before it are skipped), with backoff and a bounded number of attempts.
 * Resolves `ended` when the instance stopped (or the pod went away), `lost`
 * when the attempts ran out, `aborted` on the signal.
 */
export async function followInstance(api: KubeApi, s: InstanceStream): Promise<'ended' | 'lost' | 'aborted'> {
  let lastNanos: bigint | undefined;
  let since: string | undefined;
  const emit = (raw: string): boolean => {
    const l = parseTimestamped(raw);
    if (l.nanos !== undefined) {
      if (lastNanos !== undefined && l.nanos <= lastNanos) return false;
      lastNanos = l.nanos;
      since = l.time;
    }
    s.onLine(l.text);
    return true;
  };
  for (let failures = 0; ;) {
    const splitter = new LineSplitter();
    const attempt = new AbortController();
    const opened = now().getTime();
    let progressed = false;
    let stalled = false;
    const stall = s.stallMs
      ? setTimeout(() => {
          stalled = true;
          attempt.abort();
        }, s.stallMs)
      : undefined;
    try {
      const body = await podLogStream(api, s.namespace, s.pod, {
        container: s.container,
        follow: true,
        timestamps: true,
        ...(since ? { sinceTime: since } : {}),
        signal: AbortSignal.any([s.signal, attempt.signal]),
      });
      for await (const chunk of body) {
        stall?.refresh();
        for (const line of splitter.push(chunk as Buffer)) progressed = emit(line) || progressed;
      }
    } catch {
      // A broken stream is reopened below when its instance still runs.
    } finally {
      clearTimeout(stall);
    }
    if (s.signal.aborted) return 'aborted';
    if (!(await stillRunning(api, s))) {
      const rest = splitter.rest();
      if (rest !== undefined) emit(rest);
      return s.signal.aborted ? 'aborted' : 'ended';
    }
    if (progressed || stalled || now().getTime() - opened >= HEALTHY_MS) failures = 0;
    if (++failures > RECONNECT_ATTEMPTS) return 'lost';
    // An unfinished last line is dropped here: the reopened stream sends it again whole.
    const delay = Math.min(RECONNECT_BASE_MS * 2 ** (failures - 1), RECONNECT_MAX_MS);
    await sleep(delay, undefined, { signal: s.signal }).catch(() => undefined);
    if (s.signal.aborted) return 'aborted';
  }
}

/** True when the instance still runs; a failed read counts as yes, which the attempt budget bounds. */
async function stillRunning(api: KubeApi, s: InstanceStream): Promise<boolean> {
  if (s.gone()) return false;
  let pod: KubeObject | undefined;
  try {
    pod = await readPod(api, s.namespace, s.pod, s.signal);
  } catch {
    return !s.signal.aborted;
  }
  if (!pod || pod.metadata.uid !== s.uid) return false;
  const c = containerInstances(pod).find((x) => x.name === s.container);
  // A restart between this read and the reopened request would be read as this instance; the
  // kubelet reports the exit about a second before it restarts, so the window is tiny.
  return Boolean(c?.running && c.restartCount === s.restart);
}
