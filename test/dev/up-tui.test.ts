/**
 * `kodev up`'s terminal UI in a real terminal: tmux runs the compiled CLI on
 * a copy of the k8s-app fixture (local runtime), the test types keys and
 * reads the screen a person would see.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, copyFixture, kodevEnv, removeAll, tempDir } from '../helpers/kodev.js';
import { TmuxTerminal } from '../helpers/tmux.js';

let cache: string;
const terminals: TmuxTerminal[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  cache = await tempDir('kodev-tui-cache-');
});

afterAll(async () => {
  await Promise.all(terminals.map((t) => t.kill()));
  await removeAll(cache, ...dirs);
});

async function startUp(
  args: string[],
  size: { width: number; height: number },
  env: Record<string, string> = {},
): Promise<{ t: TmuxTerminal; dir: string }> {
  // Each test edits its own copy of the fixture.
  const dir = await copyFixture('k8s-app');
  dirs.push(dir);
  const t = await TmuxTerminal.start({
    argv: [process.execPath, CLI, 'up', '--runtime', 'local', ...args],
    cwd: dir,
    env: kodevEnv({ KOCACHE: cache, TERM: 'xterm-256color', ...env }),
    ...size,
    scriptDir: cache,
  });
  terminals.push(t);
  return { t, dir };
}

/** The log pane's lines (between its top border and the bottom border). */
function logLines(screen: string): string[] {
  const rows = screen.split('\n');
  const top = rows.findIndex((r) => r.includes('logs'));
  return rows
    .slice(top + 1)
    .filter((r) => r.startsWith('│'))
    .map((r) => r.slice(1, -1).trim())
    .filter(Boolean);
}

async function edit(dir: string, file: string, from: string, to: string): Promise<void> {
  const path = join(dir, file);
  const text = await readFile(path, 'utf8');
  if (!text.includes(from)) throw new Error(`${file} does not contain ${from}`);
  await writeFile(path, text.replace(from, to));
}

/** Processes whose command line runs one of this test's dev binaries. */
async function devProcesses(): Promise<string> {
  const r = await execa('pgrep', ['-af', join(cache, 'dev')], { reject: false });
  return r.stdout
    .split('\n')
    .filter((l) => l && !l.includes('pgrep'))
    .join('\n');
}

describe('kodev up in a terminal', () => {
  it('shows the loop, and reacts to an edit, r, p, / and q as a person sees it', async () => {
    const { t, dir } = await startUp(['./cmd/ticker', './cmd/migrate', '-j', '1'], {
      width: 110,
      height: 32,
    });
    let screen = await t.waitFor(
      (s) =>
        /▸ ticker\s+✓ ready/.test(s) &&
        /migrate\s+✓ completed\s+exited 0/.test(s) &&
        s.includes('kodev-k8s ticker says hello') &&
        s.includes('watching'),
      'both images running',
    );
    expect(screen).toMatch(/^ kodev up .*local processes on this machine/);
    expect(screen).toContain('● auto');

    // An edit to ticker's main package rebuilds ticker only.
    await edit(dir, 'cmd/ticker/main.go', 'tick %d', 'tock %d');
    screen = await t.waitFor((s) => s.includes('tock 1'), 'the rebuilt ticker printing');
    expect(screen).toMatch(/cycle 2: rebuilding ticker \(main\.go changed\)/);
    expect(screen).not.toMatch(/cycle 2: rebuilding.*migrate/);
    await t.keys(['Enter']);
    screen = await t.waitFor((s) => s.includes('━ details'), 'the details of ticker');
    expect(screen).toMatch(/main\.go changed -> example\.com\/kodev-k8s\/cmd\/ticker -> ticker/);
    expect(screen).toMatch(/#2 ✓ .*compile/);
    await t.keys(['Escape']);
    await t.waitFor((s) => s.includes('─ logs'), 'the main screen again');

    // r rebuilds the selected row although nothing changed.
    await t.keys(['r'], true);
    screen = await t.waitFor((s) => /cycle 3 done/.test(s), 'the manual rebuild');
    expect(screen).toMatch(/cycle 3: rebuilding ticker\b/);
    expect(screen).toMatch(/cycle #3/);

    // p pauses: a save queues and shows as pending until p again.
    await t.keys(['p'], true);
    await t.waitFor((s) => s.includes('‖ paused'), 'the paused status');
    await edit(dir, 'internal/banner/banner.go', 'says hello', 'says hi');
    screen = await t.waitFor((s) => /‖ paused \(1 pending\)/.test(s), 'the pending change');
    expect(screen).toMatch(/ticker\s+‖ pending\s.*1 change\(s\) waiting/);
    expect(screen).not.toContain('cycle 4');
    await t.keys(['p'], true);
    screen = await t.waitFor((s) => s.includes('kodev-k8s ticker says hi'), 'the resumed rebuild');
    expect(screen).toMatch(/cycle 4: rebuilding (ticker, migrate|migrate, ticker)/);
    expect(screen).toContain('● auto');

    // / filters the log pane.
    await t.keys(['/'], true);
    await t.keys(['says'], true);
    await t.keys(['Enter']);
    screen = await t.waitFor((s) => s.includes('filter: says'), 'the filtered log pane');
    const lines = logLines(screen);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toContain('says');

    // q stops the loop and its processes, leaves the alternate screen and exits 0.
    await t.keys(['q'], true);
    screen = await t.waitFor((s) => s.includes('[exited '), 'kodev to exit');
    expect(screen).toContain('[exited 0]');
    expect(screen).toMatch(/kodev up: stopped after 4 cycle\(s\)/);
    expect(screen).not.toContain('─ logs');
    expect(await devProcesses()).toBe('');
  });

  it('fits 80x24 without colour under NO_COLOR, and reflows when the terminal grows', async () => {
    const { t } = await startUp(['./cmd/ticker'], { width: 80, height: 24 }, { NO_COLOR: '1' });
    let screen = await t.waitFor((s) => /ticker\s+✓ ready/.test(s) && s.includes('tick 1'), 'ticker ticking');
    const rows = screen.split('\n');
    expect(rows.length).toBeLessThanOrEqual(24);
    for (const r of rows) expect([...r].length).toBeLessThanOrEqual(80);
    expect(rows.filter((r) => r.trim()).at(-1)).toMatch(/q quit/);
    // SGR colour parameters (30-37, 90-97, 38;...) never appear; bold/inverse may.
    // eslint-disable-next-line no-control-regex
    expect(await t.screenWithEscapes()).not.toMatch(/\u001b\[(?:[0-9;]*;)?(3[0-8]|9[0-7])(?:;[0-9;]*)?m/);
    await t.resize(120, 30);
    screen = await t.waitFor((s) => s.split('\n').some((r) => [...r].length > 100), 'the wider layout');
    expect(screen.split('\n').find((r) => r.startsWith('┌'))?.length).toBe(120);
    await t.keys(['C-c']);
    screen = await t.waitFor((s) => s.includes('[exited '), 'kodev to exit on Ctrl-C');
    expect(screen).toContain('[exited 0]');
  });

  it('prints plain lines instead of the UI when CI is set', async () => {
    const { t } = await startUp(['./cmd/ticker'], { width: 100, height: 30 }, { CI: 'true' });
    const screen = await t.waitFor((s) => s.includes('[ticker/local] tick 1'), 'plain log lines');
    expect(screen).toContain('kodev up: 1 image(s), local runtime');
    expect(screen).not.toContain('─ logs');
  });
});
