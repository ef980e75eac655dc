/**
 * What the benchmark scripts share: paths, the clean environment, GNU time runs, medians, daemons
 * started under a bound (among them the loopback registry), the machine description, the Markdown
 * table and the JSON record. Nothing here runs on import; each script decides which parts it uses.
 */
import { execa } from 'execa';
import console from 'node:console';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';

// Node's web globals, named so that ESLint (no browser or node globals configured) knows them.
const { AbortController, AbortSignal, fetch } = globalThis;

/** The kodev checkout the benchmarks run from and write their results into. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The Go module every benchmark builds (`./cmd/hello`); measured commands run in it. */
export const exampleDir = path.join(repoRoot, 'fixtures', 'example');
/** The built kodev CLI, run with `node` so that no global install is measured. */
export const cli = path.join(repoRoot, 'dist', 'bundle', 'cli.js');
/** GNU time, whose `%M` gives the peak RSS; BusyBox's or the shell's would not do. */
export const gnuTime = '/usr/bin/time';
/** Bytes in a MiB. */
export const MiB = 2 ** 20;
/** Converts GNU time's KiB to MiB. */
export const mib = (kib) => kib / 1024;
/** The bound on every command a benchmark runs, measured or not, so a hang cannot stall it forever. */
export const COMMAND_TIMEOUT_MS = 10 * 60_000;
/** The PATH daemons start with, so the caller's PATH cannot pick other binaries. */
export const SYSTEM_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';
/** Debian's distribution 2.8 registry, which the registry benchmarks push to. */
export const registryBin = '/usr/bin/docker-registry';
const REGISTRY_READY_MS = 30_000;
const REGISTRY_STOP_GRACE_MS = 10_000;

/**
 * Where the benchmarks install the tools they compare against (ko, crane): their own GOBIN, so
 * that no binary on the caller's PATH is ever measured.
 */
export const BENCH_BIN_DIR = path.join(os.homedir(), '.cache', 'kodev', 'bench', 'bin');

/** Thrown for failures the user can act on; `runMain` prints the message without a stack. */
export class BenchError extends Error {}

/** Throws a BenchError with `message`. */
export function fail(message) {
  throw new BenchError(message);
}

/**
 * Runs a script's `main` and turns a BenchError into `<label>: message` on stderr and exit code 1
 * (130 when `abort` was aborted by a signal). Anything else is a bug and keeps its stack.
 */
export async function runMain(label, main, abort) {
  try {
    await main();
  } catch (error) {
    if (!(error instanceof BenchError)) throw error;
    console.error(`${label}: ${error.message}`);
    process.exitCode = abort?.signal.aborted ? 130 : 1;
  }
}

/**
 * An AbortController that Ctrl-C or SIGTERM aborts, so the running command is cancelled and the
 * scripts' finally blocks stop their services and clean up.
 */
export function abortOnSignals() {
  const abort = new AbortController();
  // `on`, not `once`: execa's exit hook kills the process on a signal that no other listener handles.
  for (const signal of ['SIGINT', 'SIGTERM'])
    process.on(signal, () => abort.abort(new BenchError(`interrupted by ${signal}`)));
  return abort;
}

/** Reads `--rounds` (a positive integer, `defaultRounds` when absent) from the script's arguments. */
export function parseRounds(argv, defaultRounds) {
  return parseBenchArgs(argv, defaultRounds).rounds;
}

/**
 * Reads `--rounds` as parseRounds does, plus a script's own `options` (node:util parseArgs
 * options); returns the rounds and every value read.
 */
export function parseBenchArgs(argv, defaultRounds, options = {}) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { rounds: { type: 'string', default: String(defaultRounds) }, ...options },
    }));
  } catch (error) {
    // An unknown option or a missing value: node:util's own one-line message.
    fail(error.message);
  }
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1)
    fail(`--rounds must be a positive integer, got "${values.rounds}"`);
  return { rounds, values };
}

/** Fails with an install hint unless GNU time works at /usr/bin/time and prints `%M`. */
export async function requireGnuTime(tmp) {
  const out = path.join(tmp, 'time-check');
  const ok =
    existsSync(gnuTime) &&
    (await execa(gnuTime, ['-f', '%M', '-o', out, 'true'], { reject: false })).exitCode === 0 &&
    /^\d+$/.test((await readFile(out, 'utf8').catch(() => '')).trim());
  if (!ok)
    fail(
      "GNU time not found at /usr/bin/time: install the Debian package 'time' (scripts/install-test-deps.sh does)",
    );
}

/**
 * The environment measured commands run with: the caller's, less `KO_*`, the Go settings and
 * caches and whatever `dropPrefixes`/`dropKeys` name, plus a local toolchain with no `go env -w`
 * config (GOENV=off), CGO off, and then `set`.
 */
export function cleanEnv({ dropPrefixes = [], dropKeys = [], set = {} } = {}) {
  const prefixes = ['KO_', ...dropPrefixes];
  const keys = [
    'GOFLAGS',
    'GOENV',
    'GOOS',
    'GOARCH',
    'CGO_ENABLED',
    'GOCACHE',
    'SOURCE_DATE_EPOCH',
    ...dropKeys,
  ];
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (prefixes.some((prefix) => key.startsWith(prefix)) || keys.includes(key)) continue;
    env[key] = value;
  }
  return { ...env, GOTOOLCHAIN: 'local', GOENV: 'off', CGO_ENABLED: '0', ...set };
}

/**
 * Installs `module@version` with `go install` into BENCH_BIN_DIR, unless `<name> <versionArgs>`
 * there already prints exactly `version`, and returns the binary's path. `tool` is makeTool's;
 * `env` should keep the caller's HOME so the module cache survives between runs. The first install
 * needs the Go module proxy and may take minutes.
 */
export async function ensureGoInstall(
  tool,
  { name, module, version, versionArgs = ['version'], env, cwd, label },
) {
  const bin = path.join(BENCH_BIN_DIR, name);
  const installed = async () =>
    (await tool(bin, versionArgs, { env, extendEnv: false, reject: false })).stdout?.trim();
  if ((await installed()) === version) return bin;
  console.error(
    `${label}: installing ${name} ${version} into ${BENCH_BIN_DIR} (go install ${module}@${version})`,
  );
  await mkdir(BENCH_BIN_DIR, { recursive: true });
  await tool('go', ['install', `${module}@${version}`], {
    cwd,
    env: { ...env, GOBIN: BENCH_BIN_DIR },
    extendEnv: false,
  });
  const printed = await installed();
  if (printed !== version)
    fail(`${bin} ${versionArgs.join(' ')} printed ${JSON.stringify(printed)}, not ${version}`);
  return bin;
}

/** The failure message of a helper command: what ran, why it stopped, and both its streams. */
export function commandFailure(command, args, result) {
  return `${command} ${args.join(' ')} failed (${result.shortMessage ?? result.exitCode}):\n${result.stderr}\n${result.stdout}`.trim();
}

/**
 * Returns `tool(command, args, options)`, which runs a helper command (not measured), bounded in
 * time and cancelled by `signal`. It fails on a non-zero exit unless `options.reject` is false.
 */
export function makeTool(signal) {
  return async function tool(command, args, options = {}) {
    signal.throwIfAborted();
    const result = await execa(command, args, {
      timeout: COMMAND_TIMEOUT_MS,
      cancelSignal: signal,
      reject: false,
      ...options,
    });
    if (signal.aborted) throw signal.reason;
    if (result.exitCode !== 0 && options.reject !== false) fail(commandFailure(command, args, result));
    return result;
  };
}

/**
 * Runs one measured command under GNU time in `cwd` (the example module unless given). Returns its
 * wall seconds (the whole top-level process), its peak RSS in KiB (`%M`) and its output; fails with
 * `failure(command, args, result)` on a non-zero exit. With `signal`, it is bounded in time and
 * cancelled by the signal.
 */
export async function measure(
  command,
  args,
  { env, tmp, signal, cwd = exampleDir, failure = commandFailure },
) {
  signal?.throwIfAborted();
  const timeFile = path.join(tmp, 'time-out');
  const start = process.hrtime.bigint();
  const result = await execa(gnuTime, ['-f', '%M', '-o', timeFile, command, ...args], {
    cwd,
    env,
    extendEnv: false,
    reject: false,
    ...(signal ? { timeout: COMMAND_TIMEOUT_MS, cancelSignal: signal } : {}),
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (signal?.aborted) throw signal.reason;
  if (result.exitCode !== 0) fail(failure(command, args, result));
  // time writes "Command exited with non-zero status" before %M on failure; the last line is %M.
  const lines = (await readFile(timeFile, 'utf8')).trim().split('\n');
  return { seconds, peakRssKiB: Number(lines.at(-1)), stdout: result.stdout, stderr: result.stderr };
}

/** Prints a sample's progress line on stderr: label, wall seconds, peak RSS and an optional suffix. */
export function logSample(label, sample, suffix = '') {
  console.error(
    `  ${label}: ${sample.seconds.toFixed(2)} s, ${mib(sample.peakRssKiB).toFixed(0)} MiB${suffix}`,
  );
}

/** The median of a list of numbers (the mean of the middle two for an even count). */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * The median wall time, the maximum peak RSS (MiB) and the median peak RSS (MiB) of samples;
 * undefined for no samples.
 */
export function summarize(samples) {
  return (
    samples && {
      medianSeconds: median(samples.map((s) => s.seconds)),
      peakRssMiB: mib(Math.max(...samples.map((s) => s.peakRssKiB))),
      medianPeakRssMiB: mib(median(samples.map((s) => s.peakRssKiB))),
    }
  );
}

/**
 * Runs `rounds` rounds of every side through `runOne(side, round)` (rounds count from 1),
 * reversing the order of the sides every other round so that drift (page cache, neighbours,
 * thermal) hits all sides alike. Returns side -> samples.
 */
export async function alternateRounds(sides, rounds, runOne) {
  const samples = Object.fromEntries(sides.map((side) => [side, []]));
  for (let r = 1; r <= rounds; r++) {
    const order = r % 2 === 1 ? sides : [...sides].reverse();
    for (const side of order) samples[side].push(await runOne(side, r));
  }
  return samples;
}

/** The last 20 lines of a log file ('' when it cannot be read), for a failure message. */
export async function logTail(file) {
  return (await readFile(file, 'utf8').catch(() => '')).trim().split('\n').slice(-20).join('\n');
}

/**
 * Starts a daemon with only SYSTEM_PATH in its environment and its output appended to `logFile`,
 * then calls `ready()` every `pollMs` until it is true, the daemon exits, `readyMs` pass or `signal`
 * aborts. `stop` sends SIGTERM and then SIGKILL after `graceMs`, and is safe to call twice. When the
 * daemon is not ready, it is stopped and the result says whether it exited, with the log's tail.
 */
export async function startDaemon(command, args, { logFile, ready, readyMs, pollMs, graceMs, signal }) {
  const child = execa(command, args, {
    stdin: 'ignore',
    stdout: { file: logFile, append: true },
    stderr: { file: logFile, append: true },
    // The daemon reads no settings from the caller's environment (REGISTRY_* would override configs).
    extendEnv: false,
    env: { PATH: SYSTEM_PATH },
    reject: false,
    cleanup: true,
  });
  let exited = false;
  const exit = child.then(() => (exited = true));
  let stopping;
  const stop = () =>
    (stopping ??= (async () => {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = new AbortController();
      const graceful = await Promise.race([
        exit,
        sleep(graceMs, false, { signal: timer.signal }).catch(() => false),
      ]);
      timer.abort();
      if (!graceful) {
        child.kill('SIGKILL');
        await exit;
      }
    })());
  const deadline = Date.now() + readyMs;
  while (!exited && !signal.aborted && Date.now() < deadline) {
    if (await ready()) return { ready: true, stop };
    await sleep(pollMs);
  }
  await stop();
  if (signal.aborted) throw signal.reason;
  return { ready: false, exited, stop, log: await logTail(logFile) };
}

/** Binds 127.0.0.1:0 and returns the port the kernel picked, after closing it. */
async function freePort() {
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts docker-registry on a free loopback port, with filesystem storage under `dir`, and waits
 * for `GET /v2/` to answer 200. Returns `{ host, logFile, stop }`; `secret` is the registry's
 * HTTP secret, `signal` cancels the wait.
 */
export async function startRegistry(dir, { secret, signal }) {
  await mkdir(path.join(dir, 'storage'), { recursive: true });
  const logFile = path.join(dir, 'registry.log');
  // The port is free when probed but may be taken before the registry binds it: retry a few times.
  for (let attempt = 1; attempt <= 3; attempt++) {
    const host = `127.0.0.1:${await freePort()}`;
    const configFile = path.join(dir, 'config.yml');
    await writeFile(
      configFile,
      stringify({
        version: '0.1',
        log: { level: 'warn', formatter: 'text' },
        storage: {
          filesystem: { rootdirectory: path.join(dir, 'storage') },
          maintenance: { uploadpurging: { enabled: false } },
        },
        http: { addr: host, secret },
      }),
    );
    // REGISTRY_* variables would override the config file; startDaemon passes only PATH.
    const started = await startDaemon(registryBin, ['serve', configFile], {
      logFile,
      ready: async () =>
        (await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(2_000) })
          .then(async (res) => (await res.body?.cancel(), res.status))
          .catch(() => 0)) === 200,
      readyMs: REGISTRY_READY_MS,
      pollMs: 100,
      graceMs: REGISTRY_STOP_GRACE_MS,
      signal,
    });
    if (started.ready) return { host, logFile, stop: started.stop };
    if (!started.log.includes('address already in use') || attempt === 3)
      fail(
        `docker-registry did not answer GET http://${host}/v2/ within ${REGISTRY_READY_MS} ms:\n${started.log}`,
      );
  }
}

/**
 * Describes the machine for the JSON record: CPU, cores, memory, OS, Node, Go, then the version
 * output of each `[key, command, args]` in `versions`, and the kodev commit (marked when the
 * working tree has uncommitted changes). `reject: false` records a failing command's output
 * instead of failing.
 */
export async function describeMachine(env, { versions = [], reject = true } = {}) {
  const out = async (cmd, args) =>
    (await execa(cmd, args, { cwd: repoRoot, env, extendEnv: false, reject })).stdout.trim();
  const dirty = (await out('git', ['status', '--porcelain', '--untracked-files=no'])) !== '';
  const about = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    totalMemoryMiB: Math.round(os.totalmem() / MiB),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    go: await out('go', ['version']),
  };
  for (const [key, cmd, args] of versions) about[key] = await out(cmd, args);
  about.kodevCommit =
    (await out('git', ['rev-parse', 'HEAD'])) + (dirty ? ' (with uncommitted changes)' : '');
  return about;
}

/** Formats a number for the table with `digits` decimals, or '–' when there is none. */
export function fmt(n, digits = 2) {
  return n === undefined || n === null ? '–' : n.toFixed(digits);
}

/**
 * A Markdown table. `columns` are `{ title, numeric }` (numeric columns are right-aligned);
 * `rows` are arrays of cell strings in the same order.
 */
export function markdownTable(columns, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [
    line(columns.map((c) => c.title)),
    line(columns.map((c) => (c.numeric ? '---:' : '---'))),
    ...rows.map(line),
  ].join('\n');
}

/**
 * Writes `{ date, ...fields }` to bench/results/<name>-<ISO date>.json and says so on stderr as
 * `<name>-bench`.
 */
export async function writeRecord(name, fields) {
  const date = new Date()
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replaceAll(':', '-');
  const file = path.join(repoRoot, 'bench', 'results', `${name}-${date}.json`);
  await mkdir(path.dirname(file), { recursive: true });
  const record = { date: new Date().toISOString(), ...fields };
  await writeFile(file, `${JSON.stringify(record, null, 2)}\n`);
  console.error(`${name}-bench: wrote ${path.relative(repoRoot, file)}`);
}
