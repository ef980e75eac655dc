/**
 * Builds several references concurrently, each distinct one once. If any
 * build fails the others are cancelled and the first error is thrown, so
 * callers never see a partial set of results.
 */
import type { Builder, BuildResult } from './builder.js';

/** Builds every reference; results come back in the order of `refs`. `annotate` may add where a failed reference was written. */
export async function buildAll(
  builder: Builder,
  refs: readonly string[],
  signal?: AbortSignal,
  annotate: (ref: string, err: unknown) => unknown = (_ref, err) => err,
): Promise<BuildResult[]> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const unique = [...new Set(refs)];
  let firstError: unknown;
  const byRef = new Map<string, Promise<BuildResult>>();
  for (const ref of unique) {
    const p = builder.build(ref, controller.signal);
    p.catch((err) => {
      if (firstError === undefined) {
        firstError = annotate(ref, err);
        controller.abort(err);
      }
    });
    byRef.set(ref, p);
  }
  try {
    await Promise.allSettled(byRef.values());
    if (firstError !== undefined) throw firstError;
    return await Promise.all(refs.map((r) => byRef.get(r) as Promise<BuildResult>));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
