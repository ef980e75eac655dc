import { afterEach, describe, expect, it } from 'vitest';
import { KEY_HELP } from '../../components/keys.js';
import type { DevEvent } from '../../src/dev/events.js';
import { API, MIGRATE, play, podLog, readyCycle, sessionStore, WORKER } from './fixtures.js';
import { cleanupTui, eventually, KEYS, lines, renderApp, stripAnsi, waitForText } from './helpers.js';

afterEach(cleanupTui);

/** Three rows: api (ready, with history), worker and migrate (starting). */
function threeRows() {
  const store = sessionStore([API, WORKER, MIGRATE]);
  play(store, readyCycle(API, 'api', 1));
  play(store, readyCycle(API, 'api', 2));
  store.dispatch(podLog('api', 'listening on :8080'));
  return store;
}

/** The name on the selected row. */
function selectedName(frame: string): string | undefined {
  return /▸ (\S+)/.exec(lines(frame).find((l) => l.includes('▸')) ?? '')?.[1];
}

describe('selection', () => {
  it.each<[string, string[], string]>([
    ['starts on the first row', [], 'api'],
    ['j moves down', ['j'], 'worker'],
    ['down arrow moves down', [KEYS.down], 'worker'],
    ['down twice reaches the last row', ['j', KEYS.down], 'migrate'],
    ['down stops at the last row', ['j', 'j', 'j', 'j'], 'migrate'],
    ['k moves back up', ['j', 'j', 'k'], 'worker'],
    ['up arrow moves back up', ['j', KEYS.up], 'api'],
    ['up stops at the first row', [KEYS.up, 'k'], 'api'],
    ['G jumps to the last row', ['G'], 'migrate'],
    ['End jumps to the last row', [KEYS.end], 'migrate'],
    ['g jumps to the first row', ['G', 'g'], 'api'],
  ])('%s', async (_case, keys, expected) => {
    const r = renderApp(threeRows());
    await waitForText(r, 'listening');
    for (const k of keys) r.stdin.write(k);
    await eventually(() => expect(selectedName(r.lastFrame())).toBe(expected));
  });
});

describe('panes and views', () => {
  it('Tab moves the focus (heavy frame) to the logs and arrows then scroll instead of selecting', async () => {
    const r = renderApp(threeRows());
    let frame = await waitForText(r, '┏━ resources');
    expect(frame).toContain('┌─ logs');
    r.stdin.write(KEYS.tab);
    frame = await waitForText(r, '┏━ logs');
    expect(frame).toContain('┌─ resources');
    expect(frame).toMatch(/▸ api +✓ ready/);
    expect(frame).toMatch(/worker +· starting/);
    expect(frame).toContain('cycle 1: rebuilding');
    r.stdin.write('j');
    r.stdin.write(KEYS.tab);
    frame = await waitForText(r, '┏━ resources');
    expect(selectedName(frame)).toBe('api');
  });

  it('Enter opens the details (why, timing bars, pods, objects) and Esc returns', async () => {
    const r = renderApp(threeRows());
    await waitForText(r, 'listening');
    r.stdin.write(KEYS.enter);
    const frame = await waitForText(r, 'details  api');
    expect(frame).toContain('last rebuild: queue.go changed -> example.com/shop/internal/queue -> api');
    expect(frame).toMatch(/#2 ✓ +1\.9s [▏▎▍▌▋▊▉█]+ compile 0\.8 /);
    expect(frame).toMatch(/#1 ✓ +1\.9s /);
    expect(frame).toMatch(/pods +api-7d9f8c6b5-x2x9k\/api +running/);
    expect(frame).toMatch(/objects +Deployment\/api serverside-applied/);
    r.stdin.write(KEYS.escape);
    await waitForText(r, '┏━ resources');
  });

  it('details show the problem with its lines and the pending files', async () => {
    const store = play(sessionStore([API]), readyCycle(API, 'api', 1));
    const problem: DevEvent = {
      type: 'problem',
      resource: 'Deployment/api api-7d9f8c6b5-x2x9k',
      reason: 'CrashLoopBackOff',
      message: 'back-off restarting',
      lines: ['panic: missing FOO', 'goroutine 1 [running]'],
    };
    play(store, [problem]);
    store.setPaused(true);
    store.dispatch({ type: 'pending', images: [API], files: ['/src/shop/cmd/api/main.go'] });
    const r = renderApp(store);
    await waitForText(r, 'resources');
    r.stdin.write(KEYS.enter);
    const frame = await waitForText(r, 'details  api');
    expect(frame).toMatch(/problem +CrashLoopBackOff: back-off restarting/);
    expect(frame).toContain('panic: missing FOO');
    expect(frame).toContain('goroutine 1 [running]');
    expect(frame).toMatch(/pending +main\.go/);
    expect(frame).toMatch(/api-7d9f8c6b5-x2x9k +CrashLoopBackOff/);
  });

  it('? shows every key with its description and any key closes it', async () => {
    const r = renderApp(threeRows(), { rows: 40 });
    await waitForText(r, 'listening');
    r.stdin.write('?');
    const frame = await waitForText(r, 'press any key to close');
    for (const h of KEY_HELP) {
      expect(frame).toContain(h.keys);
      expect(frame).toContain(h.description);
    }
    r.stdin.write('x');
    await waitForText(r, '┏━ resources');
  });

  it('q in help closes help instead of quitting', async () => {
    const r = renderApp(threeRows());
    await waitForText(r, 'listening');
    r.stdin.write('?');
    await waitForText(r, 'press any key');
    r.stdin.write('q');
    await waitForText(r, '┏━ resources');
    expect(r.actions.calls).toEqual([]);
  });
});

describe('actions', () => {
  it.each<[string, string[], string[]]>([
    ['r rebuilds the selected image', ['r'], [`rebuild(${API})`]],
    ['r after moving rebuilds that image', ['j', 'r'], [`rebuild(${WORKER})`]],
    ['R rebuilds everything', ['R'], ['rebuildAll()']],
    ['r in the details rebuilds the shown image', [KEYS.enter, 'r'], [`rebuild(${API})`]],
    ['p pauses', ['p'], ['setPaused(true)']],
    ['q quits', ['q'], ['quit()']],
    ['q twice quits once', ['q', 'q'], ['quit()']],
    ['Ctrl-C quits, Ctrl-C again forces', [KEYS.ctrlC, KEYS.ctrlC], ['quit()', 'forceQuit()']],
    ['q then Ctrl-C forces', ['q', KEYS.ctrlC], ['quit()', 'forceQuit()']],
  ])('%s', async (_case, keys, expected) => {
    const r = renderApp(threeRows());
    await waitForText(r, 'listening');
    for (const k of keys) r.stdin.write(k);
    await eventually(() => expect(r.actions.calls).toEqual(expected));
  });

  it('r on a row without an image does nothing', async () => {
    const store = sessionStore([]);
    store.dispatch({ type: 'log', source: { resource: 'Deployment/redis', pod: 'redis-0' }, line: 'ready' });
    const r = renderApp(store);
    await waitForText(r, '▸ redis');
    r.stdin.write('r');
    r.stdin.write('R');
    await eventually(() => expect(r.actions.calls).toEqual(['rebuildAll()']));
  });

  it('p asks to pause; once the store records it the status shows paused and the pending files', async () => {
    const store = threeRows();
    const r = renderApp(store);
    await waitForText(r, '● auto');
    r.stdin.write('p');
    await eventually(() => expect(r.actions.calls).toEqual(['setPaused(true)']));
    store.setPaused(true);
    await waitForText(r, '‖ paused');
    expect(stripAnsi(r.lastFrame())).toContain('p resume');
    store.dispatch({ type: 'pending', images: [API], files: ['/src/shop/a.go', '/src/shop/b.go'] });
    const frame = await waitForText(r, '‖ paused (2 pending)');
    expect(frame).toMatch(/▸ api +‖ pending +2\/2/);
    r.stdin.write('p');
    await eventually(() => expect(r.actions.calls).toEqual(['setPaused(true)', 'setPaused(false)']));
  });

  it('after the first Ctrl-C the hints say how to force quitting', async () => {
    const r = renderApp(threeRows());
    await waitForText(r, 'listening');
    r.stdin.write(KEYS.ctrlC);
    await waitForText(r, 'Ctrl-C again to force');
  });
});
