/**
 * Starts and stops `kodev up`'s terminal UI: the Ink app over the session
 * store, on the terminal's alternate screen so the shell's scrollback is left
 * as it was. Ink and React load only here, so other commands never pay for
 * them.
 */
import type { Env } from '../system/env.js';
import { preferProductionReact, type Terminal } from '../system/terminal.js';
import type { SessionStore } from '../dev/session-store.js';
import type { UiActions } from '../../components/App.js';

const ENTER_ALT_SCREEN = '\u001B[?1049h\u001B[H';
const LEAVE_ALT_SCREEN = '\u001B[?1049l';

/** The running UI. */
export interface RunningUi {
  /** Unmounts the app and restores the screen. */
  close(): Promise<void>;
}

/** Whether `kodev up` should draw its UI: a terminal, no CI, not asked for plain or JSON output. */
export function wantsUi(
  terminal: Terminal | undefined,
  env: Env,
  flags: { once: boolean; json: boolean; tui?: boolean },
): terminal is Terminal {
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';
  return Boolean(terminal) && !ci && !flags.once && !flags.json && flags.tui !== false && env.TERM !== 'dumb';
}

/** Colour unless NO_COLOR is set (any non-empty value, https://no-color.org). */
export function wantsColor(env: Env): boolean {
  return !env.NO_COLOR;
}

/** Renders the app; `forceQuit` restores the screen before leaving. */
export async function startUi(
  store: SessionStore,
  actions: Omit<UiActions, 'forceQuit'>,
  terminal: Terminal,
  color: boolean,
): Promise<RunningUi> {
  preferProductionReact();
  const [{ render }, { createElement }, { App }] = await Promise.all([
    import('ink'),
    import('react'),
    import('../../components/App.js'),
  ]);
  let left = false;
  const leave = () => {
    if (left) return;
    left = true;
    terminal.stdout.write(LEAVE_ALT_SCREEN);
  };
  terminal.stdout.write(ENTER_ALT_SCREEN);
  const instance = render(
    createElement(App, {
      store,
      color,
      actions: {
        ...actions,
        forceQuit: () => {
          instance.unmount();
          leave();
          terminal.forceExit(130);
        },
      },
    }),
    {
      stdin: terminal.stdin,
      stdout: terminal.stdout,
      exitOnCtrlC: false,
      patchConsole: false,
      maxFps: 20,
    },
  );
  return {
    async close() {
      instance.unmount();
      await instance.waitUntilExit().catch(() => undefined);
      leave();
    },
  };
}
