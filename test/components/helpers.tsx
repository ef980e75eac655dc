/**
 * A render helper of the same kind as ink-testing-library's, with a fake
 * terminal whose size the test chooses (ink-testing-library's is fixed at
 * 100 columns and has no rows), plus waiting for content instead of sleeping.
 */
import { EventEmitter } from 'node:events';
import { render } from 'ink';
import type { ReactElement } from 'react';
import { App, type UiActions } from '../../components/App.js';
import type { SessionStore } from '../../src/dev/session-store.js';

/** A fake TTY stdout: records frames and can be resized. */
export class FakeStdout extends EventEmitter {
  readonly isTTY = true;
  readonly frames: string[] = [];
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write = (frame: string): boolean => {
    this.frames.push(frame);
    return true;
  };
  /** Changes the size and tells listeners, as a terminal does. */
  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.emit('resize');
  }
}

/** A fake TTY stdin that Ink reads key presses from. */
export class FakeStdin extends EventEmitter {
  readonly isTTY = true;
  private data: string | null = null;
  /** Sends one key press (or pasted text). */
  write = (data: string): void => {
    this.data = data;
    this.emit('readable');
    this.emit('data', data);
  };
  read = (): string | null => {
    const { data } = this;
    this.data = null;
    return data;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

/** A rendered tree and its fake terminal. */
export interface Rendered {
  stdin: FakeStdin;
  stdout: FakeStdout;
  lastFrame(): string;
  unmount(): void;
}

const mounted: Rendered[] = [];

/** Renders `tree` into a fake terminal of the given size (default 100x30). */
export function renderTui(tree: ReactElement, size: { columns?: number; rows?: number } = {}): Rendered {
  const stdout = new FakeStdout(size.columns ?? 100, size.rows ?? 30);
  const stderr = new FakeStdout(size.columns ?? 100, size.rows ?? 30);
  const stdin = new FakeStdin();
  const instance = render(tree, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: stderr as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  const r: Rendered = {
    stdin,
    stdout,
    lastFrame: () => stdout.frames.at(-1) ?? '',
    unmount: () => {
      instance.unmount();
      instance.cleanup();
    },
  };
  mounted.push(r);
  return r;
}

/** Unmounts everything rendered so far (call in afterEach). */
export function cleanupTui(): void {
  for (const r of mounted.splice(0)) r.unmount();
}

/** Polls every 10 ms (up to 2 s) until the last frame satisfies `predicate`; returns that frame. */
export async function waitForFrame(
  lastFrame: () => string | undefined,
  predicate: (frame: string) => boolean,
  timeoutMs = 2000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frame = lastFrame() ?? '';
    if (predicate(frame)) return frame;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for the frame; last frame:\n${stripAnsi(frame)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits until the plain text of the last frame contains `text`. */
export function waitForText(r: Rendered, text: string | RegExp): Promise<string> {
  return waitForFrame(r.lastFrame, (f) =>
    typeof text === 'string' ? stripAnsi(f).includes(text) : text.test(stripAnsi(f)),
  ).then(stripAnsi);
}

/**
 * Lets React run the effects of the last render and Ink flush a lone Esc
 * (both use setImmediate), before the next key is sent.
 */
export async function settle(): Promise<void> {
  for (let i = 0; i < 2; i++) await new Promise((r) => setImmediate(r));
}

/** Removes SGR colour and style sequences. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}

/** Key sequences as a terminal sends them. */
export const KEYS = {
  up: '\u001B[A',
  down: '\u001B[B',
  pageUp: '\u001B[5~',
  pageDown: '\u001B[6~',
  home: '\u001B[H',
  end: '\u001B[F',
  enter: '\r',
  backspace: '\x7f',
  escape: '\u001B',
  tab: '\t',
  ctrlC: '\u0003',
} as const;

/** Recording fakes of the UI's actions. */
export interface ActionLog extends UiActions {
  calls: string[];
}

/** Actions that record their calls as `name(args)`. */
export function recordActions(): ActionLog {
  const calls: string[] = [];
  return {
    calls,
    rebuild: (keys) => void calls.push(`rebuild(${keys.join(',')})`),
    rebuildAll: () => void calls.push('rebuildAll()'),
    setPaused: (paused) => void calls.push(`setPaused(${paused})`),
    quit: () => void calls.push('quit()'),
    forceQuit: () => void calls.push('forceQuit()'),
  };
}

/** Renders the App over a store with recording actions. */
export function renderApp(
  store: SessionStore,
  opts: { columns?: number; rows?: number; color?: boolean; actions?: ActionLog } = {},
): Rendered & { actions: ActionLog } {
  const actions = opts.actions ?? recordActions();
  const r = renderTui(<App store={store} actions={actions} color={opts.color ?? false} />, opts);
  return { ...r, actions };
}

/** Lines of a frame without styles. */
export function lines(frame: string): string[] {
  return stripAnsi(frame).split('\n');
}

/** Waits until `fn` stops throwing (for action calls that follow a key press). */
export async function eventually(fn: () => void, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fn();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
