/**
 * Deterministic gzip. Node's bundled zlib may compress the same bytes
 * differently across zlib releases and CPU feature sets, which would change
 * layer digests from one machine to another. Layers are compressed with a
 * WebAssembly build of Rust's flate2 (@hazae41/foras, pinned by the
 * lockfile): WebAssembly runs the same code on every machine, so the output
 * depends only on the input and the level, and it is about five times faster
 * than the pure-JavaScript fflate kodev used before (0.14-0.19 s against
 * 0.73-0.80 s for an 8.8 MB Go binary). The header carries mtime 0 and no
 * file name.
 *
 * An input over GZIP_PIECE bytes is cut into GZIP_PIECE-sized pieces, each
 * compressed as its own gzip member, and the members are concatenated (RFC
 * 1952 allows any number; Go's gzip reader, which Docker, containerd, skopeo
 * and umoci use, reads them all, as they read eStargz layers, which are built
 * the same way). The pieces are compressed on this thread and on worker
 * threads at once. Where each piece is compressed does not change its bytes,
 * so the result is the same with any number of workers and on any machine.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Worker } from 'node:worker_threads';
import type * as ForasModule from '@hazae41/foras';
import { traceMark } from '../system/timings.js';
import { compileOptimizable } from '../system/wasm-tiers.js';

/** ko (via go-containerregistry) compresses layers at BestSpeed; so does kodev. */
export const DEFAULT_GZIP_LEVEL = 1;

/** The size of the pieces a large input is compressed in, one gzip member each. Changing it changes digests. */
export const GZIP_PIECE = 1 << 20;

/** The compressor, pinned exactly in package.json (a test checks this against the installed package). */
export const GZIP_COMPRESSOR = '@hazae41/foras@2.1.4';

/**
 * Everything besides the input that decides the compressed bytes. A cache of
 * compressed layers keys on it, so a kodev with another compressor never
 * serves bytes an earlier one made (the same input would get another digest
 * on a machine without that cache).
 */
export const GZIP_FORMAT = `${GZIP_COMPRESSOR} level=${DEFAULT_GZIP_LEVEL} piece=${GZIP_PIECE}`;

type Level = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
type Foras = typeof ForasModule;
let foras: Promise<Foras> | undefined;

/** Loads and instantiates the compressor; call it early so this overlaps other work (go build). */
export function prepareGzip(): Promise<Foras> {
  foras ??= import('@hazae41/foras').then(async (m) => {
    // foras's initBundledOnce fetch()es its module from a data: URL, and touching fetch, Request
    // or Response loads Node's own HTTP client (~80 ms of CPU, beside go build). The module is
    // compiled here (the functions themselves compile lazily, on first use), with V8's
    // optimizing tier allowed (system/wasm-tiers.ts), and instantiated with initSync, which
    // touches none of them.
    const bytes = forasWasm();
    if (bytes) m.initSync(compileOptimizable(bytes) as Parameters<Foras['initSync']>[0]);
    else await m.initBundledOnce();
    return m;
  });
  return foras;
}

const requireHere = createRequire(import.meta.url);

/** foras's CommonJS entry: the worker threads load the package from there. */
function forasMain(): string {
  return requireHere.resolve('@hazae41/foras');
}

/** The WebAssembly module foras ships (base64, in its `foras.wasm` data module), or undefined. */
function forasWasm(): Buffer | undefined {
  try {
    const file = join(dirname(forasMain()), '../../wasm/pkg/foras.wasm.cjs');
    const { data } = requireHere(file) as { data: string };
    return Buffer.from(data.slice(data.indexOf(',') + 1), 'base64');
  } catch {
    return undefined;
  }
}

/** Compresses bytes with a fixed header so the result is reproducible. */
export async function gzipDeterministic(
  data: Uint8Array,
  level: Level = DEFAULT_GZIP_LEVEL,
): Promise<Buffer> {
  const m = await prepareGzip();
  if (data.byteLength <= GZIP_PIECE) {
    const member = gzipMember(m, data, level);
    return Buffer.from(member.buffer, member.byteOffset, member.byteLength);
  }
  return pool().compress(data, level);
}

let defaultPool: GzipPool | undefined;
const pool = () => (defaultPool ??= new GzipPool(Math.min(3, availableParallelism() - 1)));

/**
 * prepareGzip, and start the worker threads too: a build calls it while `go
 * build` runs, so the workers are ready when the binary's layer is made.
 */
export async function prepareGzipWorkers(): Promise<void> {
  pool().start(await prepareGzip());
}

/** One gzip member of `data`, compressed on this thread. */
function gzipMember(m: Foras, data: Uint8Array, level: Level): Uint8Array {
  const input = new m.Memory(data);
  try {
    const output = m.gzip(input, level);
    try {
      return output.bytes.slice();
    } finally {
      output.free();
    }
  } finally {
    input.free();
  }
}

interface Job {
  piece: Uint8Array;
  level: Level;
  done: (member: Uint8Array) => void;
  fail: (err: unknown) => void;
}

interface PoolWorker {
  thread: Worker;
  ready: boolean;
  job?: Job;
}

/**
 * Compresses the pieces of large inputs on this thread and on up to
 * `maxWorkers` worker threads. Workers start with the first large input (or
 * earlier, from prepareGzipWorkers) and instantiate the module this thread
 * compiled, so they add no second WebAssembly compile. A worker that fails
 * is dropped and its piece goes back to the queue; this thread always takes
 * part, so every piece is compressed even with none.
 */
export class GzipPool {
  private readonly queue: Job[] = [];
  private readonly workers: PoolWorker[] = [];
  private started = false;
  private draining = false;

  constructor(private readonly maxWorkers: number) {}

  /** The pieces of `data` as concatenated gzip members. */
  async compress(data: Uint8Array, level: Level): Promise<Buffer> {
    const m = await prepareGzip();
    const started = performance.now();
    const members: Promise<Uint8Array>[] = [];
    for (let at = 0; at < data.byteLength; at += GZIP_PIECE) {
      const piece = data.subarray(at, Math.min(at + GZIP_PIECE, data.byteLength));
      members.push(new Promise((done, fail) => this.queue.push({ piece, level, done, fail })));
    }
    this.start(m);
    this.dispatch();
    void this.drain(m);
    const all = await Promise.all(members);
    traceMark(
      `compressed ${data.byteLength} bytes in ${members.length} pieces (${(performance.now() - started).toFixed(0)} ms)`,
    );
    return Buffer.concat(all);
  }

  /** Live workers (for tests). */
  get threads(): readonly Worker[] {
    return this.workers.map((w) => w.thread);
  }

  /** Workers ready for pieces, and those with one in hand (for tests). */
  get counts(): { ready: number; busy: number } {
    return {
      ready: this.workers.filter((w) => w.ready).length,
      busy: this.workers.filter((w) => w.job).length,
    };
  }

  /** Starts the workers, once. */
  start(m: Foras): void {
    if (this.started) return;
    this.started = true;
    // wasm-bindgen keeps the compiled module here; without it, this thread compresses alone.
    const module = (m.__wbg_init as unknown as { __wbindgen_wasm_module?: object }).__wbindgen_wasm_module;
    if (!module) return;
    let glue: string;
    try {
      glue = forasMain();
    } catch {
      return;
    }
    for (let i = 0; i < this.maxWorkers; i++) {
      const w: PoolWorker = {
        thread: new Worker(WORKER_SOURCE, { eval: true, workerData: { module, glue } }),
        ready: false,
      };
      w.thread.unref();
      w.thread.on('message', (msg: { ready?: true; member?: Uint8Array; error?: string }) => {
        if (msg.ready) {
          w.ready = true;
          traceMark('gzip worker ready');
        }
        const job = w.job;
        w.job = undefined;
        if (job && msg.member) job.done(msg.member);
        else if (job) job.fail(new Error(`gzip worker: ${msg.error}`));
        this.dispatch();
      });
      const drop = () => {
        const i = this.workers.indexOf(w);
        if (i >= 0) this.workers.splice(i, 1);
        if (w.job) {
          this.queue.unshift(w.job);
          w.job = undefined;
          void this.drain(m);
        }
      };
      w.thread.on('error', drop);
      w.thread.on('exit', drop);
      this.workers.push(w);
    }
  }

  /** Hands queued pieces to idle workers; a worker with a piece keeps the process alive. */
  private dispatch(): void {
    for (const w of this.workers) {
      if (w.job || !w.ready) {
        if (!w.job) w.thread.unref();
        continue;
      }
      const job = this.queue.shift();
      if (!job) {
        w.thread.unref();
        continue;
      }
      w.job = job;
      w.thread.ref();
      // A copy, so the caller's buffer stays whole.
      const piece = new Uint8Array(job.piece);
      w.thread.postMessage({ piece, level: job.level }, [piece.buffer]);
    }
  }

  /** Compresses queued pieces on this thread, one per turn of the event loop so workers' replies get in. */
  private async drain(m: Foras): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let job = this.queue.shift(); job; job = this.queue.shift()) {
        try {
          job.done(gzipMember(m, job.piece, job.level));
        } catch (err) {
          job.fail(err);
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      this.draining = false;
    }
  }
}

/** The worker: instantiates the module it is given with foras's own glue, then compresses what it is sent. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const foras = require(workerData.glue);
foras.initSync(workerData.module);
parentPort.on('message', ({ piece, level }) => {
  try {
    const input = new foras.Memory(piece);
    const output = foras.gzip(input, level);
    const member = output.bytes.slice();
    output.free();
    input.free();
    parentPort.postMessage({ member }, [member.buffer]);
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
});
parentPort.postMessage({ ready: true });
`;

/** Decompresses gzip bytes, every member of them. */
export function gunzip(data: Uint8Array): Buffer {
  return gunzipSync(data);
}

/** True when the bytes start with the gzip magic number. */
export function isGzip(data: Uint8Array): boolean {
  return data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;
}
