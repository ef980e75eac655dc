/**
 * Kubernetes label selectors as `kubectl -l` accepts them, and filtering
 * manifests by them (List kinds are filtered item by item). Pure.
 */
import { isMap, isScalar, isSeq } from 'yaml';
import type { Node } from 'yaml';
import { UsageError } from '../errors.js';
import { cloneManifest } from './documents.js';
import type { ManifestDocument } from './documents.js';

/** How a requirement tests a label: `exists` is a bare `key`, `!` is `!key`. */
export type SelectorOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!';

/** One comma-separated clause of a selector. */
export interface Requirement {
  key: string;
  operator: SelectorOperator;
  /** One value for `=`, `==`, `!=`; one or more for `in`, `notin`; none for `exists` and `!`. */
  values: string[];
}

/** A parsed selector: every requirement must hold. No requirements matches everything. */
export interface LabelSelector {
  requirements: Requirement[];
}

interface Token {
  /** A word's text (never containing a symbol), or the symbol itself; '' at the end of the input. */
  text: string;
  kind: 'word' | 'symbol' | 'end';
  /** 1-based column in the selector text. */
  column: number;
}

const SYMBOLS = ['!=', '==', '!', '=', '(', ')', ',', '<', '>'];
const NAME = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;
const HINT = 'write selectors as kubectl -l does, e.g. -l "app=web,tier!=db,env in (dev,prod),!legacy"';

/**
 * Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h`, validating label keys and
 * values as Kubernetes does. The empty string selects everything. Throws a
 * UsageError naming the column of the first problem.
 */
export function parseSelector(text: string): LabelSelector {
  const tokens = tokenize(text);
  let at = 0;
  const fail = (token: Token, what: string): never => {
    throw new UsageError(`-l ${JSON.stringify(text)}: ${what} at column ${token.column}`, { hint: HINT });
  };
  const next = (): Token => tokens[at++] ?? fail(tokens[tokens.length - 1]!, 'unexpected end');
  const peek = (): Token => tokens[at]!;
  const describe = (t: Token): string => (t.kind === 'end' ? 'the end' : JSON.stringify(t.text));
  const key = (): string => {
    const t = next();
    if (t.kind !== 'word') fail(t, `expected a label key, found ${describe(t)}`);
    const why = keyProblem(t.text);
    if (why) fail(t, `label key ${JSON.stringify(t.text)} ${why}`);
    return t.text;
  };
  // A value may be empty (`a=`, `a in (x,)`), as in Kubernetes.
  const value = (): string => {
    const t = peek();
    if (t.kind !== 'word') {
      if (t.kind === 'end' || t.text === ',' || t.text === ')') return '';
      return fail(t, `expected a label value, found ${describe(t)}`);
    }
    at++;
    const why = valueProblem(t.text);
    if (why) fail(t, `label value ${JSON.stringify(t.text)} ${why}`);
    return t.text;
  };

  const requirements: Requirement[] = [];
  if (peek().kind === 'end') return { requirements };
  for (;;) {
    requirements.push(requirement());
    const t = next();
    if (t.kind === 'end') return { requirements };
    if (t.text !== ',') fail(t, `expected "," or the end, found ${describe(t)}`);
  }

  function requirement(): Requirement {
    if (peek().text === '!') {
      at++;
      return { key: key(), operator: '!', values: [] };
    }
    const k = key();
    const op = peek();
    if (op.kind === 'end' || op.text === ',') return { key: k, operator: 'exists', values: [] };
    at++;
    if (op.text === '=' || op.text === '==' || op.text === '!=') {
      return { key: k, operator: op.text, values: [value()] };
    }
    if (op.kind === 'word' && (op.text === 'in' || op.text === 'notin')) {
      const open = next();
      if (open.text !== '(') fail(open, `expected "(" after ${op.text}`);
      if (peek().text === ')') fail(peek(), `${op.text} needs at least one value`);
      const values: string[] = [];
      for (;;) {
        values.push(value());
        const t = next();
        if (t.text === ')') break;
        if (t.text !== ',') fail(t, `expected "," or ")", found ${describe(t)}`);
      }
      return { key: k, operator: op.text, values };
    }
    return fail(op, `expected an operator (=, ==, !=, in, notin) or "," after ${JSON.stringify(k)}`);
  }
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i]!)) {
      i++;
      continue;
    }
    const symbol = SYMBOLS.find((s) => text.startsWith(s, i));
    if (symbol) {
      tokens.push({ text: symbol, kind: 'symbol', column: i + 1 });
      i += symbol.length;
      continue;
    }
    const start = i;
    while (i < text.length && !/\s/.test(text[i]!) && !SYMBOLS.some((s) => text.startsWith(s, i))) i++;
    tokens.push({ text: text.slice(start, i), kind: 'word', column: start + 1 });
  }
  tokens.push({ text: '', kind: 'end', column: text.length + 1 });
  return tokens;
}

function keyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    if (
      !prefix ||
      prefix.length > 253 ||
      !prefix.split('.').every((l) => l.length <= 63 && DNS_LABEL.test(l))
    ) {
      return 'has a prefix that is not a DNS subdomain (lowercase letters, digits, - and .)';
    }
  }
  if (!name) return 'has an empty name';
  return nameProblem(name);
}

function valueProblem(value: string): string | undefined {
  return value === '' ? undefined : nameProblem(value);
}

function nameProblem(name: string): string | undefined {
  if (name.length > 63) return 'is longer than 63 characters';
  if (!NAME.test(name)) return 'must be letters and digits, with - _ . only inside';
  return undefined;
}

/** True when the labels satisfy every requirement. */
export function matchesSelector(sel: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  return sel.requirements.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    const value = labels[r.key];
    switch (r.operator) {
      case 'exists':
        return has;
      case '!':
        return !has;
      case '=':
      case '==':
      case 'in':
        return has && r.values.includes(value!);
      case '!=':
      case 'notin':
        return !has || !r.values.includes(value!);
    }
  });
}

/**
 * Keeps the documents whose `metadata.labels` match. A document whose kind
 * ends in `List` and that has `items` keeps only its matching items (a
 * filtered copy; the input is not changed) and is dropped when none match.
 * Documents that are not maps or have no labels count as having no labels.
 */
export function selectDocuments(docs: readonly ManifestDocument[], sel: LabelSelector): ManifestDocument[] {
  if (sel.requirements.length === 0) return [...docs];
  const kept: ManifestDocument[] = [];
  for (const d of docs) {
    const contents = d.doc.contents;
    const kind: unknown = isMap(contents) ? contents.get('kind') : undefined;
    const items = isMap(contents) ? contents.get('items') : undefined;
    if (typeof kind !== 'string' || !kind.endsWith('List') || !isSeq(items)) {
      if (matchesSelector(sel, labelsOf(contents))) kept.push(d);
      continue;
    }
    const keep = items.items.map((item) => matchesSelector(sel, labelsOf(item)));
    if (!keep.includes(true)) continue;
    if (!keep.includes(false)) {
      kept.push(d);
      continue;
    }
    const copy = cloneManifest(d);
    const copyItems = copy.doc.get('items');
    if (isSeq(copyItems)) copyItems.items = copyItems.items.filter((_, i) => keep[i]);
    kept.push(copy);
  }
  return kept;
}

function labelsOf(node: unknown): Record<string, string> {
  const labels: Record<string, string> = {};
  const metadata = isMap(node) ? node.get('metadata') : undefined;
  const map = isMap(metadata) ? metadata.get('labels') : undefined;
  if (!isMap(map)) return labels;
  for (const pair of map.items) {
    const k = pair.key as Node | null;
    const v = pair.value as Node | null;
    if (isScalar(k) && (v === null || isScalar(v))) labels[String(k.value)] = v ? String(v.value ?? '') : '';
  }
  return labels;
}
