import { afterEach, describe, expect, it, vi } from 'vitest';

// Chalk decides its colour level when first imported; force colour so that
// color=true really emits colour codes and color=false is a real test.
vi.hoisted(() => {
  process.env.FORCE_COLOR = '1';
});

import { cellWidth } from '../../components/format.js';
import type { SessionStore } from '../../src/dev/session-store.js';
import { API, cycleTo, DIGEST, play, podLog, readyCycle, sessionStore } from './fixtures.js';
import {
  cleanupTui,
  KEYS,
  lines,
  renderApp,
  settle,
  stripAnsi,
  waitForFrame,
  waitForText,
} from './helpers.js';

afterEach(cleanupTui);

const COLOUR = /\x1b\[(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9]+)*m/; // eslint-disable-line no-control-regex

/** A busy screen: a dozen resources with long names and details, failures and long log lines. */
function crowded(): SessionStore {
  const images = Array.from({ length: 12 }, (_, i) => `example.com/shop/cmd/service-number-${i}`);
  const store = sessionStore([API, ...images]);
  play(store, readyCycle(API, 'api', 1));
  images.forEach((image, i) => {
    play(store, cycleTo(image, 2 + i, i % 3 === 0 ? 'building' : 'pushing'));
    store.dispatch({ type: 'published', image, reference: `registry.local/x@${DIGEST}` });
    if (i % 4 === 1)
      store.dispatch({ type: 'image-state', image, state: 'failed', detail: `error ${'x'.repeat(200)}` });
  });
  store.dispatch({ type: 'error', message: `registry unreachable ${'y'.repeat(100)}`, retrying: true });
  for (let i = 0; i < 50; i++) store.dispatch(podLog('api', `${i} ${'long line '.repeat(30)}`));
  return store;
}

function expectFits(frame: string, columns: number, rows: number): void {
  const all = lines(frame);
  expect(all.length).toBeLessThanOrEqual(rows);
  for (const l of all) expect(cellWidth(l), l).toBeLessThanOrEqual(columns);
}

describe('fitting the terminal', () => {
  it.each<[string, string[], string]>([
    ['main view', [], 'q quit'],
    ['details', [KEYS.enter], 'details  api'],
    ['help', ['?'], 'press any key to close'],
    ['filter prompt', ['/'], 'esc cancel'],
    ['logs focused and scrolled back', [KEYS.tab, 'k'], 'scrolled back'],
    ['quitting', [KEYS.ctrlC], 'Ctrl-C again to force'],
  ])('80x24, %s: no line wider than 80 and at most 24 lines', async (_case, keys, marker) => {
    const r = renderApp(crowded(), { columns: 80, rows: 24, color: true });
    await waitForText(r, 'long line');
    for (const k of keys) r.stdin.write(k);
    expectFits(await waitForText(r, marker), 80, 24);
  });

  it('a resize re-lays the screen out for the new size', async () => {
    const r = renderApp(crowded(), { columns: 100, rows: 30 });
    await waitForText(r, 'long line');
    r.stdout.resize(60, 16);
    const frame = await waitForFrame(r.lastFrame, (f) => lines(f).length <= 16);
    expectFits(frame, 60, 16);
    expect(stripAnsi(frame)).toContain('kodev up');
  });

  it('with more resources than fit, the selection stays visible', async () => {
    const r = renderApp(crowded(), { columns: 80, rows: 24 });
    await waitForText(r, 'long line');
    r.stdin.write('G');
    const frame = await waitForText(r, 'resources 13/13');
    expect(frame).toMatch(/▸ service-number-11 /);
  });
});

describe('colour', () => {
  it('color=false emits no colour codes in any view', async () => {
    const r = renderApp(crowded(), { columns: 100, rows: 30, color: false });
    await waitForText(r, 'long line');
    const frames = [r.lastFrame()];
    for (const [key, marker] of [
      [KEYS.enter, 'details  api'],
      [KEYS.escape, 'q quit'],
      ['?', 'press any key'],
      ['x', 'q quit'],
      ['/', 'esc cancel'],
    ] as const) {
      r.stdin.write(key);
      await waitForText(r, marker);
      await settle();
      frames.push(r.lastFrame());
    }
    for (const f of frames) expect(f).not.toMatch(COLOUR);
    expect(frames[0]).toContain('▸');
  });

  it('color=true does colour (so the test above means something)', async () => {
    const r = renderApp(crowded(), { columns: 100, rows: 30, color: true });
    await waitForText(r, 'long line');
    expect(r.lastFrame()).toMatch(COLOUR);
  });

  it('log lines: errors red, warnings yellow, kodev events magenta, pod prefixes in a stable colour', async () => {
    const store = play(sessionStore([API]), readyCycle(API, 'api', 1));
    play(store, [podLog('api', 'error: boom'), podLog('api', 'warning: meh'), podLog('api', 'fine')]);
    const r = renderApp(store, { columns: 100, rows: 30, color: true });
    const frame = await waitForFrame(r.lastFrame, (f) => stripAnsi(f).includes('fine'));
    const line = (text: string) => frame.split('\n').find((l) => stripAnsi(l).includes(text)) ?? '';
    expect(line('error: boom')).toContain('\x1b[31merror: boom');
    expect(line('warning: meh')).toContain('\x1b[33mwarning: meh');
    expect(line('cycle 1 done')).toContain('\x1b[35m');
    const prefixColour = (l: string) => /(\x1b\[[0-9;]+m)api-7d9f/.exec(l)?.[1]; // eslint-disable-line no-control-regex
    expect(prefixColour(line('fine'))).toBeDefined();
    expect(prefixColour(line('fine'))).toBe(prefixColour(line('error: boom')));
  });
});
