/**
 * The core of `kodev resolve`: select documents, build and publish every
 * `ko://` reference they hold in one go, and put the published image
 * references in their place. Pure given `publish`.
 */
import { cloneManifest } from './documents.js';
import type { ManifestDocument } from './documents.js';
import { findReferences, replaceReferences, uniqueReferences } from './references.js';
import { selectDocuments } from './selector.js';
import type { LabelSelector } from './selector.js';

/** What `resolveManifests` needs besides the documents. */
export interface ResolveOptions {
  /** Keep only documents (and List items) matching this; as in ko, only their references are built. */
  selector?: LabelSelector;
  /**
   * Builds and publishes every reference (each given once) and returns
   * ref -> final image reference; throws when any build or push failed.
   */
  publish: (refs: readonly string[]) => Promise<ReadonlyMap<string, string>>;
}

/**
 * Resolves `ko://` references: filters by the selector first, collects the
 * distinct references, calls `publish` once with all of them (not at all when
 * there are none), and returns the documents to print with the references
 * replaced. A publish error propagates and nothing is replaced. Documents
 * without references are returned as they are; documents with references are
 * copied first, so the input documents are never changed.
 */
export async function resolveManifests(
  docs: readonly ManifestDocument[],
  opts: ResolveOptions,
): Promise<ManifestDocument[]> {
  const selected = opts.selector ? selectDocuments(docs, opts.selector) : [...docs];
  const sites = findReferences(selected);
  const refs = uniqueReferences(sites);
  if (refs.length === 0) return selected;
  const resolved = await opts.publish(refs);
  const withRefs = new Set(sites.map((s) => s.document));
  const out = selected.map((d, i) => (withRefs.has(i) ? cloneManifest(d) : d));
  replaceReferences(out, resolved);
  return out;
}
