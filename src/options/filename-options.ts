/** The flags naming manifest inputs (-f, -R) and the label selector (-l), shared by resolve, apply, create and delete. */
import type { Command } from 'commander';
import { collect } from './build-options.js';

/** File flags as parsed. */
export interface FilenameFlags {
  filename: string[];
  recursive: boolean;
  selector?: string;
}

/** Adds -f, -R and -l. */
export function bindFilenameFlags(cmd: Command): Command {
  return cmd
    .option('-f, --filename <path>', 'manifest file, directory or - for stdin (repeatable)', collect, [])
    .option('-R, --recursive', 'read directories given with -f recursively', false)
    .option('-l, --selector <selector>', 'only documents whose labels match, e.g. app=web,tier!=db');
}
