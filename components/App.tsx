/**
 * The terminal UI of `kodev up`: a view over the session store. It holds
 * only UI state (focus, selection, view, log filter and scroll), turns keys
 * into commands and hands anything that is work to the caller's actions.
 */
import { Box, useInput } from 'ink';
import { useCallback, useRef, useState } from 'react';
import type { SessionStore } from '../src/dev/session-store.js';
import { DetailView } from './DetailView.js';
import { FilterPrompt } from './FilterPrompt.js';
import { HelpOverlay } from './HelpOverlay.js';
import type { KeyLike } from './keys.js';
import { parseKey } from './keys.js';
import { KeyHints } from './KeyHints.js';
import { mainLayout } from './layout.js';
import { LogPane } from './LogPane.js';
import type { LogMatcher } from './log-window.js';
import { filterOf, logMatcher, scrollAnchor } from './log-window.js';
import { ResourcesPane } from './ResourcesPane.js';
import { StatusBar } from './StatusBar.js';
import type { UiContext, UiEffect, UiState } from './ui-state.js';
import { activeFilter, INITIAL_UI, modeOf, update } from './ui-state.js';
import { useSession } from './use-session.js';
import { useTerminalSize } from './use-terminal-size.js';

/** What the UI asks of the dev loop; the caller wires these to the engine and the store. */
export interface UiActions {
  /** Rebuild these rows (image keys) now, paused or not. */
  rebuild(keys: string[]): void;
  rebuildAll(): void;
  /** Pause or resume rebuilding on save; the caller also records it with `store.setPaused`. */
  setPaused(paused: boolean): void;
  /** Stop the loop and clean up. */
  quit(): void;
  /** Stop now without cleaning up (second Ctrl-C). */
  forceQuit(): void;
}

/** Props of {@link App}. */
export interface AppProps {
  store: SessionStore;
  actions: UiActions;
  /** False for NO_COLOR or a terminal without colour: no colour is emitted at all. */
  color: boolean;
}

/**
 * The whole screen: status line, resources, logs (or details or help) and
 * key hints, sized to the terminal. Render it with Ink's `exitOnCtrlC: false`
 * so Ctrl-C reaches it.
 */
export function App({ store, actions, color }: AppProps) {
  const session = useSession(store);
  const { columns, rows } = useTerminalSize();
  const [ui, setUi] = useState<UiState>(INITIAL_UI);
  // Keys can arrive faster than React renders: commands read the latest state from here.
  const uiRef = useRef(ui);
  const layout = mainLayout(rows, session.resources.length);
  const selected = Math.min(ui.selected, Math.max(0, session.resources.length - 1));
  const row = session.resources[selected];
  const filterText = activeFilter(ui);

  const matcherFor = useCallback(
    (u: UiState): LogMatcher => {
      const scoped = store.state.resources[u.selected];
      return logMatcher({
        filter: filterOf(activeFilter(u)),
        level: u.level,
        ...(u.scope === 'selected' ? { resource: scoped?.key ?? '' } : {}),
      });
    },
    [store],
  );
  const match = matcherFor(ui);

  const logPage = useRef(layout.logs);
  logPage.current = layout.logs;

  const commit = useCallback((next: UiState) => {
    uiRef.current = next;
    setUi(next);
  }, []);

  const run = useCallback(
    (effect: UiEffect) => {
      switch (effect.type) {
        case 'rebuild':
          return actions.rebuild(effect.keys);
        case 'rebuildAll':
          return actions.rebuildAll();
        case 'setPaused':
          return actions.setPaused(effect.paused);
        case 'clearLogs':
          return store.clearLogs();
        case 'quit':
          return actions.quit();
        case 'forceQuit':
          return actions.forceQuit();
      }
    },
    [actions, store],
  );

  const onInput = useCallback(
    function onKey(input: string, key: KeyLike): void {
      // Several keys in one read (typed fast, or pasted, Enter included): one command each.
      if (input.length > 1 && !key.ctrl && !key.meta && PRINTABLE.test(input)) {
        for (const ch of input) onKey(ch, ch === '\r' ? { return: true } : {});
        return;
      }
      const current = uiRef.current;
      if (current.prompt !== undefined && !key.ctrl && !key.meta && !key.escape && !key.return) {
        // The filter prompt's text is edited here, so keys typed right after `/` are never lost.
        const prompt =
          key.backspace || key.delete ? current.prompt.slice(0, -1) : current.prompt + printable(input);
        if (prompt !== current.prompt) commit({ ...current, prompt, anchor: undefined });
        return;
      }
      const cmd = parseKey(input, key, modeOf(current));
      if (!cmd) return;
      const s = store.state;
      const m = matcherFor(current);
      const ctx: UiContext = {
        rows: s.resources,
        paused: s.paused,
        stopping: s.stopping,
        logPage: logPage.current,
        logTotal: s.logs.total,
        scroll: (anchor, delta) => scrollAnchor(s.logs, m, anchor, delta, logPage.current),
      };
      const { ui: next, effect } = update(current, cmd, ctx);
      if (next !== current) commit(next);
      if (effect) run(effect);
    },
    [store, matcherFor, commit, run],
  );
  useInput(onInput);

  const mode = modeOf(ui);
  const middle = (() => {
    if (ui.view === 'help') return <HelpOverlay width={columns} height={layout.middle - 2} color={color} />;
    if (ui.view === 'detail')
      return <DetailView row={row} width={columns} height={layout.middle - 2} color={color} />;
    return (
      <>
        <ResourcesPane
          resources={session.resources}
          selected={selected}
          focused={ui.pane === 'resources'}
          width={columns}
          height={layout.resources}
          color={color}
        />
        <LogPane
          logs={session.logs}
          match={match}
          {...(ui.anchor !== undefined ? { anchor: ui.anchor } : {})}
          newLines={ui.anchor === undefined ? 0 : Math.max(0, session.logs.total - ui.scrolledAt)}
          scope={ui.scope === 'all' ? 'all' : (row?.name ?? 'none')}
          level={ui.level}
          filter={filterText}
          focused={ui.pane === 'logs'}
          width={columns}
          height={layout.logs}
          color={color}
        />
      </>
    );
  })();

  return (
    <Box flexDirection="column" width={columns}>
      <StatusBar session={session} width={columns} color={color} />
      {middle}
      {ui.prompt !== undefined ? (
        <FilterPrompt value={ui.prompt} width={columns} color={color} />
      ) : (
        <KeyHints
          mode={mode}
          pane={ui.pane}
          paused={session.paused}
          quitting={ui.quitting || session.stopping}
          width={columns}
          color={color}
        />
      )}
    </Box>
  );
}

const PRINTABLE = /^[\x20-\x7e\r]+$/;

/** Text typed into the prompt, without control characters. */
function printable(input: string): string {
  // eslint-disable-next-line no-control-regex
  return input.replace(/[\x00-\x1f\x7f]/g, '');
}
