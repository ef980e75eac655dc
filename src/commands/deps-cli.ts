/**
 * `kodev deps` on the command line: its flags and arguments. The command
 * itself (src/commands/deps.ts) loads only when it runs, so the CLI starts
 * without the build and registry code.
 */
import type { Command } from 'commander';
import type { CommandContext } from './context.js';

/** Flags of `kodev deps`. */
export interface DepsFlags {
  platform?: string;
  output?: string;
  sbom?: string;
  insecureRegistry: boolean;
}

/** Adds `kodev deps` to the program; `run` receives the command's work, as for every command. */
export function registerDeps(
  program: Command,
  run: (work: (ctx: CommandContext) => Promise<void>) => Promise<void>,
): void {
  program
    .command('deps')
    .description("Print the Go module dependencies of an image's binary (like ko deps)")
    .argument('<reference>', 'image reference, or a ./directory or ko:// import path to build')
    .option(
      '--platform <platform>',
      "the image of an index to read, os/arch[/variant] (default: this machine's)",
    )
    .option('--output <format>', 'tree (default) or go.version-m')
    .option('--sbom <format>', 'print an SBOM instead: spdx, cyclonedx or go.version-m')
    .option(
      '--insecure-registry',
      'allow plain http to registries (always allowed for loopback and *.local)',
      false,
    )
    .action((reference: string, flags: DepsFlags) =>
      run(async (ctx) => {
        const { depsCommand } = await import('./deps.js');
        ctx.stdout(await depsCommand(reference, flags, ctx));
      }),
    );
}
