/**
 * Which log lines the log pane shows. The pane is a window over the ring
 * buffer ending at an anchor line (or at the newest line when following);
 * finding it walks backwards from the anchor and stops once the pane is
 * full, so rendering costs what is visible, not what is buffered.
 */
import { isEmptyFilter, type LogFilter, matchesFilter, parseFilter } from '../src/dev/log-filter.js';
import type { LogEntry } from '../src/dev/session-store.js';

/** The read side of the log ring buffer. */
export interface LogSource {
  readonly size: number;
  readonly total: number;
  at(i: number): LogEntry | undefined;
}

/** Decides whether a line is shown. */
export type LogMatcher = (e: LogEntry) => boolean;

/** Level filter of the `w` key. */
export type LevelFilter = 'all' | 'warn' | 'error';

/** What the log pane filters on. */
export interface LogQuery {
  filter: LogFilter;
  level: LevelFilter;
  /** Row key when showing only the selected resource's lines. */
  resource?: string;
}

/** A matcher for a query; undefined parts match everything. */
export function logMatcher(q: LogQuery): LogMatcher {
  const { filter, level, resource } = q;
  const plain = isEmptyFilter(filter);
  return (e) => {
    if (resource !== undefined && e.resource !== resource) return false;
    if (level === 'error' && e.level !== 'error') return false;
    if (level === 'warn' && e.level === 'info') return false;
    return (
      plain || matchesFilter(filter, { text: e.text, level: e.level, resource: e.name, prefix: e.prefix })
    );
  };
}

/** Parses filter text, treating a malformed filter as no filter (its error is shown by the prompt). */
export function filterOf(text: string): LogFilter {
  const parsed = parseFilter(text);
  return parsed.error ? {} : parsed.filter;
}

/** Index in the buffer of the line with `seq`, clamped to what is held; the newest when following. */
function bottomIndex(logs: LogSource, anchor: number | undefined): number {
  if (anchor === undefined) return logs.size - 1;
  const base = logs.total - logs.size;
  return Math.min(logs.size - 1, Math.max(0, anchor - base));
}

/** The lines to show, oldest first: up to `count` matching lines ending at the anchor. */
export function visibleLogs(
  logs: LogSource,
  match: LogMatcher,
  anchor: number | undefined,
  count: number,
): LogEntry[] {
  const out: LogEntry[] = [];
  for (let i = bottomIndex(logs, anchor); i >= 0 && out.length < count; i--) {
    const e = logs.at(i);
    if (e && match(e)) out.push(e);
  }
  return out.reverse();
}

/** Index of the `n`-th matching line from the oldest (1-based), or -1 when there are fewer. */
function nthFromStart(logs: LogSource, match: LogMatcher, n: number): number {
  let seen = 0;
  for (let i = 0; i < logs.size; i++) {
    const e = logs.at(i);
    if (e && match(e) && ++seen === n) return i;
  }
  return -1;
}

/** The sequence number of the line at index `i`. */
function seqAt(logs: LogSource, i: number): number {
  return logs.total - logs.size + i;
}

/**
 * Moves the anchor by `delta` matching lines (negative: back in time;
 * `-Infinity`: the oldest full page). Returns undefined (follow the tail)
 * when the move reaches the newest line or everything fits in one page.
 */
export function scrollAnchor(
  logs: LogSource,
  match: LogMatcher,
  anchor: number | undefined,
  delta: number,
  page: number,
): number | undefined {
  if (delta === 0) return anchor;
  const floor = nthFromStart(logs, match, Math.max(1, page));
  if (floor < 0) return undefined;
  let i = bottomIndex(logs, anchor);
  while (i > 0 && !matchAt(logs, match, i)) i--;
  if (delta < 0) {
    let moved = 0;
    for (let j = i - 1; j >= floor && moved < -delta; j--) {
      if (matchAt(logs, match, j)) {
        i = j;
        moved++;
      }
    }
    return anchor === undefined && moved === 0 ? undefined : seqAt(logs, Math.max(i, floor));
  }
  if (anchor === undefined) return undefined;
  let moved = 0;
  for (let j = i + 1; j < logs.size; j++) {
    if (matchAt(logs, match, j) && ++moved === delta)
      return isLastMatch(logs, match, j) ? undefined : seqAt(logs, j);
  }
  return undefined;
}

function matchAt(logs: LogSource, match: LogMatcher, i: number): boolean {
  const e = logs.at(i);
  return e !== undefined && match(e);
}

/** Whether no matching line comes after index `i`. */
function isLastMatch(logs: LogSource, match: LogMatcher, i: number): boolean {
  for (let j = i + 1; j < logs.size; j++) if (matchAt(logs, match, j)) return false;
  return true;
}
