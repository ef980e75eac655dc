#!/usr/bin/env node
/**
 * The `kodev` command (bundled as dist/bundle/cli.js). An unchanged repeat of
 * a recorded build or resolve is answered here, before the argument parser,
 * the registry client or the config schema load (commands/replay.ts); every
 * other run loads the full CLI (cli.ts).
 */
import { homedir } from 'node:os';
import { replayUnchanged } from './commands/replay.js';
import { traceMark } from './system/timings.js';

async function run(argv: readonly string[]): Promise<number> {
  const replayed = await replayUnchanged({
    argv,
    env: process.env,
    cwd: process.cwd(),
    hostArch: process.arch,
    homeDir: homedir(),
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
  }).catch(() => false);
  if (replayed) return 0;
  traceMark('no unchanged run to replay');
  const [{ installExtraCa }, { main }] = await Promise.all([
    import('./system/extra-ca.js'),
    import('./cli.js'),
  ]);
  installExtraCa();
  return main(argv);
}

run(process.argv.slice(2)).then((code) => {
  traceMark(`done, exit code ${code}`);
  process.exitCode = code;
});
