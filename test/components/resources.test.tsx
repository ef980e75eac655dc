import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import { App } from '../../components/App.js';
import type { DevEvent } from '../../src/dev/events.js';
import type { SessionStore } from '../../src/dev/session-store.js';
import { API, cycleTo, MIGRATE, play, readyCycle, sessionStore } from './fixtures.js';
import { recordActions, stripAnsi, waitForFrame } from './helpers.js';

afterEach(cleanup);

const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;
const CHANGED = 'example.com/shop/internal/queue changed';

/** The selected (only) row's line of the resources pane. */
function rowLine(frame: string): string {
  return (
    stripAnsi(frame)
      .split('\n')
      .find((l) => l.includes('▸')) ?? ''
  );
}

const crash: DevEvent[] = [
  {
    type: 'workload',
    name: 'Deployment/api',
    ready: false,
    summary: 'progressing',
    pods: '1/2',
    restarts: 4,
  },
  {
    type: 'problem',
    resource: 'Deployment/api api-7d9f8c6b5-x2x9k',
    reason: 'CrashLoopBackOff',
    message: 'exit 2: missing FOO',
  },
];

const job: DevEvent[] = [
  ...cycleTo(MIGRATE, 1, 'building'),
  { type: 'workloads', workloads: [{ name: 'Job/migrate', images: [MIGRATE] }] },
  { type: 'image-state', image: MIGRATE, state: 'rolling out' },
  { type: 'workload', name: 'Job/migrate', ready: true, summary: 'exited 0' },
];

function paused(store: SessionStore): void {
  store.setPaused(true);
  store.dispatch({ type: 'pending', images: [API], files: ['/src/shop/internal/queue/queue.go'] });
}

describe('resource rows', () => {
  it.each<[string, string, (s: SessionStore) => void, (string | RegExp)[]]>([
    ['starting: not built yet', API, () => {}, ['api', '· starting']],
    [
      'queued: spinner and what changed',
      API,
      (s) => play(s, cycleTo(API, 1, 'queued')),
      [SPINNER, 'queued', CHANGED],
    ],
    ['building: spinner', API, (s) => play(s, cycleTo(API, 1, 'building')), [SPINNER, 'building']],
    ['pushing: spinner', API, (s) => play(s, cycleTo(API, 1, 'pushing')), [SPINNER, 'pushing']],
    ['applying: spinner', API, (s) => play(s, cycleTo(API, 1, 'applying')), [SPINNER, 'applying']],
    ['rolling out: spinner', API, (s) => play(s, cycleTo(API, 1, 'rolling out')), [SPINNER, 'rolling out']],
    [
      'ready: readiness, short digest, phases and total',
      API,
      (s) => play(s, readyCycle(API, 'api', 1)),
      ['✓ ready', '2/2', 'sha256:3f1c9a…', 'compile 0.8s', '1.9s'],
    ],
    [
      'failed with a reason: restarts and the reason',
      API,
      (s) => play(s, [...readyCycle(API, 'api', 1), ...crash]),
      ['✗ failed', '1/2', 'restarts 4', 'CrashLoopBackOff: exit 2: missing FOO'],
    ],
    [
      'failed build: the compiler error',
      API,
      (s) =>
        play(s, [
          ...cycleTo(API, 1, 'building'),
          { type: 'image-state', image: API, state: 'failed', detail: 'main.go:3: unknown field Foo\nmore' },
        ]),
      ['✗ failed', 'main.go:3: unknown field Foo'],
    ],
    [
      'paused with pending changes',
      API,
      (s) => {
        play(s, readyCycle(API, 'api', 1));
        paused(s);
      },
      ['‖ pending', '1 change(s) waiting'],
    ],
    ['completed job', MIGRATE, (s) => play(s, job), ['✓ completed', 'exited 0']],
  ])('%s', async (_case, image, setup, expected) => {
    const store = sessionStore([image]);
    setup(store);
    const { lastFrame } = render(<App store={store} actions={recordActions()} color={false} />);
    const frame = await waitForFrame(lastFrame, (f) => rowLine(f) !== '');
    const row = rowLine(frame);
    for (const e of expected) expect(row).toMatch(e);
    expect(row).not.toMatch(/undefined|NaN/);
  });

  it('a paused session says so in the status line with the pending count', async () => {
    const store = play(sessionStore([API]), readyCycle(API, 'api', 1));
    paused(store);
    const { lastFrame } = render(<App store={store} actions={recordActions()} color={false} />);
    const status = stripAnsi(await waitForFrame(lastFrame, (f) => f !== '')).split('\n')[0];
    expect(status).toContain('‖ paused (1 pending)');
  });
});
