/**
 * Go string literals as `strconv.Quote` writes them, read back. Build settings
 * in `go version -m` output are quoted this way when a key or value holds
 * spaces, tabs, quotes or newlines (e.g. `-ldflags="-s -w"`).
 */
import { Buffer } from 'node:buffer';

const SIMPLE: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '"': 34 };
const HEX_DIGITS: Record<string, number> = { x: 2, u: 4, U: 8 };

function utf8(codePoint: number): number[] {
  return [...Buffer.from(String.fromCodePoint(codePoint), 'utf8')];
}

/** Reads a double-quoted literal's body from `start` (after the quote); undefined if malformed. */
function readInterpreted(s: string, start: number): { value: string; length: number } | undefined {
  const bytes: number[] = [];
  let i = start;
  while (i < s.length) {
    const c = s[i] as string;
    if (c === '"') return { value: Buffer.from(bytes).toString('utf8'), length: i + 1 };
    if (c === '\n') return undefined;
    if (c !== '\\') {
      const cp = s.codePointAt(i) as number;
      bytes.push(...utf8(cp));
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    const e = s[i + 1] ?? '';
    const simple = SIMPLE[e];
    const digits = HEX_DIGITS[e];
    if (simple !== undefined) {
      bytes.push(simple);
      i += 2;
    } else if (digits !== undefined) {
      const hex = s.slice(i + 2, i + 2 + digits);
      if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(hex)) return undefined;
      const n = parseInt(hex, 16);
      if (e === 'x') bytes.push(n);
      else if (n > 0x10ffff || (n >= 0xd800 && n < 0xe000)) return undefined;
      else bytes.push(...utf8(n));
      i += 2 + digits;
    } else if (/^[0-7]{3}$/.test(s.slice(i + 1, i + 4))) {
      const n = parseInt(s.slice(i + 1, i + 4), 8);
      if (n > 255) return undefined;
      bytes.push(n);
      i += 4;
    } else {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Reads the Go string literal (`"..."` with escapes, or a raw `` `...` ``) at
 * the start of `s`. Returns its value and how many characters it spans, or
 * undefined when `s` does not start with a well-formed literal.
 */
export function readGoQuoted(s: string): { value: string; length: number } | undefined {
  if (s.startsWith('`')) {
    const end = s.indexOf('`', 1);
    // strconv.Unquote drops carriage returns from raw strings.
    return end < 0 ? undefined : { value: s.slice(1, end).replaceAll('\r', ''), length: end + 1 };
  }
  return s.startsWith('"') ? readInterpreted(s, 1) : undefined;
}
