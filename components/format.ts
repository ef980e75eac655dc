/**
 * Pure helpers for the terminal UI: widths, padding and truncation by
 * terminal cells, short digests, partial-block bars and colour choice. The
 * views build their lines from these so a line never wraps.
 */
import type { LogLevel } from '../src/dev/log-filter.js';

/** A colour name Ink (chalk) knows. */
export type Color =
  | 'red'
  | 'green'
  | 'yellow'
  | 'blue'
  | 'magenta'
  | 'cyan'
  | 'white'
  | 'gray'
  | 'redBright'
  | 'greenBright'
  | 'yellowBright'
  | 'blueBright'
  | 'magentaBright'
  | 'cyanBright';

/** One styled run of text on a line. */
export interface Segment {
  text: string;
  color?: Color;
  bold?: boolean;
  dim?: boolean;
  inverse?: boolean;
  /** Render an animated spinner in place of `text` (one cell wide). */
  spinner?: boolean;
}

// East Asian wide and emoji ranges take two cells; everything else one.
const WIDE =
  /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]|[\u{1f300}-\u{1f64f}\u{1f900}-\u{1f9ff}\u{20000}-\u{3fffd}]/u;
// Combining marks and zero-width characters take none.
const ZERO = /[\p{Mn}\p{Me}\p{Cf}]/u;

/** Terminal cells a code point takes. */
function charWidth(ch: string): number {
  if (ZERO.test(ch)) return 0;
  return WIDE.test(ch) ? 2 : 1;
}

/** Terminal cells a string takes (no escape sequences expected). */
export function cellWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += charWidth(ch);
  return w;
}

/** Cuts text to at most `width` cells, ending in `…` when something was cut. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  if (cellWidth(text) <= width) return text;
  let out = '';
  let w = 0;
  for (const ch of text) {
    const cw = charWidth(ch);
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return `${out}…`;
}

/** Pads (or truncates) text to exactly `width` cells. */
export function fit(text: string, width: number): string {
  const cut = truncate(text, width);
  return cut + ' '.repeat(Math.max(0, width - cellWidth(cut)));
}

/** Total cells of a line of segments (a spinner is one cell). */
export function segmentsWidth(segments: readonly Segment[]): number {
  let w = 0;
  for (const s of segments) w += s.spinner ? 1 : cellWidth(s.text);
  return w;
}

/** Cuts a line of segments to `width` cells, keeping styles of what is left. */
export function truncateSegments(segments: readonly Segment[], width: number): Segment[] {
  if (segmentsWidth(segments) <= width) return [...segments];
  const out: Segment[] = [];
  let left = width;
  for (const s of segments) {
    const w = s.spinner ? 1 : cellWidth(s.text);
    if (w < left) {
      out.push(s);
      left -= w;
      continue;
    }
    if (!s.spinner) out.push({ ...s, text: truncate(s.text, left) });
    else out.push({ text: '…' });
    break;
  }
  return out;
}

/** A part of a one-line bar (status, key hints) that may be dropped when the line is too narrow. */
export interface Part {
  segments: Segment[];
  /** Higher survives longer. */
  priority: number;
}

/**
 * Drops the lowest-priority parts until the rest, joined by `gap` spaces,
 * fits in `width`; keeps the original order.
 */
export function fitParts(parts: readonly Part[], width: number, gap = 2): Segment[] {
  const kept = [...parts];
  const total = () => kept.reduce((n, p) => n + segmentsWidth(p.segments), 0) + gap * (kept.length - 1);
  while (kept.length > 1 && total() > width) {
    let low = 0;
    for (let i = 1; i < kept.length; i++) if (kept[i]!.priority < kept[low]!.priority) low = i;
    kept.splice(low, 1);
  }
  const out: Segment[] = [];
  kept.forEach((p, i) => {
    if (i > 0) out.push({ text: ' '.repeat(gap) });
    out.push(...p.segments);
  });
  return truncateSegments(out, width);
}

/** `sha256:3f1c9a…` from a full digest (first 6 hex digits); '' when there is none. */
export function shortDigest(digest: string | undefined): string {
  if (!digest) return '';
  const m = /^(sha256:)([0-9a-f]{6})/.exec(digest);
  return m ? `${m[1]}${m[2]}…` : truncate(digest, 14);
}

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A horizontal bar `cells` wide in eighth-cell steps (`2.4` -> `██▍`); at least `▏` for any positive size. */
export function bar(cells: number): string {
  if (!(cells > 0)) return '';
  const eighths = Math.max(1, Math.round(cells * 8));
  return '█'.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8];
}

/** `800` -> `0.8`, `50` -> `0.05`: seconds short enough for a timing bar label. */
export function seconds(ms: number): string {
  if (ms >= 10_000) return String(Math.round(ms / 1000));
  if (ms >= 95) return (ms / 1000).toFixed(1);
  return (ms / 1000).toFixed(2);
}

/** Colours for log prefixes; red and yellow are left for levels, magenta for kodev's own lines. */
export const PREFIX_PALETTE: readonly Color[] = [
  'cyan',
  'green',
  'blue',
  'cyanBright',
  'greenBright',
  'blueBright',
];

/** A stable colour per key (pod + container), so one pod keeps its colour across renders and runs. */
export function colorFor(key: string): Color {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return PREFIX_PALETTE[(h >>> 0) % PREFIX_PALETTE.length]!;
}

/** The colour of a log line's text by level (undefined: the terminal's default). */
export function levelColor(level: LogLevel): Color | undefined {
  return level === 'error' ? 'red' : level === 'warn' ? 'yellow' : undefined;
}

/** Ink props for a segment; with colour off, no `color` prop at all (NO_COLOR). */
export function textProps(s: Segment, color: boolean): Record<string, string | boolean> {
  const props: Record<string, string | boolean> = {};
  if (color && s.color) props.color = s.color;
  if (s.bold) props.bold = true;
  if (s.dim) props.dimColor = true;
  if (s.inverse) props.inverse = true;
  return props;
}
