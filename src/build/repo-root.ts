/** Finds the repository a module lives in, the boundary for kodata symlinks. */
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** The nearest ancestor of `dir` holding `.git`, or `dir` itself when there is none. */
export async function findRepositoryRoot(dir: string): Promise<string> {
  let cur = dir;
  for (;;) {
    try {
      await stat(join(cur, '.git'));
      return cur;
    } catch {
      const up = dirname(cur);
      if (up === cur) return dir;
      cur = up;
    }
  }
}
