/**
 * A real terminal for UI tests: a private tmux server (its own socket, no
 * user config) running one command in a pane of a fixed size. Tests send keys
 * and read what a person would see with capture-pane.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

/** One tmux server with one session. */
export class TmuxTerminal {
  private constructor(
    private readonly socket: string,
    private readonly session: string,
  ) {}

  /**
   * Runs `argv` in `cwd` with exactly `env` in a new pane of `width` x `height`.
   * When the command ends, the pane prints `[exited N]` and stays open.
   */
  static async start(o: {
    argv: readonly string[];
    cwd: string;
    env: Record<string, string>;
    width: number;
    height: number;
    scriptDir: string;
  }): Promise<TmuxTerminal> {
    const socket = `kodev-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const script = join(o.scriptDir, `${socket}.sh`);
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    await writeFile(
      script,
      [
        '#!/bin/sh',
        `cd ${quote(o.cwd)}`,
        `exec env -i ${Object.entries(o.env)
          .map(([k, v]) => quote(`${k}=${v}`))
          .join(' ')} sh -c ${quote(`${o.argv.map(quote).join(' ')}; echo "[exited $?]"; sleep 600`)}`,
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    await execa('tmux', [
      '-L',
      socket,
      '-f',
      '/dev/null',
      'new-session',
      '-d',
      '-s',
      'ui',
      '-x',
      String(o.width),
      '-y',
      String(o.height),
      script,
    ]);
    return new TmuxTerminal(socket, 'ui');
  }

  /** The pane's visible text, one string per row (trailing spaces trimmed). */
  async screen(): Promise<string> {
    const { stdout } = await execa('tmux', ['-L', this.socket, 'capture-pane', '-p', '-t', this.session]);
    return stdout;
  }

  /** The pane's visible text with colour escapes (`capture-pane -e`). */
  async screenWithEscapes(): Promise<string> {
    const { stdout } = await execa('tmux', [
      '-L',
      this.socket,
      'capture-pane',
      '-p',
      '-e',
      '-t',
      this.session,
    ]);
    return stdout;
  }

  /** Types keys: tmux key names (`Enter`, `Escape`, `C-c`, `Tab`) or literal text with `literal`. */
  async keys(keys: readonly string[], literal = false): Promise<void> {
    await execa('tmux', [
      '-L',
      this.socket,
      'send-keys',
      '-t',
      this.session,
      ...(literal ? ['-l'] : []),
      ...keys,
    ]);
  }

  /** Polls the screen until `predicate` holds; throws with the last screen after `timeoutMs`. */
  async waitFor(predicate: (screen: string) => boolean, what: string, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      last = await this.screen();
      if (predicate(last)) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}; the screen was:\n${last}`);
  }

  /** Resizes the pane (the window) to `width` x `height`. */
  async resize(width: number, height: number): Promise<void> {
    await execa('tmux', [
      '-L',
      this.socket,
      'resize-window',
      '-t',
      this.session,
      '-x',
      String(width),
      '-y',
      String(height),
    ]);
  }

  /** Stops the tmux server and everything in it. */
  async kill(): Promise<void> {
    await execa('tmux', ['-L', this.socket, 'kill-server'], { reject: false });
  }
}
