/**
 * The log pane: program output, build output and kodev's own events in one
 * stream, each line prefixed with where it came from in a stable colour.
 * Only the lines that fit are looked at (see `visibleLogs`).
 */
import type { LogEntry } from '../src/dev/session-store.js';
import type { Segment } from './format.js';
import { colorFor, fit, levelColor } from './format.js';
import { Line } from './Line.js';
import type { LevelFilter, LogMatcher, LogSource } from './log-window.js';
import { visibleLogs } from './log-window.js';
import { Panel, panelInnerWidth } from './Panel.js';

/** Props of {@link LogPane}. */
export interface LogPaneProps {
  logs: LogSource;
  match: LogMatcher;
  /** `seq` of the bottom line when scrolled back; undefined follows the newest line. */
  anchor?: number;
  /** Lines that arrived since scrolling back. */
  newLines: number;
  /** `all`, or the name of the selected resource when scoped to it. */
  scope: string;
  level: LevelFilter;
  /** The filter text in effect ('' for none). */
  filter: string;
  focused: boolean;
  /** Total width, frame included. */
  width: number;
  /** Content rows, frame excluded. */
  height: number;
  color: boolean;
}

/** Width of the source prefix column for a content width. */
export function prefixWidth(width: number): number {
  return Math.min(24, Math.max(8, Math.floor(width * 0.25)));
}

/** The segments of one log line. */
export function logLine(e: LogEntry, prefixCells: number): Segment[] {
  const prefix = `${fit(e.prefix, prefixCells)} `;
  const level = levelColor(e.level);
  const text = (s: Omit<Segment, 'text'>): Segment => ({
    text: e.text,
    ...s,
    ...(level ? { color: level, dim: false } : {}),
  });
  switch (e.kind) {
    case 'build':
      return [{ text: prefix, dim: true }, text({ dim: true })];
    case 'event':
      return [{ text: prefix, color: 'magenta', bold: true }, text({ color: 'magenta' })];
    default:
      return [{ text: prefix, color: colorFor(e.colorKey) }, text({})];
  }
}

/** The title segments: scope, level and filter. */
export function logTitle(scope: string, level: LevelFilter, filter: string): Segment[] {
  const out: Segment[] = [{ text: 'logs  ' }, { text: scope === 'all' ? 'all' : `selected: ${scope}` }];
  if (level !== 'all') out.push({ text: `  level ≥ ${level}`, color: level === 'error' ? 'red' : 'yellow' });
  if (filter) out.push({ text: `  filter: ${filter}`, color: 'cyan' });
  return out;
}

/** The log pane. */
export function LogPane(p: LogPaneProps) {
  const inner = panelInnerWidth(p.width);
  const lines = visibleLogs(p.logs, p.match, p.anchor, p.height);
  const cells = prefixWidth(inner);
  const note: Segment[] =
    p.anchor === undefined
      ? []
      : [
          {
            text: p.newLines > 0 ? `▼ ${p.newLines} new lines` : '▲ scrolled back',
            color: 'yellow',
            bold: true,
          },
          { text: '  G/End or Esc: follow' },
        ];
  const filtered = p.filter !== '' || p.level !== 'all' || p.scope !== 'all';
  return (
    <Panel
      title={logTitle(p.scope, p.level, p.filter)}
      note={note}
      width={p.width}
      height={p.height}
      focused={p.focused}
      color={p.color}
    >
      {lines.length === 0 ? (
        <Line
          segments={[{ text: filtered ? 'no lines match' : 'no log lines yet', dim: true }]}
          color={p.color}
        />
      ) : (
        lines.map((e) => <Line key={e.seq} segments={logLine(e, cells)} color={p.color} />)
      )}
    </Panel>
  );
}
