/**
 * The log pane's filter language and log level detection, pure so they can
 * be tested as tables. A filter is words and tokens:
 *   `text`            lines containing text (case-insensitive)
 *   `/regex/flags`    lines matching the regular expression
 *   `level:warn`      warnings and errors only (`level:error`: errors only)
 *   `res:name`        lines of resources whose name contains `name`
 */

/** How severe a log line looks. */
export type LogLevel = 'info' | 'warn' | 'error';

/** A parsed filter; every part that is set must match. */
export interface LogFilter {
  text?: string;
  regex?: RegExp;
  level?: 'warn' | 'error';
  resource?: string;
}

/** What a filter is tested against. */
export interface FilterableLine {
  text: string;
  level: LogLevel;
  /** Display name of the resource the line belongs to. */
  resource: string;
  /** Where the line came from (pod/container or `build`), also searched by text filters. */
  prefix: string;
}

/** Parses filter text; a malformed part yields `error` (shown to the person typing) and no filter. */
export function parseFilter(input: string): { filter: LogFilter; error?: string } {
  const filter: LogFilter = {};
  const words: string[] = [];
  const trimmed = input.trim();
  const regex = /^\/(.*)\/([a-z]*)$/s.exec(trimmed);
  if (regex) {
    try {
      filter.regex = new RegExp(regex[1] ?? '', regex[2]);
    } catch (err) {
      return { filter: {}, error: `bad regular expression: ${(err as Error).message}` };
    }
    return { filter };
  }
  for (const word of trimmed.split(/\s+/).filter(Boolean)) {
    const token = /^(level|res):(.*)$/.exec(word);
    if (!token) {
      words.push(word);
      continue;
    }
    const value = token[2] ?? '';
    if (token[1] === 'level') {
      if (value !== 'warn' && value !== 'error') return { filter: {}, error: 'level: takes warn or error' };
      filter.level = value;
    } else filter.resource = value.toLowerCase();
  }
  if (words.length) filter.text = words.join(' ').toLowerCase();
  return { filter };
}

/** True when the filter has nothing set. */
export function isEmptyFilter(f: LogFilter): boolean {
  return !f.text && !f.regex && !f.level && !f.resource;
}

/** Whether a line passes the filter. */
export function matchesFilter(f: LogFilter, line: FilterableLine): boolean {
  if (f.level === 'error' && line.level !== 'error') return false;
  if (f.level === 'warn' && line.level === 'info') return false;
  if (f.resource && !line.resource.toLowerCase().includes(f.resource)) return false;
  if (f.text && !`${line.prefix} ${line.text}`.toLowerCase().includes(f.text)) return false;
  if (f.regex) {
    f.regex.lastIndex = 0;
    if (!f.regex.test(line.text)) return false;
  }
  return true;
}

const ERROR_WORDS = /\b(error|err|fatal|panic|critical|crit|emerg|alert|failed|failure|exception)\b/i;
const WARN_WORDS = /\b(warn|warning)\b/i;
const STRUCTURED = /(?:^|[\s{,])"?(?:level|lvl|severity)"?\s*[:=]\s*"?([a-z]+)/i;

/**
 * Guesses a line's level: a structured field (`"level":"error"`, `level=warn`),
 * a klog/glog prefix (`E1122 ...`, `W1122 ...`), then severity words.
 */
export function detectLevel(line: string): LogLevel {
  const structured = STRUCTURED.exec(line)?.[1]?.toLowerCase();
  if (structured) {
    if (/^(err|error|fatal|panic|crit|critical|alert|emerg|dpanic)/.test(structured)) return 'error';
    if (structured.startsWith('warn')) return 'warn';
    return 'info';
  }
  const klog = /^([EFW])\d{4} \d{2}:\d{2}:\d{2}/.exec(line)?.[1];
  if (klog) return klog === 'W' ? 'warn' : 'error';
  if (ERROR_WORDS.test(line)) return 'error';
  if (WARN_WORDS.test(line)) return 'warn';
  return 'info';
}
