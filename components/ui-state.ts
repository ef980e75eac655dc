/**
 * The UI-only state of `kodev up` (focus, selection, view, log filter and
 * scroll) and how commands change it. Pure: what must happen outside the UI
 * (rebuild, pause, quit) comes back as an effect for the App to run.
 */
import type { ResourceView } from '../src/dev/session-store.js';
import type { UiCommand, UiMode } from './keys.js';
import { parseFilter } from '../src/dev/log-filter.js';
import type { LevelFilter } from './log-window.js';

/** The pane that arrows move in. */
export type Pane = 'resources' | 'logs';

/** What fills the screen between the status bar and the key hints. */
export type View = 'main' | 'detail' | 'help';

/** Whose logs the log pane shows. */
export type LogScope = 'all' | 'selected';

/** State that lives only in the UI. */
export interface UiState {
  pane: Pane;
  /** Index into the store's resources. */
  selected: number;
  view: View;
  /** The view to go back to when help closes. */
  underHelp: 'main' | 'detail';
  /** The applied filter text. */
  filter: string;
  /** The text being typed while the filter prompt is open; undefined when closed. */
  prompt?: string;
  scope: LogScope;
  level: LevelFilter;
  /** `seq` of the bottom visible log line when scrolled back; undefined follows the tail. */
  anchor?: number;
  /** `logs.total` when scrolling back began, to count lines that arrived since. */
  scrolledAt: number;
  /** Quit was asked for; one more Ctrl-C forces it. */
  quitting: boolean;
}

/** Work the App does for a command. */
export type UiEffect =
  | { type: 'rebuild'; keys: string[] }
  | { type: 'rebuildAll' }
  | { type: 'setPaused'; paused: boolean }
  | { type: 'clearLogs' }
  | { type: 'quit' }
  | { type: 'forceQuit' };

/** What a command needs to know about the session and the screen. */
export interface UiContext {
  rows: readonly Pick<ResourceView, 'key' | 'image'>[];
  paused: boolean;
  stopping: boolean;
  /** Log lines visible at once. */
  logPage: number;
  logTotal: number;
  /** Moves the log anchor by matching lines (see `scrollAnchor`). */
  scroll(anchor: number | undefined, delta: number): number | undefined;
}

/** The state a session starts with. */
export const INITIAL_UI: UiState = {
  pane: 'resources',
  selected: 0,
  view: 'main',
  underHelp: 'main',
  filter: '',
  scope: 'all',
  level: 'all',
  scrolledAt: 0,
  quitting: false,
};

/** The key parser's mode for a state. */
export function modeOf(ui: UiState): UiMode {
  if (ui.prompt !== undefined) return 'filter';
  if (ui.view === 'help') return 'help';
  return ui.view === 'detail' ? 'detail' : 'normal';
}

/** The filter the log pane uses: what is being typed, when it parses, else the applied one. */
export function activeFilter(ui: UiState): string {
  if (ui.prompt !== undefined && !parseFilter(ui.prompt).error) return ui.prompt;
  return ui.filter;
}

const LEVELS: readonly LevelFilter[] = ['all', 'warn', 'error'];
const follow = { anchor: undefined };

/** Applies a command; returns the next state and the effect to run, if any. */
export function update(ui: UiState, cmd: UiCommand, ctx: UiContext): { ui: UiState; effect?: UiEffect } {
  const last = Math.max(0, ctx.rows.length - 1);
  const select = (i: number): UiState => {
    const selected = Math.min(last, Math.max(0, i));
    // Scoped logs belong to the selection, so a new selection starts at their tail.
    return selected !== ui.selected && ui.scope === 'selected'
      ? { ...ui, selected, ...follow }
      : { ...ui, selected };
  };
  const scroll = (delta: number): UiState => {
    const anchor = ctx.scroll(ui.anchor, delta);
    const scrolledAt = ui.anchor === undefined ? ctx.logTotal : ui.scrolledAt;
    return { ...ui, anchor, scrolledAt };
  };
  const onLogs = ui.view === 'main' && ui.pane === 'logs';
  switch (cmd) {
    case 'interrupt':
      if (ui.quitting || ctx.stopping) return { ui, effect: { type: 'forceQuit' } };
      return { ui: { ...ui, quitting: true }, effect: { type: 'quit' } };
    case 'quit':
      if (ui.quitting || ctx.stopping) return { ui };
      return { ui: { ...ui, quitting: true }, effect: { type: 'quit' } };
    case 'up':
      return { ui: onLogs ? scroll(-1) : select(ui.selected - 1) };
    case 'down':
      return { ui: onLogs ? scroll(1) : select(ui.selected + 1) };
    case 'pageUp':
      return { ui: scroll(-Math.max(1, ctx.logPage - 1)) };
    case 'pageDown':
      return { ui: scroll(Math.max(1, ctx.logPage - 1)) };
    case 'top':
      return { ui: onLogs ? scroll(-Infinity) : select(0) };
    case 'bottom':
      return { ui: onLogs ? { ...ui, ...follow } : select(last) };
    case 'switchPane':
      return { ui: { ...ui, pane: ui.pane === 'resources' ? 'logs' : 'resources' } };
    case 'details':
      return { ui: ctx.rows.length ? { ...ui, view: 'detail' } : ui };
    case 'back':
      if (ui.prompt !== undefined) return { ui: { ...ui, prompt: undefined, ...follow } };
      if (ui.view === 'help') return { ui: { ...ui, view: ui.underHelp } };
      if (ui.view === 'detail') return { ui: { ...ui, view: 'main' } };
      if (ui.anchor !== undefined) return { ui: { ...ui, ...follow } };
      return { ui: { ...ui, filter: '' } };
    case 'apply': {
      const text = (ui.prompt ?? '').trim();
      if (parseFilter(text).error) return { ui };
      return { ui: { ...ui, filter: text, prompt: undefined, ...follow } };
    }
    case 'rebuild': {
      const row = ctx.rows[Math.min(ui.selected, last)];
      return row?.image ? { ui, effect: { type: 'rebuild', keys: [row.key] } } : { ui };
    }
    case 'rebuildAll':
      return { ui, effect: { type: 'rebuildAll' } };
    case 'togglePause':
      return { ui, effect: { type: 'setPaused', paused: !ctx.paused } };
    case 'startFilter':
      return { ui: { ...ui, prompt: ui.filter } };
    case 'toggleLogScope':
      return { ui: { ...ui, scope: ui.scope === 'all' ? 'selected' : 'all', ...follow } };
    case 'clearLogs':
      return { ui: { ...ui, ...follow }, effect: { type: 'clearLogs' } };
    case 'help':
      return { ui: { ...ui, view: 'help', underHelp: ui.view === 'detail' ? 'detail' : 'main' } };
    case 'cycleLevel': {
      const level = LEVELS[(LEVELS.indexOf(ui.level) + 1) % LEVELS.length] ?? 'all';
      return { ui: { ...ui, level, ...follow } };
    }
  }
}
