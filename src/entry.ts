#!/usr/bin/env node
/**
 * The `kodev` command (bundled as dist/bundle/cli.js). An unchanged repeat of
 * a recorded build or resolve is answered here, before the argument parser,
 * the registry client or the config schema load (commands/replay.ts); every
 * other run loads the full CLI (cli.ts). A recorded build whose inputs
 * changed has its recorded `go build`s started here first, so they run while
 * the CLI loads (build/prestart.ts).
 */
import { homedir } from 'node:os';
import { type Prestarted, prestartCompiles } from './build/prestart.js';
import { replayUnchanged } from './commands/replay.js';
import { traceMark } from './system/timings.js';

/** The commands whose recorded `go build`s the entry starts when an input changed. */
const PRESTARTED_COMMANDS: ReadonlySet<string> = new Set(['build', 'publish']);

async function run(argv: readonly string[]): Promise<number> {
  let prestarted: Promise<Map<string, Prestarted>> | undefined;
  const replayed = await replayUnchanged(
    {
      argv,
      env: process.env,
      cwd: process.cwd(),
      hostArch: process.arch,
      homeDir: homedir(),
      stdout: (t) => process.stdout.write(t),
      stderr: (t) => process.stderr.write(t),
    },
    (record) => {
      if (!PRESTARTED_COMMANDS.has(argv[0] ?? '') || !record.compiles) return;
      prestarted = prestartCompiles(record.compiles, process.env);
      void prestarted.then((m) => traceMark(`started ${m.size} recorded go build(s)`)).catch(() => undefined);
    },
  ).catch(() => false);
  if (replayed) return 0;
  traceMark('no unchanged run to replay');
  const [{ installExtraCa }, { main }, started] = await Promise.all([
    import('./system/extra-ca.js'),
    import('./cli.js'),
    prestarted?.catch(() => undefined),
  ]);
  installExtraCa();
  return main(argv, started ? { prestarted: started } : {});
}

run(process.argv.slice(2)).then((code) => {
  traceMark(`done, exit code ${code}`);
  process.exitCode = code;
});
