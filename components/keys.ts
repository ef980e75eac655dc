/**
 * The key map of `kodev up`, as a pure parser from a key press to a UI
 * command, so the bindings can be tested as a table without a terminal.
 */
import type { Key } from 'ink';

/** What the UI is doing, which decides what keys mean. */
export type UiMode = 'normal' | 'filter' | 'help' | 'detail';

/** Everything a key press can ask of the UI. */
export type UiCommand =
  | 'up'
  | 'down'
  | 'pageUp'
  | 'pageDown'
  | 'top'
  | 'bottom'
  | 'switchPane'
  | 'details'
  | 'back'
  | 'apply'
  | 'rebuild'
  | 'rebuildAll'
  | 'togglePause'
  | 'startFilter'
  | 'toggleLogScope'
  | 'clearLogs'
  | 'help'
  | 'quit'
  | 'interrupt'
  | 'cycleLevel';

/** The parts of Ink's `Key` the parser reads; missing flags count as false. */
export type KeyLike = Partial<
  Pick<
    Key,
    | 'upArrow'
    | 'downArrow'
    | 'backspace'
    | 'delete'
    | 'pageUp'
    | 'pageDown'
    | 'home'
    | 'end'
    | 'return'
    | 'escape'
    | 'ctrl'
    | 'tab'
    | 'shift'
    | 'meta'
  >
>;

const LETTERS: Readonly<Record<string, UiCommand>> = {
  k: 'up',
  j: 'down',
  g: 'top',
  G: 'bottom',
  r: 'rebuild',
  R: 'rebuildAll',
  p: 'togglePause',
  '/': 'startFilter',
  l: 'toggleLogScope',
  c: 'clearLogs',
  '?': 'help',
  q: 'quit',
  w: 'cycleLevel',
};

/** Commands that make sense while the details of one resource are shown. */
const IN_DETAIL: ReadonlySet<UiCommand> = new Set<UiCommand>([
  'up',
  'down',
  'top',
  'bottom',
  'back',
  'rebuild',
  'rebuildAll',
  'togglePause',
  'help',
  'quit',
  'interrupt',
]);

/**
 * Maps one key press to a command, or undefined when the key means nothing
 * in this mode. In help any key closes help; in the filter prompt only
 * Enter (apply), Esc and Ctrl-C matter, the text input takes the rest.
 */
export function parseKey(input: string, key: KeyLike, mode: UiMode): UiCommand | undefined {
  if (key.ctrl && input === 'c') return 'interrupt';
  if (mode === 'help') return 'back';
  if (mode === 'filter') {
    if (key.escape) return 'back';
    if (key.return) return 'apply';
    return undefined;
  }
  const cmd = named(input, key);
  if (mode === 'detail') {
    if (cmd === 'details') return 'back';
    return cmd && IN_DETAIL.has(cmd) ? cmd : undefined;
  }
  return cmd;
}

function named(input: string, key: KeyLike): UiCommand | undefined {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.pageUp) return 'pageUp';
  if (key.pageDown) return 'pageDown';
  if (key.home) return 'top';
  if (key.end) return 'bottom';
  if (key.tab) return 'switchPane';
  if (key.return) return 'details';
  if (key.escape) return 'back';
  if (key.ctrl) {
    if (input === 'u' || input === 'b') return 'pageUp';
    if (input === 'd' || input === 'f') return 'pageDown';
    return undefined;
  }
  if (key.meta) return undefined;
  return LETTERS[input];
}

/** One line of the help overlay. */
export interface KeyHelp {
  keys: string;
  description: string;
}

/** Every binding with what it does, for the help overlay. */
export const KEY_HELP: readonly KeyHelp[] = [
  { keys: '↑ ↓  k j', description: 'select a resource, or scroll the logs' },
  { keys: 'PgUp PgDn', description: 'scroll the logs a page (also Ctrl-U Ctrl-D)' },
  { keys: 'g G  Home End', description: 'first / last; in the logs: oldest / follow' },
  { keys: 'Tab', description: 'switch between resources and logs' },
  { keys: 'Enter', description: 'details of the selected resource' },
  { keys: 'Esc', description: 'back; clears the filter or follows the logs' },
  { keys: 'r', description: 'rebuild the selected image' },
  { keys: 'R', description: 'rebuild every image' },
  { keys: 'p', description: 'pause / resume rebuilding on save' },
  { keys: '/', description: 'filter logs: text, /regex/, level:warn, res:name' },
  { keys: 'w', description: 'log level: all -> warn -> error' },
  { keys: 'l', description: 'logs of the selected resource / of all' },
  { keys: 'c', description: 'clear the logs' },
  { keys: '?', description: 'this help' },
  { keys: 'q', description: 'quit and clean up' },
  { keys: 'Ctrl-C', description: 'quit; twice: quit without cleaning up' },
];
