/**
 * Watches source trees with chokidar and hands over changes in batches: a
 * batch closes after a quiet period with no new event (default 50 ms), or
 * after a bound while events keep coming, so 100 saves in a second give
 * one batch, and a stream of writes cannot starve the loop.
 */
import { relative, sep } from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import picomatch from 'picomatch';

/** One changed path. */
export interface FileChange {
  path: string;
  kind: 'add' | 'change' | 'unlink' | 'addDir' | 'unlinkDir';
}

/** Options for `startWatcher`. */
export interface WatcherOptions {
  roots: readonly string[];
  /** Extra ignore globs, matched against paths relative to each root (and their base names). */
  ignore: readonly string[];
  /** Quiet period closing a batch. */
  quietMs: number;
  /** Longest a batch stays open while events keep arriving (default 20x quiet, at least 500 ms). */
  maxWaitMs?: number;
  /** A closed batch, with the time its first event arrived (for the loop's detect timing). */
  onBatch: (changes: FileChange[], firstAt: number) => void;
  onError: (err: Error) => void;
}

/** A running watcher. */
export interface Watcher {
  /** Resolves once the initial scan is done (changes after this are reported). */
  ready: Promise<void>;
  close(): Promise<void>;
}

/** Directories and editor droppings that never affect a build. */
export const DEFAULT_IGNORES: readonly string[] = [
  '**/.git/**',
  '**/.git',
  '**/node_modules/**',
  '**/node_modules',
  '**/.kodev-test/**',
  '**/*.swp',
  '**/*.swx',
  '**/*.swo',
  '**/*~',
  '**/.#*',
  '**/#*#',
  '**/4913',
  '**/.DS_Store',
  '**/.idea/**',
  '**/.vscode/**',
];

/** Builds the ignore test: true for paths no root cares about (the default ignores included unless told otherwise). */
export function ignoreMatcher(
  roots: readonly string[],
  globs: readonly string[],
  withDefaults = true,
): (path: string) => boolean {
  const match = picomatch([...(withDefaults ? DEFAULT_IGNORES : []), ...globs], { dot: true });
  return (path) =>
    roots.some((root) => {
      const rel = relative(root, path);
      if (rel === '' || rel.startsWith('..')) return false;
      const posix = rel.split(sep).join('/');
      return match(posix) || match(`x/${posix}`);
    });
}

/** Starts watching; batches arrive through `onBatch`. */
export function startWatcher(o: WatcherOptions): Watcher {
  const ignored = ignoreMatcher(o.roots, o.ignore);
  const maxWait = o.maxWaitMs ?? Math.max(500, o.quietMs * 20);
  let pending = new Map<string, FileChange['kind']>();
  let quiet: NodeJS.Timeout | undefined;
  let opened = 0;
  const flush = () => {
    clearTimeout(quiet);
    quiet = undefined;
    const batch = [...pending].map(([path, kind]) => ({ path, kind }));
    pending = new Map();
    if (batch.length) o.onBatch(batch, opened);
  };
  const onEvent = (kind: FileChange['kind']) => (path: string) => {
    if (pending.size === 0) opened = Date.now();
    pending.set(path, merge(pending.get(path), kind));
    clearTimeout(quiet);
    if (Date.now() - opened >= maxWait) flush();
    else quiet = setTimeout(flush, o.quietMs);
  };
  const w: FSWatcher = watch([...o.roots], {
    ignoreInitial: true,
    ignored: (path: string) => ignored(path),
    // Editors that save by rename (vim, JetBrains) show up as one change.
    atomic: true,
  });
  for (const kind of ['add', 'change', 'unlink', 'addDir', 'unlinkDir'] as const) w.on(kind, onEvent(kind));
  w.on('error', (err) => o.onError(err instanceof Error ? err : new Error(String(err))));
  const ready = new Promise<void>((resolve) => w.once('ready', () => resolve()));
  return {
    ready,
    close: async () => {
      clearTimeout(quiet);
      await w.close();
    },
  };
}

/** The kind to report when a path changes twice in one batch. */
function merge(before: FileChange['kind'] | undefined, now: FileChange['kind']): FileChange['kind'] {
  if (before === 'add' && now === 'change') return 'add';
  if (before === 'unlink' && now === 'add') return 'change';
  return now;
}
