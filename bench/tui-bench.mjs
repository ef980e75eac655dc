#!/usr/bin/env node
// `kodev up`'s terminal UI under a log flood: the real Ink app over the real
// session store, drawing into a terminal-sized sink that counts what it is
// sent. Phases, one after the other in one process:
//   flood  10,000 lines/s (default) from 4 pods for --seconds, in 10 ms ticks
//   max    as many lines as the store and UI take, for 3 s
//   idle   nothing happens for 5 s (the UI should use no CPU)
// Reported per phase: lines taken, frames drawn, render time per frame,
// bytes sent to the terminal, CPU use, event-loop delay (how late a key press
// would be handled) and memory. Usage: npm run bench:tui [-- --seconds 10 --rate 10000]
import console from 'node:console';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import process from 'node:process';
import { clearInterval, setInterval } from 'node:timers';
import { PassThrough, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { abortOnSignals, describeMachine, fmt, markdownTable, MiB, runMain, writeRecord } from './lib.mjs';

// As `kodev up` does: React's production build (src/system/terminal.ts).
process.env.NODE_ENV ??= 'production';
const { createElement } = await import('react');
const { render } = await import('ink');
const { App } = await import('../dist/components/App.js');
const { SessionStore } = await import('../dist/src/dev/session-store.js');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const seconds = arg('seconds', 10);
const rate = arg('rate', 10_000);

/** A 120x40 terminal that swallows output and counts it. */
class TerminalSink extends Writable {
  isTTY = true;
  columns = 120;
  rows = 40;
  bytes = 0;
  _write(chunk, _enc, done) {
    this.bytes += chunk.length;
    done();
  }
}

function fakeStdin() {
  const stdin = new PassThrough();
  stdin.isTTY = true;
  stdin.setRawMode = () => stdin;
  stdin.ref = () => stdin;
  stdin.unref = () => stdin;
  return stdin;
}

const IMAGES = ['example.com/shop/cmd/api', 'example.com/shop/cmd/worker'];
const PODS = [
  ['Deployment/api', 'api-7d9f8c6b5-x2x9k', 'api'],
  ['Deployment/api', 'api-7d9f8c6b5-q8w2e', 'api'],
  ['Deployment/worker', 'worker-5c2b7f9d4-m3n4b', 'worker'],
  ['Deployment/worker', 'worker-5c2b7f9d4-z9y8x', 'worker'],
];

function session(store) {
  store.dispatch({
    type: 'session',
    runtime: 'kubernetes',
    target: 'context bench, namespace shop',
    images: IMAGES,
  });
  store.dispatch({
    type: 'workloads',
    workloads: [
      { name: 'Deployment/api', images: [IMAGES[0]] },
      { name: 'Deployment/worker', images: [IMAGES[1]] },
    ],
  });
  store.dispatch({ type: 'cycle-start', cycle: 1, images: IMAGES, files: [], reason: 'start' });
  store.dispatch({
    type: 'cycle-end',
    cycle: 1,
    images: IMAGES,
    ok: true,
    timings: { compile: 800 },
    totalMs: 1900,
  });
  for (const [name] of PODS)
    store.dispatch({ type: 'workload', name, ready: true, summary: '2/2 ready', pods: '2/2' });
  store.dispatch({ type: 'watching', roots: ['/src'] });
}

let n = 0;
function logLine(store) {
  const [resource, pod, container] = PODS[n % PODS.length];
  const level = n % 50 === 0 ? 'error' : n % 10 === 0 ? 'warn' : 'info';
  store.dispatch({
    type: 'log',
    source: { resource, pod, uid: pod, container },
    line: `{"level":"${level}","ts":${n},"msg":"handled request ${n} in ${n % 97} ms","path":"/orders/${n % 1000}"}`,
  });
  n++;
}

/** Measures one phase: `drive` runs for its duration while samplers watch. */
async function phase(name, ui, drive) {
  const lag = monitorEventLoopDelay({ resolution: 5 });
  const frames0 = ui.frames;
  const renderMs0 = ui.renderMs;
  const bytes0 = ui.sink.bytes;
  const lines0 = n;
  let peakRss = 0;
  let peakHeap = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 100);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  ui.frameTimes.length = 0;
  lag.enable();
  await drive();
  lag.disable();
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  const frames = ui.frames - frames0;
  const sorted = [...ui.frameTimes].sort((a, b) => a - b);
  return {
    phase: name,
    seconds: wall,
    lines: n - lines0,
    linesPerSecond: (n - lines0) / wall,
    frames,
    framesPerSecond: frames / wall,
    renderMsMean: frames ? (ui.renderMs - renderMs0) / frames : 0,
    renderMsP99: sorted.length ? sorted[Math.floor(sorted.length * 0.99)] : 0,
    terminalKiBPerSecond: (ui.sink.bytes - bytes0) / 1024 / wall,
    cpuPercent: ((cpu.user + cpu.system) / 1000 / (wall * 1000)) * 100,
    eventLoopDelayP99Ms: lag.percentile(99) / 1e6,
    peakRssMiB: peakRss / MiB,
    peakHeapMiB: peakHeap / MiB,
    endRssMiB: process.memoryUsage().rss / MiB,
  };
}

async function main() {
  const { signal } = abort;
  const store = new SessionStore();
  const sink = new TerminalSink();
  const ui = { sink, frames: 0, renderMs: 0, frameTimes: [] };
  const noop = () => undefined;
  const instance = render(
    createElement(App, {
      store,
      color: true,
      actions: { rebuild: noop, rebuildAll: noop, setPaused: noop, quit: noop, forceQuit: noop },
    }),
    {
      stdout: sink,
      stdin: fakeStdin(),
      exitOnCtrlC: false,
      patchConsole: false,
      incrementalRendering: true,
      maxFps: 20,
      onRender: ({ renderTime }) => {
        ui.frames++;
        ui.renderMs += renderTime;
        ui.frameTimes.push(renderTime);
      },
    },
  );
  session(store);
  await sleep(500);
  const perTick = Math.max(1, Math.round(rate / 100));
  const results = [];
  results.push(
    await phase(`flood ${rate} lines/s`, ui, async () => {
      const end = performance.now() + seconds * 1000;
      let next = performance.now();
      while (performance.now() < end && !signal.aborted) {
        for (let i = 0; i < perTick; i++) logLine(store);
        next += 10;
        await sleep(Math.max(0, next - performance.now()));
      }
    }),
  );
  results.push(
    await phase('max (as fast as taken)', ui, async () => {
      const end = performance.now() + 3000;
      while (performance.now() < end && !signal.aborted) {
        for (let i = 0; i < 2000; i++) logLine(store);
        await sleep(0);
      }
    }),
  );
  await sleep(300);
  results.push(await phase('idle', ui, () => sleep(5000)));
  instance.unmount();
  store.dispose();

  const table = markdownTable(
    [
      { title: 'phase' },
      { title: 'lines/s taken', numeric: true },
      { title: 'frames/s', numeric: true },
      { title: 'render ms (mean / p99)', numeric: true },
      { title: 'terminal KiB/s', numeric: true },
      { title: 'CPU %', numeric: true },
      { title: 'event-loop delay p99 ms', numeric: true },
      { title: 'peak RSS MiB', numeric: true },
      { title: 'peak heap MiB', numeric: true },
    ],
    results.map((r) => [
      r.phase,
      fmt(r.linesPerSecond, 0),
      fmt(r.framesPerSecond, 1),
      `${fmt(r.renderMsMean, 1)} / ${fmt(r.renderMsP99, 1)}`,
      fmt(r.terminalKiBPerSecond, 0),
      fmt(r.cpuPercent, 1),
      fmt(r.eventLoopDelayP99Ms, 1),
      fmt(r.peakRssMiB, 0),
      fmt(r.peakHeapMiB, 0),
    ]),
  );
  console.log(table);
  await writeRecord('tui', {
    machine: await describeMachine(process.env, { reject: false }),
    settings: { seconds, rate, terminal: '120x40', logCapacity: store.state.logs.capacity },
    results,
  });
}

const abort = abortOnSignals();
await runMain('tui-bench', main, abort);
