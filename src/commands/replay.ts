/**
 * The unchanged-run replay, tried by the CLI's entry before anything else
 * loads (no argument parser, no registry client, no config schema). A
 * `kodev build` or `kodev resolve` whose command line, environment,
 * directory and .ko.yaml match a record, whose inputs are all unchanged, and
 * whose registry facts (base tags, pushed digests and tags) still hold,
 * prints what the recorded run printed: no `go build`, no push. Anything else
 * runs the command in full, which writes the record when it can vouch for it
 * (build-fast-path.ts).
 */
import { writeFile } from 'node:fs/promises';
import {
  type BuildRecord,
  inputsUnchanged,
  readRecord,
  recordFile,
  type RegistryFact,
  requestKey,
} from '../build/build-record.js';
import { cacheDir } from '../cache/content-cache.js';
import { headManifest } from '../registry/head-check.js';
import { kodevVersion } from '../version.js';

/** The commands whose runs are recorded and replayed (the first argument, as typed). */
export const REPLAYED_COMMANDS: ReadonlySet<string> = new Set(['build', 'publish', 'resolve']);

/** What the replay reads and where it writes. */
export interface ReplayRun {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  hostArch: string;
  homeDir: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  signal?: AbortSignal;
}

/** The record file a run would use; undefined when it cannot have one. */
export async function runRecordFile(run: Omit<ReplayRun, 'stdout' | 'stderr'>): Promise<string | undefined> {
  if (!REPLAYED_COMMANDS.has(run.argv[0] ?? '')) return undefined;
  const key = await requestKey({ ...run, version: kodevVersion() });
  return key ? recordFile(cacheDir(run.env, run.homeDir), key) : undefined;
}

/**
 * Prints the recorded output and returns true when nothing changed since the
 * recorded run. When a record matches but does not hold, `onStale` gets it
 * first (the entry starts its compiles: build/prestart.ts).
 */
export async function replayUnchanged(
  run: ReplayRun,
  onStale: (record: BuildRecord) => void = () => undefined,
): Promise<boolean> {
  const file = await runRecordFile(run);
  const record = file ? await readRecord(file) : undefined;
  if (!record) return false;
  if (!(await inputsUnchanged(record.inputs))) {
    onStale(record);
    return false;
  }
  const facts = record.facts.filter((f) => !impliedByTag(f, record.facts));
  const answers = await Promise.all(
    facts.map((f) =>
      headManifest(f.registry, f.repository, f.reference, {
        insecure: record.insecure,
        ...(run.signal ? { signal: run.signal } : {}),
      }),
    ),
  );
  const hold = answers.every((a, i) => {
    const want = facts[i]?.digest;
    return typeof a === 'object' && (want === '' || a.digest === want);
  });
  if (!hold) {
    onStale(record);
    return false;
  }
  if (record.imageRefs) await writeFile(record.imageRefs.file, record.imageRefs.text);
  run.stdout(record.stdout);
  run.stderr('Nothing changed since the last identical build: no go build, no push\n');
  return true;
}

/**
 * A manifest by digest whose tag is checked too: a tag that still answers
 * with that digest shows the manifest is there, so its own HEAD adds nothing.
 */
function impliedByTag(fact: RegistryFact, all: readonly RegistryFact[]): boolean {
  return (
    fact.reference === fact.digest &&
    all.some(
      (t) =>
        t.reference !== t.digest &&
        t.digest === fact.digest &&
        t.registry === fact.registry &&
        t.repository === fact.repository,
    )
  );
}
