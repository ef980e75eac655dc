#!/usr/bin/env node
/**
 * Benchmarks kodev's dev loop: the latency from saving a one-line change to a Go source file to the
 * first new log line that shows it, under `kodev up --json` in the local runtime (host processes)
 * and in the cluster runtime (the repo's test cluster and a loopback docker-registry), broken down by
 * the phases of the matching cycle, beside a bare incremental `go build` of the same package after
 * the same kind of edit, in the same run. Prints a Markdown table on stdout, progress on stderr, and
 * writes every sample to bench/results/up-<ISO date>.json. Usage: `npm run bench:up -- --rounds 5`.
 */
import { execa } from 'execa';
import console from 'node:console';
import { constants } from 'node:fs';
import { access, cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  abortOnSignals,
  alternateRounds,
  cleanEnv,
  cli,
  describeMachine,
  fail,
  fmt,
  logSample,
  logTail,
  makeTool,
  markdownTable,
  measure,
  median,
  parseRounds,
  registryBin,
  repoRoot,
  requireGnuTime,
  runMain,
  startRegistry,
  summarize,
  writeRecord,
} from './lib.mjs';

// Node's web globals, named so that ESLint (no browser or node globals configured) knows them.
const { AbortController } = globalThis;

const PACKAGE = './cmd/ticker';
const BANNER_FILE = 'internal/banner/banner.go';
/** The ticker's first line; each round appends its marker to it. */
const BANNER = 'kodev-k8s ticker says hello';
const MANIFEST = 'config/ticker.yaml';
const CLUSTER_SCRIPTS = path.join(repoRoot, 'scripts', 'cluster');
const SIDES = ['kodev', 'go build'];
/** The phases a cycle-end reports, in the order of the table; `other` and `first log` follow. */
const PHASES = ['detect', 'compile', 'layer', 'publish', 'apply', 'ready'];
/** How long the first cycle (a cold Go cache, a first rollout) may take until `watching` and the banner. */
const START_MS = 5 * 60_000;
/** How long one round may take from the save to its new log line and the end of its cycle. */
const ROUND_MS = 3 * 60_000;
/** How long kodev has to stop after SIGINT before it and what it started get SIGKILL. */
const STOP_GRACE_MS = 30_000;
/** The bound on scripts/cluster/start.sh, which builds Kubernetes first on a new machine. */
const CLUSTER_START_MS = 60 * 60_000;
/** The bound on each cleanup command; they run after Ctrl-C too, so they cannot use the abort signal. */
const CLEANUP_MS = 2 * 60_000;
/** How often a wait looks at the events; arrival times are taken when a line is read, not here. */
const POLL_MS = 20;

// Ctrl-C or SIGTERM cancels the running command or wait, so the finally blocks stop kodev and clean up.
const abort = abortOnSignals();
const tool = makeTool(abort.signal);
const cleanupTool = makeTool(new AbortController().signal);

async function requireTools(tmp) {
  await requireGnuTime(tmp);
  await access(registryBin, constants.X_OK).catch(() =>
    fail(`${registryBin} is missing: run scripts/install-test-deps.sh to install the test dependencies`),
  );
}

/**
 * Rewrites the banner in the module at `dir` to end in ` ${marker}`. The clock is read right before
 * the write. Returns that save time (bench clock, ms) and the line the new program prints.
 */
async function editBanner(dir, marker) {
  const file = path.join(dir, BANNER_FILE);
  const text = (await readFile(file, 'utf8')).replace(/says hello[^"]*"/, `says hello ${marker}"`);
  const savedAt = performance.now();
  await writeFile(file, text);
  return { savedAt, line: `${BANNER} ${marker}` };
}

/** The ids of `pid`'s descendants, read from /proc before a SIGKILL, so none is left running. */
async function descendants(pid) {
  const children = new Map();
  for (const name of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  const found = [];
  for (let queue = [pid]; queue.length;) {
    const next = children.get(queue.shift()) ?? [];
    found.push(...next);
    queue.push(...next);
  }
  return found;
}

/**
 * Starts `kodev up --json <args>` in `cwd` and reads its events, each stamped with its index (`i`)
 * and its arrival time on the bench clock (`at`, performance.now() ms); stderr goes to `logFile`.
 * `waitFor(check, ms, what)` polls `check()` until it returns something truthy, which it returns,
 * and fails when kodev exits, `ms` pass or the bench is aborted; `until(pred, from, ms, what)` waits
 * that way for the first event from index `from` on that matches `pred`. `stop()` sends SIGINT,
 * then SIGKILL to kodev and everything it started after STOP_GRACE_MS; it is safe to call twice.
 */
function startUp(args, { cwd, env, logFile }) {
  const events = [];
  const child = execa('node', [cli, 'up', '--json', ...args], {
    cwd,
    env,
    extendEnv: false,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: { file: logFile },
    buffer: false,
    reject: false,
    cleanup: true,
  });
  let exited = false;
  const exit = child.then(() => (exited = true));
  let rest = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    const at = performance.now();
    const lines = (rest + chunk).split('\n');
    rest = lines.pop();
    for (const line of lines.filter((l) => l.trim())) {
      let event;
      try {
        event = JSON.parse(line);
      } catch {
        event = { type: 'unparsed', line };
      }
      events.push({ ...event, i: events.length, at });
    }
  });
  const context = async () =>
    `${await logTail(logFile)}\nlast events:\n${events
      .slice(-10)
      .map(({ i: _i, at: _at, ...e }) => JSON.stringify(e))
      .join('\n')}`;
  async function waitFor(check, ms, what) {
    const deadline = performance.now() + ms;
    for (;;) {
      abort.signal.throwIfAborted();
      const found = check();
      if (found) return found;
      if (exited) fail(`kodev up exited before ${what}:\n${await context()}`);
      if (performance.now() > deadline) fail(`no ${what} within ${ms / 1000} s:\n${await context()}`);
      await sleep(POLL_MS);
    }
  }
  const until = (pred, from, ms, what) => waitFor(() => events.slice(from).find(pred), ms, what);
  let stopping;
  const stop = () =>
    (stopping ??= (async () => {
      if (exited) return;
      child.kill('SIGINT');
      const graceful = await Promise.race([exit, sleep(STOP_GRACE_MS, false, { ref: false })]);
      if (graceful) return;
      const started = await descendants(child.pid);
      child.kill('SIGKILL');
      for (const pid of started) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      await exit;
      console.error(`up-bench: kodev up did not stop within ${STOP_GRACE_MS / 1000} s of SIGINT; killed it`);
    })());
  return { events, until, waitFor, stop };
}

/**
 * One kodev round: edits the banner to carry `marker`, waits for the log line that shows it and for
 * the end of the cycle that built it, and returns the latency with that cycle's phases. The first
 * log after apply is the `first-log` event's ms when kodev sends one (the cluster runtime, for a new
 * pod); local processes have no pod UID, so there it is the marker's arrival minus the cycle-end's,
 * which local kodev emits right after starting the new process. A cycle that reports a failure
 * after the new line has appeared is kept, with `ok: false` and its error: the program did show
 * the change, and the failure (usually in the rollout wait) is reported beside the table.
 */
async function kodevRound(up, fixture, marker, label) {
  const from = up.events.length;
  const { savedAt, line } = await editBanner(fixture, marker);
  const log = await up.until(
    (e) => e.type === 'log' && e.line === line,
    from,
    ROUND_MS,
    `log line "${line}"`,
  );
  const published = await up.until((e) => e.type === 'published', from, ROUND_MS, '`published` event');
  const start = up.events.findLast((e) => e.type === 'cycle-start' && e.i < published.i);
  const end = await up.until(
    (e) => e.type === 'cycle-end' && e.cycle === start.cycle,
    start.i,
    ROUND_MS,
    `end of cycle ${start.cycle}`,
  );
  await settle(up, label);
  const firstLog = up.events.find((e) => e.type === 'first-log' && e.i > start.i && e.i <= log.i + 1);
  const latencyMs = log.at - savedAt;
  const firstLogMs = firstLog ? firstLog.ms : log.at - end.at;
  const attributedMs = ['detect', 'compile', 'layer', 'publish', 'apply']
    .map((p) => end.timings[p] ?? 0)
    .reduce((a, b) => a + b, 0);
  const sample = {
    round: label,
    seconds: latencyMs / 1000,
    cycle: end.cycle,
    ok: end.ok,
    ...(end.ok ? {} : { error: end.error }),
    timings: end.timings,
    cycleTotalMs: end.totalMs,
    firstLogMs,
    firstLogFrom: firstLog ? 'first-log event' : 'bench clock, from cycle-end',
    otherMs: latencyMs - attributedMs - firstLogMs,
    pod: log.source?.pod,
  };
  const phases = Object.entries(end.timings)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  console.error(
    `  ${label}: ${sample.seconds.toFixed(2)} s to the new line (cycle ${end.totalMs} ms: ${phases}; first log ${firstLogMs.toFixed(0)} ms after apply)${end.ok ? '' : `; the cycle failed: ${end.error}`}`,
  );
  return sample;
}

/**
 * Waits until kodev is idle: every cycle that started has ended, and no retry that kodev announced
 * (`retrying ... in N s`, after a failed cycle) is still to come. The next round then starts on a
 * quiet loop, and neither side runs beside a cycle left over from the round before.
 */
async function settle(up, label) {
  const idle = () => {
    const last = (pred) => up.events.findLast(pred)?.i ?? -1;
    const starts = up.events.filter((e) => e.type === 'cycle-start').length;
    const ends = up.events.filter((e) => e.type === 'cycle-end').length;
    const retry = last((e) => e.type === 'error' && e.retrying && e.message.startsWith('retrying '));
    return starts === ends && retry < last((e) => e.type === 'cycle-start');
  };
  await up.waitFor(idle, ROUND_MS, `idle loop after ${label}`);
}

/** One baseline round: the same kind of edit with `marker` in `dir`, then `go build` under GNU time. */
async function goRound(dir, marker, label, { env, tmp }) {
  await editBanner(dir, marker);
  const out = path.join(tmp, 'ticker-go-build');
  const sample = await measure('go', ['build', '-trimpath', '-o', out, PACKAGE], {
    env,
    tmp,
    cwd: dir,
    signal: abort.signal,
  });
  if (!(await readFile(out)).includes(`says hello ${marker}`))
    fail(`${label}: the binary go build wrote does not hold "says hello ${marker}"`);
  logSample(label, sample);
  return { round: label, seconds: sample.seconds, peakRssKiB: sample.peakRssKiB };
}

/**
 * Runs one `kodev up` session: starts it, waits for `watching` and the first (unmarked) banner, runs
 * one unrecorded warm-up round of each side and then `rounds` alternating rounds, and stops it.
 * Markers name the runtime, the side and the round, so every build in the run compiles new source.
 */
async function runRuntime(runtime, args, rounds, { env, tmp, fixture, baseline, goEnv }) {
  console.error(`up-bench: ${runtime}: kodev up --json ${args.join(' ')}`);
  const up = startUp(args, { cwd: fixture, env, logFile: path.join(tmp, `kodev-up-${runtime}.log`) });
  try {
    await up.until((e) => e.type === 'watching', 0, START_MS, '`watching` event');
    await up.until((e) => e.type === 'log' && e.line === BANNER, 0, START_MS, `first "${BANNER}" line`);
    const runOne = (side, round) =>
      side === 'kodev'
        ? kodevRound(up, fixture, `${runtime}-${round}`, `${runtime} kodev ${round}`)
        : goRound(baseline, `go-${runtime}-${round}`, `${runtime} go build ${round}`, { env: goEnv, tmp });
    for (const side of SIDES) await runOne(side, 'warmup');
    const samples = await alternateRounds(SIDES, rounds, (side, r) => runOne(side, `r${r}`));
    return summarizeRuntime(runtime, samples);
  } finally {
    await up.stop();
  }
}

/** Medians of a runtime's kodev samples (latency, each phase, first log, other) and of its go builds. */
function summarizeRuntime(runtime, samples) {
  const kodev = samples.kodev;
  const some = (xs) => (xs.length ? median(xs) : undefined);
  const phasesMs = Object.fromEntries(
    PHASES.map((p) => [p, some(kodev.map((s) => s.timings[p]).filter((v) => v !== undefined))]),
  );
  const latencySeconds = median(kodev.map((s) => s.seconds));
  const goBuild = summarize(samples['go build']);
  return {
    runtime,
    latencySeconds,
    phasesMs,
    firstLogMs: median(kodev.map((s) => s.firstLogMs)),
    otherMs: median(kodev.map((s) => s.otherMs)),
    cycleTotalMs: median(kodev.map((s) => s.cycleTotalMs)),
    failedCycles: kodev.filter((s) => !s.ok).length,
    goBuild,
    ratio: latencySeconds / goBuild.medianSeconds,
    samples,
  };
}

function table(results) {
  const columns = [
    { title: 'runtime' },
    { title: 'save → new log line (s)', numeric: true },
    ...PHASES.map((p) => ({ title: `${p} (ms)`, numeric: true })),
    { title: 'first log after apply (ms)', numeric: true },
    { title: 'other (ms)', numeric: true },
    { title: 'bare go build (s)', numeric: true },
    { title: 'ratio latency/go build', numeric: true },
    { title: 'failed cycles', numeric: true },
  ];
  const rows = results.map((r) => [
    r.runtime,
    fmt(r.latencySeconds),
    ...PHASES.map((p) => fmt(r.phasesMs[p], 0)),
    fmt(r.firstLogMs, 0),
    fmt(r.otherMs, 0),
    fmt(r.goBuild.medianSeconds),
    fmt(r.ratio, 1),
    `${r.failedCycles}/${r.samples.kodev.length}`,
  ]);
  return markdownTable(columns, rows);
}

/**
 * Starts (or reuses) the test cluster and returns its kubeconfig and whether it was already running,
 * judged by health.sh before start.sh. Only a cluster the bench started goes on `stops`, before
 * start.sh runs, so that a start that fails half-way is stopped too.
 */
async function startCluster(stops) {
  const health = await tool('bash', [path.join(CLUSTER_SCRIPTS, 'health.sh'), '--quiet'], { reject: false });
  const reused = health.exitCode === 0;
  console.error(`up-bench: ${reused ? 'reusing the running test cluster' : 'starting the test cluster'}`);
  if (!reused)
    stops.push(() => cleanupTool('bash', [path.join(CLUSTER_SCRIPTS, 'stop.sh')], { timeout: CLEANUP_MS }));
  const started = await tool('bash', [path.join(CLUSTER_SCRIPTS, 'start.sh')], { timeout: CLUSTER_START_MS });
  return { kubeconfig: started.stdout.trim().split('\n').at(-1), reused };
}

async function main() {
  const rounds = parseRounds(process.argv.slice(2), 5);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'kodev-up-bench-'));
  const stops = [];
  try {
    await requireTools(tmp);
    console.error('up-bench: building the CLI (npm run --silent build)');
    // tsc reports errors on stdout; tool() shows both streams if the build fails, keeping stdout for the table.
    await tool('npm', ['run', '--silent', 'build'], { cwd: repoRoot });
    // kodev and go build share a Go cache that the bench owns; the first session's start fills it.
    const goEnv = cleanEnv({
      dropPrefixes: ['KODEV_', 'DOCKER_'],
      dropKeys: ['KOCACHE', 'KUBECONFIG'],
      set: { GOCACHE: path.join(tmp, 'gocache') },
    });
    const about = await describeMachine(goEnv, {
      reject: false,
      versions: [
        ['registry', registryBin, ['--version']],
        ['containerd', 'containerd', ['--version']],
        [
          'kubernetes',
          'bash',
          ['-c', `source ${CLUSTER_SCRIPTS}/lib.sh && "$K8S_BIN/kube-apiserver" --version`],
        ],
      ],
    });
    console.error(
      `up-bench: ${rounds} rounds per runtime on ${about.cpu} (${about.cores} cores), ${about.go}`,
    );
    // One copy per session and one for the baseline: kodev watches only its own copy.
    const copy = async (name) => {
      const dir = path.join(tmp, name);
      await cp(path.join(repoRoot, 'fixtures', 'k8s-app'), dir, { recursive: true });
      return dir;
    };
    const baseline = await copy('baseline');
    const results = [];

    const localFixture = await copy('local');
    const localEnv = { ...goEnv, KOCACHE: path.join(tmp, 'kocache-local') };
    results.push(
      await runRuntime('local', ['--runtime', 'local', PACKAGE], rounds, {
        env: localEnv,
        tmp,
        fixture: localFixture,
        baseline,
        goEnv,
      }),
    );

    const cluster = await startCluster(stops);
    const registry = await startRegistry(path.join(tmp, 'registry'), {
      secret: 'kodev-up-bench',
      signal: abort.signal,
    });
    stops.push(registry.stop);
    const namespace = `kodev-up-bench-${path.basename(tmp).split('-').at(-1).toLowerCase()}`;
    const kubeEnv = {
      ...goEnv,
      KUBECONFIG: cluster.kubeconfig,
      KO_DOCKER_REPO: `${registry.host}/bench`,
      KOCACHE: path.join(tmp, 'kocache-cluster'),
    };
    const nsManifest = `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${namespace}\n`;
    const kodevTool = (run, verb) =>
      run('node', [cli, verb, '-f', '-'], { cwd: tmp, env: kubeEnv, extendEnv: false, input: nsManifest });
    await kodevTool(tool, 'apply');
    stops.push(() => kodevTool((c, a, o) => cleanupTool(c, a, { ...o, timeout: CLEANUP_MS }), 'delete'));
    console.error(`up-bench: docker-registry at http://${registry.host}, namespace ${namespace}`);
    results.push(
      await runRuntime('cluster', ['-f', MANIFEST, '-n', namespace], rounds, {
        env: kubeEnv,
        tmp,
        fixture: await copy('cluster'),
        baseline,
        goEnv,
      }),
    );

    console.log(table(results));
    console.log(
      '\nsave → new log line: from right before the write of internal/banner/banner.go to the arrival of the' +
        ' first `log` event with the new banner, on the bench’s clock. Phases are the medians of the' +
        ' matching `cycle-end` timings (– where the runtime has none). First log after apply: the `first-log`' +
        ' event (cluster; ms from the end of the apply to the new pod’s first line, overlapping ready), or the' +
        ' marker’s arrival minus the `cycle-end`’s (local). Other = latency − detect − compile − layer −' +
        ' publish − apply − first log: the watcher noticing the save, go list and hashing, content IDs.' +
        ' Medians are taken per column, so they need not add up. Bare go build: `go build -trimpath` of' +
        ' ./cmd/ticker after the same kind of edit in another copy, with the same warm Go cache.' +
        ' Failed cycles: rounds whose new line appeared but whose cycle-end said ok: false; they count in' +
        ' the latency, and their missing phases (ready) are left out of the phase medians.',
    );
    const failures = results.flatMap((r) => [
      ...new Set(r.samples.kodev.filter((s) => !s.ok).map((s) => `- ${r.runtime}: ${s.error}`)),
    ]);
    if (failures.length) console.log(`\nErrors of the failed cycles:\n${failures.join('\n')}`);

    await writeRecord('up', {
      rounds,
      machine: about,
      cluster: { reused: cluster.reused, namespace },
      results,
    });
  } finally {
    for (const stop of stops.reverse()) await stop().catch((error) => console.error(`up-bench: ${error}`));
    await rm(tmp, { recursive: true, force: true, maxRetries: 3 });
  }
}

await runMain('up-bench', main, abort);
