/** What every command receives from `cli.ts`: the environment as data and the two output streams. */
import type { Env } from '../system/env.js';
import type { Terminal } from '../system/terminal.js';

/** The world a command runs in, injected so commands can be tested as functions. */
export interface CommandContext {
  /** The command line as typed (after `kodev`); runs are recorded for the unchanged-run replay under it. */
  argv?: readonly string[];
  env: Env;
  cwd: string;
  /** Results only (image references, YAML). */
  stdout: (text: string) => void;
  /** Progress and logs. */
  stderr: (text: string) => void;
  verbose: boolean;
  signal: AbortSignal;
  now: () => Date;
  tmpDir: string;
  /** The host CPU in Node's spelling (`x64`, `arm64`); the default platform follows it. */
  hostArch: string;
  homeDir: string;
  /** Set when stdin and stdout are a terminal (the dev loop's UI needs one). */
  terminal?: Terminal;
}
