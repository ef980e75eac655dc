/**
 * Kubernetes manifests as parsed YAML documents: parsing a multi-document
 * text (YAML or JSON) into yaml `Document`s that keep comments, key order and
 * quoting, and rendering them back. Pure: takes text, returns data.
 */
import { isScalar, LineCounter, parseAllDocuments } from 'yaml';
import type { Document, YAMLError } from 'yaml';
import { UserError } from '../errors.js';

/** One input: a file path (or '-' for stdin) and its text. */
export interface ManifestSource {
  name: string;
  text: string;
}

/** One parsed YAML document with where it came from. */
export interface ManifestDocument {
  /** `ManifestSource.name`: a file path, or '-' for stdin. */
  source: string;
  /** 0-based position of the document in its source, counting dropped empty documents. */
  index: number;
  /** 1-based line where the document's content starts. */
  line: number;
  /** The yaml Document (keeps comments, key order, quoting). */
  doc: Document.Parsed;
  /** The whole source text. */
  text: string;
  /** The 1-based line of a character offset in `text` (e.g. a node's `range[0]`); shared by a source's documents. */
  lineAt: (offset: number) => number;
}

/**
 * Parses a multi-document YAML (or JSON) text. Documents that are empty (only
 * comments, `null`, or bare `---` separators) are dropped. Throws a UserError
 * naming `file:line:col` on the first syntax error; warnings (e.g. unknown
 * tags) are not fatal.
 */
export function parseManifests(src: ManifestSource): ManifestDocument[] {
  const lineCounter = new LineCounter();
  // prettyErrors: false keeps messages to one line; the position comes from lineCounter.
  const parsed = parseAllDocuments(src.text, { lineCounter, prettyErrors: false });
  const streamError = 'empty' in parsed ? parsed.errors[0] : undefined;
  if (streamError) throw syntaxError(src.name, streamError, lineCounter);
  // The counter already holds every line start: a binary search per lookup, not a scan of the text.
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  const docs: ManifestDocument[] = [];
  for (const [index, doc] of parsed.entries()) {
    const error = doc.errors[0];
    if (error) throw syntaxError(src.name, error, lineCounter);
    const contents = doc.contents;
    if (contents === null || (isScalar(contents) && contents.value === null)) continue;
    docs.push({ source: src.name, index, line: lineAt(contents.range[0]), doc, text: src.text, lineAt });
  }
  return docs;
}

function syntaxError(name: string, error: YAMLError, lineCounter: LineCounter): UserError {
  const { line, col } = lineCounter.linePos(error.pos[0]);
  const message = error.message.split('\n')[0] ?? error.message;
  return new UserError(`${location(name, line)}:${col}: YAML syntax error: ${message}`, {
    hint: SYNTAX_HINTS[error.code] ?? 'fix the YAML at that position; documents are separated by `---` lines',
  });
}

const SYNTAX_HINTS: Partial<Record<YAMLError['code'], string>> = {
  DUPLICATE_KEY: 'remove or rename one of the repeated keys: a YAML map holds each key once',
  TAB_AS_INDENT: 'indent YAML with spaces, not tabs',
};

/** A deep copy of a document (comments and styles included), to change without touching the original. */
export function cloneManifest(d: ManifestDocument): ManifestDocument {
  // A parsed document's clone is still a parsed document (it keeps its directives and ranges).
  return { ...d, doc: d.doc.clone() as Document.Parsed };
}

/**
 * Renders documents back to text: each document's own text (comments and
 * quoting preserved, long strings never re-folded), with `---` lines between
 * documents and none before the first. An empty list renders as ''.
 */
export function renderManifests(docs: readonly ManifestDocument[]): string {
  // directives: false so a document's own `---` is not doubled by the separator.
  return docs
    .map((d) => d.doc.toString({ lineWidth: 0, directives: false, flowCollectionPadding: false }))
    .join('---\n');
}

/** `file:line` for messages, e.g. `deploy.yaml:12`; stdin ('-') reads `<stdin>:12`. */
export function location(source: string, line: number): string {
  return `${source === '-' ? '<stdin>' : source}:${line}`;
}

/** The 1-based line of a character offset (e.g. a node's `range[0]`) in `text`. */
export function lineOf(text: string, offset: number): number {
  let line = 1;
  const end = Math.min(offset, text.length);
  for (let i = text.indexOf('\n'); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) line++;
  return line;
}
