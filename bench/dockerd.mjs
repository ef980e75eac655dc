/**
 * A private Docker Engine for the benchmarks, started as test/helpers/dockerd.ts starts it:
 * Debian's dockerd with vfs storage, its own socket, data root and exec root under one directory,
 * no iptables and no bridge (containers run with --network=none), never --privileged. Debian's
 * docker CLI is used by absolute path: another one earlier on PATH may not speak its API.
 */
import { execa } from 'execa';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { fail, startDaemon } from './lib.mjs';

/** Debian's docker CLI (package docker.io). */
export const DOCKER = '/usr/bin/docker';
/** Debian's Docker daemon (package docker.io). */
export const DOCKERD = '/usr/sbin/dockerd';
const DAEMON_READY_MS = 60_000;
const STOP_GRACE_MS = 20_000;

/**
 * Starts dockerd with all its state under `dir` (keep the path short: the socket's path must fit
 * in 108 bytes) and waits until `docker info` answers. Returns `{ host, stop }`; `host` is the
 * `unix://` value for `docker -H`, and `stop` is safe to call twice. Call `unmountUnder` on a
 * parent directory before removing it.
 */
export async function startDockerd(dir, { signal }) {
  await mkdir(dir, { recursive: true });
  const host = `unix://${path.join(dir, 'docker.sock')}`;
  const execRoot = path.join(dir, 'exec');
  const args = [
    '--storage-driver=vfs',
    '-H',
    host,
    '--data-root',
    path.join(dir, 'data'),
    '--exec-root',
    execRoot,
    '--pidfile',
    path.join(dir, 'dockerd.pid'),
    '--iptables=false',
    '--bridge=none',
  ];
  const started = await startDaemon(DOCKERD, args, {
    logFile: path.join(dir, 'dockerd.log'),
    ready: async () =>
      (
        await execa(DOCKER, ['-H', host, 'info', '--format', '{{.ServerVersion}}'], {
          reject: false,
          timeout: 10_000,
        })
      ).exitCode === 0,
    readyMs: DAEMON_READY_MS,
    pollMs: 250,
    graceMs: STOP_GRACE_MS,
    signal,
  });
  if (!started.ready)
    fail(
      `dockerd ${started.exited ? 'exited before it was ready' : `was not ready within ${DAEMON_READY_MS} ms`}:\n${started.log}`,
    );
  return {
    host,
    stop: async () => {
      await started.stop();
      // dockerd normally stops its containerd; after a SIGKILL it may not have.
      await killIfCommandLine(path.join(execRoot, 'containerd', 'containerd.pid'), 'containerd.toml');
    },
  };
}

/** SIGKILLs the process in a pid file, only if its command line still names `marker`. */
export async function killIfCommandLine(pidFile, marker) {
  const pid = Number.parseInt(await readFile(pidFile, 'utf8').catch(() => ''), 10);
  if (!Number.isInteger(pid) || pid <= 0) return;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!cmdline.includes(marker)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Exited in between.
  }
}

/** Lazily unmounts anything still mounted under dir (dockerd bind-mounts its data root onto itself). */
export async function unmountUnder(dir) {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const mounts = mountinfo
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of mounts) await execa('umount', ['-l', point], { reject: false, timeout: 30_000 });
}
