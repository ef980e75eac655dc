/**
 * Finding and replacing `ko://` references: string scalar values (never map
 * keys) that start with `ko://`, anywhere in parsed manifests. Pure.
 */
import { visit } from 'yaml';
import type { Scalar } from 'yaml';
import { UserError } from '../errors.js';
import { location } from './documents.js';
import type { ManifestDocument } from './documents.js';

/** The scheme that marks a string as a Go import path to build. */
export const KO_PREFIX = 'ko://';

/** A `ko://` string found in a document. */
export interface ReferenceSite {
  /** The reference, surrounding whitespace trimmed (as ko does, e.g. for block scalars). */
  ref: string;
  /** `ManifestDocument.source` of the document it was found in. */
  source: string;
  /** 1-based line of the scalar in its source. */
  line: number;
  /** Position of its document in the list given to `findReferences`. */
  document: number;
}

/**
 * Every string scalar value (not map keys) starting with `ko://` anywhere in
 * the documents (nested maps, sequences, flow or block style, JSON input), in
 * document order. A scalar shared through an anchor is reported once.
 */
export function findReferences(docs: readonly ManifestDocument[]): ReferenceSite[] {
  const sites: ReferenceSite[] = [];
  docs.forEach((d, document) => {
    eachReference(d, (node, ref) => {
      const line = node.range ? d.lineAt(node.range[0]) : d.line;
      sites.push({ ref, source: d.source, line, document });
    });
  });
  return sites;
}

/**
 * Replaces each `ko://` scalar's value with `resolved.get(ref)`, in place,
 * keeping the scalar's style (plain, single or double quoted). A reference
 * missing from `resolved` is a bug in the caller and throws a plain Error.
 */
export function replaceReferences(
  docs: readonly ManifestDocument[],
  resolved: ReadonlyMap<string, string>,
): void {
  for (const d of docs) {
    eachReference(d, (node, ref) => {
      const image = resolved.get(ref);
      if (image === undefined) throw new Error(`no image was resolved for ${ref}`);
      node.value = image;
    });
  }
}

/**
 * Checks that every reference is usable: `ko://` followed by a non-empty
 * import path without whitespace; otherwise throws a UserError naming where
 * it is. Returns the distinct references in first-seen order.
 */
export function uniqueReferences(sites: readonly ReferenceSite[]): string[] {
  const seen = new Set<string>();
  for (const site of sites) {
    if (!VALID.test(site.ref)) {
      throw new UserError(
        `${location(site.source, site.line)}: ${JSON.stringify(site.ref)} is not a valid ko:// reference`,
        {
          hint: 'write ko:// followed by the import path of a Go main package, e.g. ko://example.com/app/cmd/server',
        },
      );
    }
    seen.add(site.ref);
  }
  return [...seen];
}

const VALID = /^ko:\/\/\S+$/;

function eachReference(d: ManifestDocument, fn: (node: Scalar, ref: string) => void): void {
  visit(d.doc, {
    Scalar(key, node) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.startsWith(KO_PREFIX)) return;
      fn(node, node.value.trim());
    },
  });
}
