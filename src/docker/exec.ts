/**
 * `docker exec -i` over the Engine API, without the docker CLI: create an
 * exec, start it on a hijacked connection, stream stdin in (half-closing the
 * connection when stdin ends, which closes the process's stdin), split the
 * multiplexed stdout/stderr frames, then read the exit code. kind.local uses
 * it to pipe images into `ctr` inside kind nodes.
 *
 * `EngineClient` has no exec or raw calls, so this file also holds a minimal
 * second connection to the same daemon (`openEngineLine`), on the same
 * Agent engine.ts uses (`engineAgent`).
 */
import type { Duplex, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Agent, Dispatcher } from 'undici';
import { request, upgrade } from '../system/http.js';
import { UserError } from '../errors.js';
import { engineAgent } from './agent.js';
import { EngineError } from './engine.js';
import type { DockerHost } from './host.js';

/** What of an engine client a line needs: where the daemon is and the negotiated API version. */
export interface EngineConnection {
  readonly host: DockerHost;
  ping(): Promise<{ apiVersion: string }>;
}

/** Engine calls `EngineClient` does not offer: JSON requests and hijacked connections. */
export interface EngineLine {
  /** The daemon's address, for messages. */
  readonly address: string;
  /** Sends a request with an optional JSON body; returns the parsed JSON answer (undefined when empty). */
  json<T>(method: Dispatcher.HttpMethod, path: string, options?: JsonCall): Promise<T>;
  /** POSTs a JSON body asking for `Upgrade: tcp`; returns the raw socket once the daemon says 101. */
  hijack(path: string, body: unknown, signal?: AbortSignal): Promise<Duplex>;
  close(): Promise<void>;
}

/** Options for `EngineLine.json`. */
export interface JsonCall {
  query?: Record<string, string>;
  body?: unknown;
  /** What the call is, for error messages. */
  what?: string;
}

/** Opens a line to the daemon `engine` talks to, under the API version it negotiated. */
export function openEngineLine(engine: EngineConnection): EngineLine {
  return new HttpEngineLine(engine);
}

/** What an exec printed and how it exited. */
export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Options for `execWithStdin`. */
export interface ExecOptions {
  /** Run with extended privileges, as `docker exec --privileged` (kind's own exec does). */
  privileged: boolean;
  /** Give up after this long (default 10 minutes). The process may go on in the container. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The default bound on one exec. */
export const EXEC_TIMEOUT_MS = 10 * 60_000;
// Output kept per stream; ctr prints little, and a runaway process must not fill memory.
const MAX_OUTPUT = 1 << 20;

/**
 * Runs `cmd` in a running container with `stdin` as its standard input and
 * returns its exit code and output. A failure to read `stdin` fails the call
 * with that error; the process ending before reading all of stdin does not
 * (its exit code and output say why).
 */
export async function execWithStdin(
  line: EngineLine,
  containerId: string,
  cmd: readonly string[],
  stdin: Readable,
  options: ExecOptions,
): Promise<ExecResult> {
  const timeoutMs = options.timeoutMs ?? EXEC_TIMEOUT_MS;
  const signals = [AbortSignal.timeout(timeoutMs), ...(options.signal ? [options.signal] : [])];
  const signal = AbortSignal.any(signals);
  const what = `exec ${cmd.join(' ')} in container ${containerId.slice(0, 12)}`;
  try {
    const created = await line.json<{ Id: string }>('POST', `/containers/${containerId}/exec`, {
      what,
      body: {
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
        Privileged: options.privileged,
        Cmd: cmd,
      },
    });
    const socket = await line.hijack(`/exec/${created.Id}/start`, { Detach: false, Tty: false }, signal);
    const output = await pump(socket, stdin, signal);
    return { exitCode: await exitCode(line, created.Id, what), ...output };
  } catch (err) {
    stdin.destroy();
    if (signal.aborted && !options.signal?.aborted) {
      throw new UserError(`Docker daemon at ${line.address}: ${what} did not finish within ${timeoutMs} ms`, {
        hint: 'the container may be overloaded or stuck; check it with `docker exec`',
        cause: err,
      });
    }
    throw err;
  }
}

/** Feeds stdin into the socket and collects the demultiplexed output until the daemon closes it. */
function pump(socket: Duplex, stdin: Readable, signal: AbortSignal): Promise<Omit<ExecResult, 'exitCode'>> {
  return new Promise((resolve, reject) => {
    const frames = new FrameSplitter();
    let settled = false;
    const finish = (err?: unknown) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      stdin.unpipe(socket);
      if (err !== undefined) {
        socket.destroy();
        stdin.destroy();
        reject(err);
        return;
      }
      // The process is done; whatever of stdin it did not read is not needed.
      stdin.destroy();
      resolve({ stdout: frames.stdout(), stderr: frames.stderr() });
    };
    const onAbort = () => finish(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort);

    socket.on('data', (chunk: Buffer) => frames.push(chunk));
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    // A process that exits without reading all of stdin resets the connection under our writes.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'ECONNRESET') return;
      finish(err);
    });
    stdin.on('error', (err) => finish(err));
    // Half-close: the daemon closes the process's stdin and keeps sending its output.
    stdin.pipe(socket, { end: true });
  });
}

/** The exit code, once the daemon has recorded it (it may lag the end of the output briefly). */
async function exitCode(line: EngineLine, execId: string, what: string): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const info = await line.json<{ Running?: boolean; ExitCode?: number | null }>(
      'GET',
      `/exec/${execId}/json`,
      { what },
    );
    if (!info.Running && typeof info.ExitCode === 'number') return info.ExitCode;
    await sleep(100);
  }
  throw new UserError(`Docker daemon at ${line.address}: ${what}: output ended but the process did not exit`);
}

/**
 * Docker's stream multiplexing: frames of an 8-byte header (stream 1 stdout,
 * 2 stderr; bytes 4-7 the big-endian payload length) and the payload.
 */
export class FrameSplitter {
  private pending: Buffer = Buffer.alloc(0);
  private readonly out: Buffer[][] = [[], [], []];
  private readonly sizes = [0, 0, 0];

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 8) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      const stream = this.pending[0] === 2 ? 2 : this.pending[0] === 1 ? 1 : 0;
      const payload = this.pending.subarray(8, 8 + size);
      if (this.sizes[stream]! < MAX_OUTPUT) {
        this.out[stream]!.push(payload);
        this.sizes[stream]! += payload.length;
      }
      this.pending = this.pending.subarray(8 + size);
    }
  }

  stdout(): string {
    return Buffer.concat(this.out[1]!).toString('utf8');
  }

  stderr(): string {
    return Buffer.concat(this.out[2]!).toString('utf8');
  }
}

class HttpEngineLine implements EngineLine {
  readonly address: string;
  private agent?: Promise<Agent>;

  constructor(private readonly engine: EngineConnection) {
    this.address = engine.host.address;
  }

  async json<T>(method: Dispatcher.HttpMethod, path: string, c: JsonCall = {}): Promise<T> {
    const what = c.what ?? `${method} ${path}`;
    const query = c.query ? `?${new URLSearchParams(c.query).toString()}` : '';
    const [base, agent] = await Promise.all([this.base(), this.dispatcher()]);
    let res: Dispatcher.ResponseData;
    try {
      res = await request(`${this.engine.host.origin}${base}${path}${query}`, {
        dispatcher: agent,
        method,
        ...(c.body === undefined
          ? {}
          : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(c.body) }),
      });
    } catch (err) {
      throw this.unreachable(what, err);
    }
    const text = await res.body.text();
    if (res.statusCode >= 300) {
      let message = text.trim().slice(0, 500);
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? message;
      } catch {
        // Not JSON: keep the text.
      }
      throw new EngineError(
        `Docker daemon at ${this.address}: ${what}: HTTP ${res.statusCode}${message ? `: ${message}` : ''}`,
        res.statusCode,
      );
    }
    return (text.trim() === '' ? undefined : JSON.parse(text)) as T;
  }

  async hijack(path: string, body: unknown, signal?: AbortSignal): Promise<Duplex> {
    const [base, agent] = await Promise.all([this.base(), this.dispatcher()]);
    try {
      // undici sends a body with an upgrade request, though its types do not say so.
      const options: Parameters<typeof upgrade>[1] = {
        dispatcher: agent,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        protocol: 'tcp',
        ...(signal ? { signal } : {}),
      };
      const { socket } = await upgrade(`${this.engine.host.origin}${base}${path}`, options);
      return socket;
    } catch (err) {
      throw this.unreachable(`POST ${path} (attach)`, err);
    }
  }

  async close(): Promise<void> {
    const agent = await this.agent?.catch(() => undefined);
    await agent?.close();
  }

  private async base(): Promise<string> {
    return `/v${(await this.engine.ping()).apiVersion}`;
  }

  private unreachable(what: string, err: unknown): UserError {
    if (err instanceof UserError) return err;
    const e = err as { code?: string; message?: string; name?: string };
    if (e?.name === 'AbortError' || e?.name === 'TimeoutError') return err as UserError;
    return new UserError(`Docker daemon at ${this.address}: ${what} failed: ${e?.code || String(err)}`, {
      hint: 'check that the daemon is running and healthy, then try again',
      cause: err,
    });
  }

  private dispatcher(): Promise<Agent> {
    this.agent ??= engineAgent(this.engine.host);
    return this.agent;
  }
}
