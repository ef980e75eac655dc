import { describe, expect, it } from 'vitest';
import type { DevEvent } from '../../src/dev/events.js';
import { type ResourceView, SessionStore } from '../../src/dev/session-store.js';

const API = 'example.com/shop/cmd/api';
const WORKER = 'example.com/shop/cmd/worker';
const DIGEST = `sha256:${'3f1c9a'.padEnd(64, '0')}`;

function storeWith(events: DevEvent[]): SessionStore {
  const store = new SessionStore({ now: () => 1000 });
  for (const e of events) store.dispatch(e);
  return store;
}

const start: DevEvent[] = [
  { type: 'session', runtime: 'kubernetes', target: 'context dev, namespace shop', images: [API, WORKER] },
  { type: 'cycle-start', cycle: 1, images: [API, WORKER], files: [], reason: 'start', why: {} },
];

const row = (s: SessionStore, key: string) => s.row(key) as ResourceView;

describe('SessionStore rows', () => {
  it.each<[string, DevEvent[], Partial<ResourceView>]>([
    ['queued at the start of a cycle', [], { state: 'queued', busy: true }],
    ['building', [{ type: 'image-state', image: API, state: 'building' }], { state: 'building', busy: true }],
    ['pushing', [{ type: 'image-state', image: API, state: 'pushing' }], { state: 'pushing', busy: true }],
    [
      'published with a digest',
      [{ type: 'published', image: API, reference: `127.0.0.1:5000/api@${DIGEST}` }],
      { digest: DIGEST, reference: `127.0.0.1:5000/api@${DIGEST}` },
    ],
    [
      'a compile error',
      [
        {
          type: 'image-state',
          image: API,
          state: 'failed',
          detail: 'go build failed\nmain.go:3: undefined: x',
        },
      ],
      { state: 'failed', busy: false, detail: 'go build failed' },
    ],
    [
      'ready when the workload is',
      [
        { type: 'image-state', image: API, state: 'rolling out' },
        { type: 'workloads', workloads: [{ name: 'Deployment/api', images: [API] }] },
        { type: 'workload', name: 'Deployment/api', ready: true, summary: '2/2 ready', pods: '2/2' },
      ],
      { state: 'ready', readiness: '2/2', workloads: ['Deployment/api'] },
    ],
    [
      'a completed Job',
      [
        { type: 'workloads', workloads: [{ name: 'Job/migrate', images: [API] }] },
        { type: 'cycle-end', cycle: 1, images: [API], ok: true, timings: {}, totalMs: 10 },
        { type: 'workload', name: 'Job/migrate', ready: true, summary: 'complete' },
      ],
      { state: 'completed' },
    ],
    [
      'a crash loop with its reason',
      [
        { type: 'workloads', workloads: [{ name: 'Deployment/api', images: [API] }] },
        {
          type: 'problem',
          resource: 'Deployment/api api-7d9f8c6b5-x2x9k',
          reason: 'CrashLoopBackOff',
          message: 'exit 2: missing FOO',
          lines: ['panic: missing FOO'],
        },
      ],
      { state: 'failed', detail: 'CrashLoopBackOff: exit 2: missing FOO' },
    ],
    [
      'pending while paused',
      [
        { type: 'cycle-end', cycle: 1, images: [API], ok: true, timings: {}, totalMs: 10 },
        { type: 'pending', images: [API], files: ['/src/internal/queue/queue.go'] },
      ],
      { state: 'pending', pending: ['/src/internal/queue/queue.go'] },
    ],
    [
      'ready after a good cycle with nothing to wait for',
      [
        { type: 'image-state', image: API, state: 'building' },
        { type: 'cycle-end', cycle: 1, images: [API], ok: true, timings: { compile: 800 }, totalMs: 1900 },
      ],
      { state: 'ready', busy: false },
    ],
    [
      'failed when the cycle fails while busy',
      [
        { type: 'image-state', image: API, state: 'applying' },
        {
          type: 'cycle-end',
          cycle: 1,
          images: [API],
          ok: false,
          timings: {},
          totalMs: 5,
          error: 'forbidden',
        },
      ],
      { state: 'failed', detail: 'forbidden' },
    ],
  ])('%s', (_name, events, expected) => {
    const s = storeWith([...start, ...events]);
    expect(row(s, API)).toMatchObject(expected);
  });

  it('names rows by the last path segment, and by two when they clash', () => {
    const s = storeWith([
      {
        type: 'session',
        runtime: 'local',
        target: 'here',
        images: ['a.com/x/cmd/api', 'a.com/y/cmd/api', WORKER],
      },
    ]);
    expect(s.state.resources.map((r) => r.name)).toEqual(['cmd/api', 'cmd/api', 'worker']);
  });

  it('records why an image rebuilt and its cycles, newest first', () => {
    const s = storeWith([
      ...start,
      {
        type: 'cycle-end',
        cycle: 1,
        images: [API, WORKER],
        ok: true,
        timings: { compile: 700 },
        totalMs: 1500,
      },
      {
        type: 'cycle-start',
        cycle: 2,
        images: [WORKER],
        files: ['/src/internal/queue/queue.go'],
        reason: 'change',
        why: { [WORKER]: ['example.com/shop/internal/queue'] },
      },
      { type: 'cycle-end', cycle: 2, images: [WORKER], ok: true, timings: { compile: 300 }, totalMs: 900 },
    ]);
    expect(row(s, WORKER).why).toEqual({
      cycle: 2,
      reason: 'change',
      files: ['/src/internal/queue/queue.go'],
      packages: ['example.com/shop/internal/queue'],
    });
    expect(row(s, WORKER).cycles.map((c) => c.cycle)).toEqual([2, 1]);
    expect(row(s, API).cycles.map((c) => c.cycle)).toEqual([1]);
    expect(s.state).toMatchObject({ cycle: 2, cycleRunning: false, lastCycleMs: 900 });
  });

  it('attaches pod logs to the image their workload runs, and a workload without an image gets its own row', () => {
    const s = storeWith([
      ...start,
      { type: 'workloads', workloads: [{ name: 'Deployment/api', images: [API] }] },
      {
        type: 'log',
        source: { resource: 'Deployment/api', pod: 'api-7d9f8c6b5-x2x9k', uid: 'u1', container: 'api' },
        line: 'listening on :8080',
      },
      { type: 'workload', name: 'StatefulSet/redis', ready: true, summary: '1/1 ready', pods: '1/1' },
    ]);
    const logs = [...Array(s.state.logs.size).keys()].map((i) => s.state.logs.at(i));
    const podLine = logs.find((l) => l?.kind === 'pod');
    expect(podLine).toMatchObject({
      resource: API,
      name: 'api',
      prefix: 'api-7d9f…x2x9k/api',
      text: 'listening on :8080',
    });
    expect(row(s, API).pods).toEqual([{ name: 'api-7d9f8c6b5-x2x9k', container: 'api', status: 'running' }]);
    expect(row(s, 'StatefulSet/redis')).toMatchObject({ name: 'redis', state: 'ready', readiness: '1/1' });
    expect(row(s, 'StatefulSet/redis').image).toBeUndefined();
  });

  it('keeps the applied objects of a row, replacing an object’s older action', () => {
    const s = storeWith([
      ...start,
      { type: 'workloads', workloads: [{ name: 'Deployment/api', images: [API] }] },
      { type: 'applied', objects: ['Deployment/api serverside-applied', 'Service/api serverside-applied'] },
      { type: 'applied', objects: ['Deployment/api unchanged'] },
    ]);
    expect(row(s, API).objects).toEqual(['Deployment/api unchanged']);
  });
});

describe('SessionStore logs', () => {
  it('keeps a bounded history and strips terminal control sequences', () => {
    const s = new SessionStore({ logCapacity: 100, now: () => 0 });
    s.dispatch(start[0] as DevEvent);
    for (let i = 0; i < 1000; i++)
      s.dispatch({ type: 'log', source: { resource: 'x' }, line: `\u001b[31mline ${i}\u001b[0m\u0007` });
    expect(s.state.logs.size).toBe(100);
    expect(s.state.logs.at(99)?.text).toBe('line 999');
    s.clearLogs();
    expect(s.state.logs.size).toBe(0);
  });

  it('levels build failures and problems as errors', () => {
    const s = storeWith([
      ...start,
      { type: 'build-output', image: API, line: './main.go:3:2: undefined: x' },
      { type: 'image-state', image: API, state: 'failed', detail: 'go build failed' },
    ]);
    const logs = [...Array(s.state.logs.size).keys()].map((i) => s.state.logs.at(i));
    expect(logs.filter((l) => l?.kind === 'build').map((l) => [l?.prefix, l?.level])).toEqual([
      ['build api', 'info'],
      ['build api', 'error'],
    ]);
  });
});

describe('SessionStore notifications', () => {
  it('batches a flood of events into few notifications and none when idle', async () => {
    const s = new SessionStore({ notifyMs: 30 });
    let notified = 0;
    s.subscribe(() => notified++);
    for (let i = 0; i < 5000; i++) s.dispatch({ type: 'log', source: { resource: 'x' }, line: String(i) });
    await new Promise((r) => setTimeout(r, 100));
    expect(notified).toBe(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(notified).toBe(1);
    s.dispose();
  });

  it('pausing clears nothing but marks the session, resuming clears pending files', () => {
    const s = storeWith([...start, { type: 'pending', images: [API], files: ['/a.go'] }]);
    s.setPaused(true);
    expect(s.state.paused).toBe(true);
    expect(row(s, API).pending).toEqual(['/a.go']);
    s.setPaused(false);
    expect(s.state.paused).toBe(false);
    expect(row(s, API).pending).toEqual([]);
  });
});

describe('SessionStore ordering', () => {
  it('a workload that logged before its image was known joins the image row', () => {
    const s = storeWith([
      ...start,
      { type: 'log', source: { resource: 'Deployment/api', pod: 'api-1', container: 'api' }, line: 'early' },
      { type: 'workloads', workloads: [{ name: 'Deployment/api', images: [API] }] },
      { type: 'log', source: { resource: 'Deployment/api', pod: 'api-1', container: 'api' }, line: 'late' },
    ]);
    expect(s.state.resources.map((r) => [r.key, r.name])).toEqual([
      [API, 'api'],
      [WORKER, 'worker'],
    ]);
    expect(row(s, API).workloads).toEqual(['Deployment/api']);
  });

  it('a busy step keeps the reason the image is being rebuilt', () => {
    const s = storeWith([
      ...start,
      {
        type: 'cycle-start',
        cycle: 2,
        images: [API],
        files: ['/src/internal/queue/q.go'],
        reason: 'change',
        why: { [API]: ['example.com/shop/internal/queue'] },
      },
      { type: 'image-state', image: API, state: 'building' },
    ]);
    expect(row(s, API)).toMatchObject({
      state: 'building',
      detail: 'example.com/shop/internal/queue changed',
    });
  });
});
