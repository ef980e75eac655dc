/**
 * The bottom line: the keys that matter right now, fewer of them when the
 * terminal is narrow.
 */
import type { Part, Segment } from './format.js';
import { fitParts } from './format.js';
import { Line } from './Line.js';
import type { UiMode } from './keys.js';

/** Props of {@link KeyHints}. */
export interface KeyHintsProps {
  mode: UiMode;
  /** Which pane the arrows move in. */
  pane: 'resources' | 'logs';
  paused: boolean;
  /** Quit was asked for: say how to force it. */
  quitting: boolean;
  width: number;
  color: boolean;
}

function hint(key: string, what: string, priority: number): Part {
  return { segments: [{ text: key, bold: true, color: 'cyan' }, { text: ` ${what}` }], priority };
}

/** The hints for a mode, most important with the highest priority. */
export function hintParts(p: Omit<KeyHintsProps, 'width' | 'color'>): Part[] {
  if (p.quitting)
    return [{ segments: [{ text: ' stopping…  Ctrl-C again to force', bold: true }], priority: 9 }];
  if (p.mode === 'help') return [{ segments: [{ text: ' press any key to close help' }], priority: 9 }];
  if (p.mode === 'detail')
    return [
      hint(' ↑↓', 'resource', 8),
      hint('esc', 'back', 9),
      hint('r', 'rebuild', 7),
      hint('p', p.paused ? 'resume' : 'pause', 6),
      hint('?', 'help', 8),
      hint('q', 'quit', 9),
    ];
  return [
    hint(' ↑↓', p.pane === 'logs' ? 'scroll' : 'select', 8),
    hint('tab', p.pane === 'logs' ? 'resources' : 'logs', 4),
    hint('enter', 'details', 6),
    hint('r', 'rebuild', 7),
    hint('R', 'all', 3),
    hint('p', p.paused ? 'resume' : 'pause', 6),
    hint('/', 'filter', 5),
    hint('w', 'level', 1),
    hint('l', 'scope', 2),
    hint('c', 'clear', 1),
    hint('?', 'help', 8),
    hint('q', 'quit', 9),
  ];
}

/** The key hint line. */
export function KeyHints(p: KeyHintsProps) {
  const segments: Segment[] = fitParts(hintParts(p), p.width);
  return <Line segments={segments} color={p.color} />;
}
