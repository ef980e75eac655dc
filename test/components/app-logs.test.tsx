import { afterEach, describe, expect, it } from 'vitest';
import { mainLayout } from '../../components/layout.js';
import type { DevEvent } from '../../src/dev/events.js';
import type { SessionStore } from '../../src/dev/session-store.js';
import { API, play, podLog, readyCycle, sessionStore, WORKER } from './fixtures.js';
import { cleanupTui, KEYS, lines, renderApp, waitForFrame, waitForText } from './helpers.js';

afterEach(cleanupTui);

/** api and worker, ready, with a few lines of each level. */
function twoServices(): SessionStore {
  const store = sessionStore([API, WORKER]);
  play(store, readyCycle(API, 'api', 1));
  play(store, readyCycle(WORKER, 'worker', 2));
  play(store, [
    podLog('api', 'GET /healthz 200'),
    podLog('worker', 'draining orders-v2'),
    podLog('api', 'error: db timeout'),
    podLog('worker', 'warn: slow consumer'),
  ]);
  return store;
}

/** The content lines of the log pane, frame removed. */
function logLines(frame: string): string[] {
  const all = lines(frame);
  const top = all.findIndex((l) => /^[┌┏][─━] logs/.test(l));
  const out: string[] = [];
  for (const l of all.slice(top + 1)) {
    if (!/^[│┃]/.test(l)) break;
    out.push(l.slice(2, -2).trimEnd());
  }
  return out.filter(Boolean);
}

/** Log lines without kodev's own lines and build output. */
function podLines(frame: string): string[] {
  return logLines(frame).filter((l) => !/^(kodev|build) /.test(l));
}

/** Types into the filter prompt: `/`, the text, then `finish` (Enter or Esc). */
async function filter(r: ReturnType<typeof renderApp>, text: string, finish?: string) {
  await waitForText(r, 'q quit');
  r.stdin.write('/');
  await waitForText(r, 'esc cancel');
  r.stdin.write(text);
  await waitForText(r, ` / ${text}`);
  if (finish) r.stdin.write(finish);
}

describe('log filter', () => {
  it.each<[string, string, string, string[]]>([
    ['plain text keeps matching lines', 'draining', 'filter: draining', ['draining orders-v2']],
    [
      'a /regex/ keeps lines it matches',
      '/timeout|slow/',
      'filter: /timeout|slow/',
      ['error: db timeout', 'warn: slow consumer'],
    ],
    ['level:error keeps errors', 'level:error', 'filter: level:error', ['error: db timeout']],
    [
      'res:worker keeps one resource',
      'res:work',
      'filter: res:work',
      ['draining orders-v2', 'warn: slow consumer'],
    ],
  ])('%s', async (_case, text, title, expected) => {
    const r = renderApp(twoServices());
    await filter(r, text, KEYS.enter);
    const frame = await waitForText(r, title);
    await waitForText(r, 'q quit');
    expect(podLines(frame).map((l) => l.replace(/^\S+ +/, ''))).toEqual(expected);
  });

  it('keys typed in one read, / included, all reach the prompt (a fast typist or a paste)', async () => {
    const r = renderApp(twoServices());
    await waitForText(r, 'q quit');
    r.stdin.write('/draining');
    await waitForText(r, ' / draining');
    r.stdin.write('x');
    r.stdin.write(KEYS.backspace);
    r.stdin.write(KEYS.enter);
    const frame = await waitForText(r, 'filter: draining');
    expect(podLines(frame).map((l) => l.replace(/^\S+ +/, ''))).toEqual(['draining orders-v2']);
  });

  it('/, the text and Enter in one read apply the filter and close the prompt', async () => {
    const r = renderApp(twoServices());
    await waitForText(r, 'q quit');
    r.stdin.write('/draining\r');
    const frame = await waitForFrame(
      r.lastFrame,
      (f) => f.includes('filter: draining') && f.includes('q quit'),
    );
    expect(podLines(frame).map((l) => l.replace(/^\S+ +/, ''))).toEqual(['draining orders-v2']);
  });

  it('Esc cancels the prompt and keeps the previous filter', async () => {
    const r = renderApp(twoServices());
    await filter(r, 'draining', KEYS.escape);
    const frame = await waitForText(r, 'q quit');
    expect(frame).not.toContain('filter:');
    expect(logLines(frame).join('\n')).toContain('GET /healthz 200');
  });

  it('a bad regex shows the error and Enter does not apply it', async () => {
    const r = renderApp(twoServices());
    await filter(r, '/(/');
    await waitForText(r, 'bad regular expression');
    r.stdin.write(KEYS.enter);
    const frame = await waitForText(r, 'bad regular expression');
    expect(frame).not.toContain('filter: /(/');
    expect(logLines(frame).join('\n')).toContain('GET /healthz 200');
  });

  it.each<[string, number, string, string[]]>([
    ['w once: warnings and errors', 1, 'level ≥ warn', ['error: db timeout', 'warn: slow consumer']],
    ['w twice: errors only', 2, 'level ≥ error', ['error: db timeout']],
    [
      'w three times: everything again',
      3,
      'logs  all ─',
      ['GET /healthz 200', 'draining orders-v2', 'error: db timeout', 'warn: slow consumer'],
    ],
  ])('%s', async (_case, presses, title, expected) => {
    const r = renderApp(twoServices());
    await waitForText(r, 'slow consumer');
    for (let i = 0; i < presses; i++) r.stdin.write('w');
    const frame = await waitForText(r, title);
    expect(podLines(frame).map((l) => l.replace(/^\S+ +/, ''))).toEqual(expected);
  });

  it('l shows only the selected resource and l again shows all', async () => {
    const r = renderApp(twoServices());
    await waitForText(r, 'slow consumer');
    r.stdin.write('j');
    await waitForText(r, '▸ worker');
    r.stdin.write('l');
    let frame = await waitForText(r, 'logs  selected: worker');
    const scoped = logLines(frame);
    expect(scoped.length).toBeGreaterThan(2);
    for (const l of scoped) expect(l).toMatch(/^(worker-|build worker)/);
    r.stdin.write('l');
    frame = await waitForText(r, 'logs  all');
    expect(logLines(frame).join('\n')).toContain('GET /healthz 200');
  });

  it('c clears the log pane', async () => {
    const store = twoServices();
    const r = renderApp(store);
    await waitForText(r, 'slow consumer');
    r.stdin.write('c');
    await waitForText(r, 'no log lines yet');
    expect(store.state.logs.size).toBe(0);
  });
});

describe('scrolling', () => {
  const deployment: DevEvent = { type: 'workloads', workloads: [{ name: 'Deployment/api', images: [API] }] };

  function manyLines(n: number): SessionStore {
    const store = sessionStore([API]);
    store.dispatch(deployment);
    for (let i = 0; i < n; i++) store.dispatch(podLog('api', `line ${i}`));
    return store;
  }

  it.each<[string, string]>([
    ['G returns to following', 'G'],
    ['End returns to following', KEYS.end],
    ['Esc returns to following', KEYS.escape],
  ])('scrolled back, new lines do not move the view; %s', async (_case, key) => {
    const store = manyLines(200);
    const r = renderApp(store, { columns: 80, rows: 24 });
    await waitForText(r, 'line 199');
    r.stdin.write(KEYS.tab);
    await waitForText(r, '┏━ logs');
    for (let i = 0; i < 3; i++) r.stdin.write('k');
    const before = logLines(await waitForText(r, 'scrolled back'));
    expect(before.at(-1)).toMatch(/line 196$/);
    for (let i = 200; i < 205; i++) store.dispatch(podLog('api', `line ${i}`));
    const frame = await waitForText(r, '▼ 5 new lines');
    expect(logLines(frame)).toEqual(before);
    r.stdin.write(key);
    const following = await waitForFrame(
      r.lastFrame,
      (f) => !f.includes('new lines') && f.includes('line 204'),
    );
    expect(logLines(following).at(-1)).toMatch(/line 204$/);
  });

  it('PageUp scrolls back a page whichever pane has the focus, PageDown comes back', async () => {
    const r = renderApp(manyLines(200), { columns: 80, rows: 24 });
    await waitForText(r, 'line 199');
    const page = mainLayout(24, 1).logs;
    r.stdin.write(KEYS.pageUp);
    const back = logLines(await waitForText(r, 'scrolled back'));
    expect(back.at(-1)).toMatch(new RegExp(`line ${199 - (page - 1)}$`));
    r.stdin.write(KEYS.pageDown);
    const frame = await waitForFrame(r.lastFrame, (f) => !f.includes('scrolled back'));
    expect(logLines(frame).at(-1)).toMatch(/line 199$/);
  });

  it('a flood of 20,000 lines renders only the pane and stays within the screen', async () => {
    const store = sessionStore([API]);
    store.dispatch(deployment);
    const r = renderApp(store, { columns: 80, rows: 24 });
    await waitForText(r, 'no log lines yet');
    for (let i = 0; i < 20_000; i++) store.dispatch(podLog('api', `flood ${i}`));
    const frame = await waitForText(r, 'flood 19999');
    expect(lines(frame).length).toBeLessThanOrEqual(24);
    const shown = logLines(frame);
    expect(shown).toHaveLength(mainLayout(24, 1).logs);
    expect(shown[0]).toMatch(new RegExp(`flood ${20_000 - shown.length}$`));
  });
});
