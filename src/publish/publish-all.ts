/** Publishes a complete set of build results, checking all of them before writing any. */
import type { BuildResult } from '../build/builder.js';
import type { Publisher } from './publisher.js';

/** Returns the printed reference of each result, in order. */
export async function publishAll(publisher: Publisher, results: readonly BuildResult[]): Promise<string[]> {
  for (const r of results) publisher.validate?.(r);
  const refs: string[] = [];
  for (const r of results) refs.push(await publisher.publish(r));
  await publisher.close?.();
  return refs;
}
