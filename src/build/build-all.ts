/**
 * Builds several references concurrently, each distinct one once. If any
 * build fails the others are cancelled and the first error is thrown, so
 * callers never see a partial set of results.
 */
import type { Builder, BuildResult } from './builder.js';

/** Builds every reference; results come back in the order of `refs`. */
export async function buildAll(
  builder: Builder,
  refs: readonly string[],
  signal?: AbortSignal,
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
        firstError = err;
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
