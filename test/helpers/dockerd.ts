/**
 * Starts a private Docker Engine (Debian's dockerd) for tests: its own socket,
 * data root and exec root in a temp dir, vfs storage, no iptables and no
 * bridge, so it needs no kernel overlay support, touches no host networking
 * and never meets the host's own daemon. Containers run with --network=none.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { logTail, requireExecutable, supervise } from './processes.js';

/** Debian's daemon binary (package docker.io). */
export const DOCKERD_BIN = '/usr/sbin/dockerd';

/**
 * Debian's docker CLI, by absolute path: a machine may have another CLI
 * earlier on PATH (this one has Docker 28 in /usr/local/bin); the one shipped
 * with the daemon always speaks its API version.
 */
export const DOCKER_BIN = '/usr/bin/docker';

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 20_000;
// sun_path is 108 bytes on Linux; leave room for the NUL and for safety.
const MAX_SOCKET_PATH = 100;

/** A running private dockerd. */
export interface Dockerd {
  /** The value for `docker -H`, e.g. `unix:///tmp/kodev-dockerd-ab12/docker.sock`. */
  host: string;
  /** The socket path inside `host`. */
  socket: string;
  /** The temp dir holding the socket, data root, exec root, pid file and log. */
  dir: string;
  /** The daemon's combined stdout and stderr. */
  logFile: string;
  /** Stops the daemon (SIGTERM, then SIGKILL after a bound) and removes its dirs. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options for `startDockerd`. */
export interface StartDockerdOptions {
  /** How long to wait for `docker info` to answer. Default 60 s. */
  readyTimeoutMs?: number;
}

/**
 * Starts dockerd and waits until `docker info` answers; on failure throws an
 * error that carries the tail of the daemon's log, after cleaning up.
 */
export async function startDockerd(options: StartDockerdOptions = {}): Promise<Dockerd> {
  await requireExecutable(DOCKERD_BIN);
  await requireExecutable(DOCKER_BIN);
  const dir = await mkdtemp(join(shortTmpdir(), 'kodev-dockerd-'));
  const socket = join(dir, 'docker.sock');
  const host = `unix://${socket}`;
  const logFile = join(dir, 'dockerd.log');
  const execRoot = join(dir, 'exec');
  const child = execa(
    DOCKERD_BIN,
    [
      '--storage-driver=vfs',
      '-H',
      host,
      '--data-root',
      join(dir, 'data'),
      '--exec-root',
      execRoot,
      '--pidfile',
      join(dir, 'dockerd.pid'),
      '--iptables=false',
      '--bridge=none',
    ],
    {
      stdin: 'ignore',
      stdout: { file: logFile, append: true },
      stderr: { file: logFile, append: true },
      // dockerd runs containerd, runc, docker-init and docker-proxy from PATH.
      env: { PATH: `/usr/sbin:/usr/bin:/sbin:/bin:${process.env.PATH ?? ''}` },
      reject: false,
      // Kill the daemon if the test runner exits without calling stop().
      cleanup: true,
    },
  );
  const proc = supervise(child);
  const exit = proc.exit;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await proc.terminate(STOP_GRACE_MS);
      // dockerd normally stops its containerd; after a SIGKILL it may not have.
      await killOwnContainerd(
        join(execRoot, 'containerd', 'containerd.pid'),
        join(execRoot, 'containerd', 'containerd.toml'),
      );
      await unmountUnder(dir);
      await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    })();
    return stopping;
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? READY_TIMEOUT_MS);
  let lastError = '';
  for (;;) {
    if (proc.exited()) {
      const log = await logTail(logFile, 'dockerd');
      const { exitCode, signal } = await exit;
      await stop();
      throw new Error(
        `dockerd exited before it was ready (exit code ${exitCode ?? 'none'}, signal ${signal ?? 'none'}).\n` +
          `Last lines of its log:\n${log}`,
      );
    }
    const probe = await execa(DOCKER_BIN, ['-H', host, 'info', '--format', '{{.ServerVersion}}'], {
      reject: false,
      timeout: 10_000,
    });
    if (probe.exitCode === 0) break;
    lastError = String(probe.stderr).trim();
    if (Date.now() > deadline) {
      const log = await logTail(logFile, 'dockerd');
      await stop();
      throw new Error(
        `dockerd did not answer \`docker -H ${host} info\` within ${options.readyTimeoutMs ?? READY_TIMEOUT_MS} ms.\n` +
          `Last docker error: ${lastError}\nLast lines of its log:\n${log}`,
      );
    }
    await sleep(250);
  }
  return { host, socket, dir, logFile, stop };
}

/** Options for `docker`. */
export interface DockerOptions {
  /** Bytes for the CLI's stdin (e.g. `docker load` from a buffer). */
  input?: string | Uint8Array;
  /** A file for the CLI's stdin. */
  inputFile?: string;
  cwd?: string;
  /** Throw on a non-zero exit (default true). */
  reject?: boolean;
  /** Kill the CLI after this long. Default 120 s. */
  timeoutMs?: number;
}

/** What a docker CLI run printed and how it exited. */
export interface DockerResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * Runs Debian's docker CLI against `host` with an argv array. Throws with the
 * command line and its output on a non-zero exit unless `reject` is false.
 */
export async function docker(
  host: string,
  args: readonly string[],
  options: DockerOptions = {},
): Promise<DockerResult> {
  const result = await execa(DOCKER_BIN, ['-H', host, ...args], {
    input: options.input,
    inputFile: options.inputFile,
    cwd: options.cwd,
    reject: options.reject ?? true,
    timeout: options.timeoutMs ?? 120_000,
    // Contexts and other daemons from the environment must never be used.
    env: { DOCKER_HOST: undefined, DOCKER_CONTEXT: undefined, DOCKER_CLI_HINTS: 'false' },
  });
  return { stdout: String(result.stdout), stderr: String(result.stderr), exitCode: result.exitCode ?? -1 };
}

/** os.tmpdir(), unless a socket path under it would be too long for a unix socket. */
function shortTmpdir(): string {
  const dir = tmpdir();
  // mkdtemp adds 'kodev-dockerd-' + 6 chars, then '/docker.sock'.
  return dir.length + '/kodev-dockerd-XXXXXX/docker.sock'.length <= MAX_SOCKET_PATH ? dir : '/tmp';
}

/** SIGKILLs the process in a pid file, only if it is still the containerd that this dockerd started. */
async function killOwnContainerd(pidFile: string, configPath: string): Promise<void> {
  const pid = Number.parseInt(await readFile(pidFile, 'utf8').catch(() => ''), 10);
  if (!Number.isInteger(pid) || pid <= 0) return;
  // The pid may have been reused after a clean exit: check its command line first.
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!cmdline.split('\0').includes(configPath)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Exited in between.
  }
}

/** Lazily unmounts anything still mounted under dir (dockerd bind-mounts its data root onto itself). */
async function unmountUnder(dir: string): Promise<void> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const mounts = mountinfo
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
    // Deepest first, so parents are not busy.
    .sort((a, b) => b.length - a.length);
  for (const point of mounts) {
    await execa('umount', ['-l', point], { reject: false });
  }
}
