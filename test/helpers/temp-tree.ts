/** Small file trees in temp dirs, for tests that need a Go module on disk. */
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * Returns `tree(files)`, which writes `files` (relative path -> text) into a
 * fresh temp dir and returns its real path; the dirs are removed after the
 * file's tests. Call at the top level of a test file.
 */
export function tempTrees(prefix: string): (files: Record<string, string>) => Promise<string> {
  const made: string[] = [];
  afterAll(async () => {
    await Promise.all(made.map((d) => rm(d, { recursive: true, force: true })));
  });
  return async (files) => {
    const root = await realpath(await mkdtemp(join(tmpdir(), prefix)));
    made.push(root);
    for (const [rel, text] of Object.entries(files)) {
      await mkdir(dirname(join(root, rel)), { recursive: true });
      await writeFile(join(root, rel), text);
    }
    return root;
  };
}
