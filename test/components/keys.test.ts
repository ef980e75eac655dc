import { describe, expect, it } from 'vitest';
import { KEY_HELP, type KeyLike, parseKey, type UiCommand, type UiMode } from '../../components/keys.js';

const none: KeyLike = {};

describe('parseKey', () => {
  it.each<[string, string, KeyLike, UiMode, UiCommand | undefined]>([
    ['up arrow moves up', '', { upArrow: true }, 'normal', 'up'],
    ['k moves up', 'k', none, 'normal', 'up'],
    ['down arrow moves down', '', { downArrow: true }, 'normal', 'down'],
    ['j moves down', 'j', none, 'normal', 'down'],
    ['PageUp pages up', '', { pageUp: true }, 'normal', 'pageUp'],
    ['PageDown pages down', '', { pageDown: true }, 'normal', 'pageDown'],
    ['Ctrl-U pages up', 'u', { ctrl: true }, 'normal', 'pageUp'],
    ['Ctrl-D pages down', 'd', { ctrl: true }, 'normal', 'pageDown'],
    ['g goes to the top', 'g', none, 'normal', 'top'],
    ['Home goes to the top', '', { home: true }, 'normal', 'top'],
    ['G goes to the bottom', 'G', { shift: true }, 'normal', 'bottom'],
    ['End goes to the bottom', '', { end: true }, 'normal', 'bottom'],
    ['Tab switches pane', '', { tab: true }, 'normal', 'switchPane'],
    ['Enter opens details', '', { return: true }, 'normal', 'details'],
    ['Esc goes back', '', { escape: true, meta: true }, 'normal', 'back'],
    ['r rebuilds the selection', 'r', none, 'normal', 'rebuild'],
    ['R rebuilds everything', 'R', { shift: true }, 'normal', 'rebuildAll'],
    ['p toggles pause', 'p', none, 'normal', 'togglePause'],
    ['/ starts a filter', '/', none, 'normal', 'startFilter'],
    ['l toggles the log scope', 'l', none, 'normal', 'toggleLogScope'],
    ['c clears the logs', 'c', none, 'normal', 'clearLogs'],
    ['? opens help', '?', none, 'normal', 'help'],
    ['q quits', 'q', none, 'normal', 'quit'],
    ['w cycles the level filter', 'w', none, 'normal', 'cycleLevel'],
    ['Ctrl-C interrupts', 'c', { ctrl: true }, 'normal', 'interrupt'],
    ['an unbound letter is nothing', 'x', none, 'normal', undefined],
    ['Alt-j is nothing', 'j', { meta: true }, 'normal', undefined],
    ['an unbound Ctrl key is nothing', 'x', { ctrl: true }, 'normal', undefined],
    ['help: a letter closes help', 'x', none, 'help', 'back'],
    ['help: q closes help rather than quitting', 'q', none, 'help', 'back'],
    ['help: Esc closes help', '', { escape: true }, 'help', 'back'],
    ['help: Ctrl-C still interrupts', 'c', { ctrl: true }, 'help', 'interrupt'],
    ['filter: Esc cancels', '', { escape: true }, 'filter', 'back'],
    ['filter: Enter applies', '', { return: true }, 'filter', 'apply'],
    ['filter: Ctrl-C interrupts', 'c', { ctrl: true }, 'filter', 'interrupt'],
    ['filter: letters go to the text input', 'q', none, 'filter', undefined],
    ['filter: arrows go to the text input', '', { upArrow: true }, 'filter', undefined],
    ['detail: arrows select another resource', '', { downArrow: true }, 'detail', 'down'],
    ['detail: Enter goes back', '', { return: true }, 'detail', 'back'],
    ['detail: Esc goes back', '', { escape: true }, 'detail', 'back'],
    ['detail: r rebuilds', 'r', none, 'detail', 'rebuild'],
    ['detail: q quits', 'q', none, 'detail', 'quit'],
    ['detail: ? opens help', '?', none, 'detail', 'help'],
    ['detail: / does nothing (no log pane)', '/', none, 'detail', undefined],
    ['detail: Tab does nothing', '', { tab: true }, 'detail', undefined],
  ])('%s', (_case, input, key, mode, expected) => {
    expect(parseKey(input, key, mode)).toBe(expected);
  });

  it('help lists every key the parser binds in normal mode', () => {
    const listed = KEY_HELP.map((h) => h.keys).join(' ');
    for (const k of [
      'k',
      'j',
      'g',
      'G',
      'Tab',
      'Enter',
      'Esc',
      'r',
      'R',
      'p',
      '/',
      'w',
      'l',
      'c',
      '?',
      'q',
      'Ctrl-C',
    ])
      expect(listed.split(/\s+/)).toContain(k);
  });
});
