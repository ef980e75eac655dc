/** Small questions about paths, answered false when the path cannot be read. */
import { stat } from 'node:fs/promises';

/** True when `path` exists and is a regular file (symbolic links followed). */
export async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** True when `path` exists and is a directory (symbolic links followed). */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
