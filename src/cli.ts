#!/usr/bin/env node
/**
 * kodev's entry point: argv -> command -> the one error handler -> exit code
 * (0 success, 1 user or external error, 2 usage error).
 */
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import type { Prestarted } from './build/prestart.js';
import type { BuildCommandFlags } from './commands/build.js';
import type { LoginFlags } from './commands/login.js';
import type { ResolveFlags } from './commands/resolve.js';
import type { ApplyCommandFlags } from './commands/apply.js';
import type { DeleteFlags } from './commands/delete.js';
import type { RunFlags } from './commands/run.js';
import type { UpFlags } from './commands/up.js';
import { completionScript } from './commands/completion.js';
import type { CommandContext } from './commands/context.js';
import { registerDeps } from './commands/deps-cli.js';
import { ExternalCommandError, UsageError, UserError } from './errors.js';
import { bindBuildFlags, collect } from './options/build-options.js';
import { bindFilenameFlags } from './options/filename-options.js';
import { bindApplyFlags, bindKubeFlags } from './options/kube-options.js';
import { bindPublishFlags } from './options/publish-options.js';
import { homeDir, hostArch, now, processCwd, processEnv } from './system/env.js';
import { traceMark } from './system/timings.js';
import { processTerminal } from './system/terminal.js';
import { keepWasmAtBaseline } from './system/wasm-tiers.js';
import { kodevVersion } from './version.js';

/** Builds the command tree; `run` receives each command's work. */
export function makeProgram(
  run: (work: (ctx: CommandContext) => Promise<void | number>) => Promise<void>,
  started: StartedByEntry = {},
): Command {
  const program = new Command('kodev')
    .description('Build Go programs into OCI images and ship them to Kubernetes (ko-compatible).')
    .option('-v, --verbose', 'more progress output on stderr', false)
    .version(kodevVersion(), '--version', 'print the kodev version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });

  const build = program
    .command('build')
    .alias('publish')
    .description('Build Go main packages into images and print their references')
    .argument('<import-paths...>', 'import paths, ./relative directories or ko:// references');
  bindPublishFlags(bindBuildFlags(build));
  build.action((paths: string[], flags: BuildCommandFlags) =>
    run(async (ctx) => {
      // go build starts before the rest of the pipeline loads (build/early-compile.ts).
      const { startEarlyCompiles } = await import('./build/early-compile.js');
      await startEarlyCompiles({
        ...ctx,
        refs: paths,
        ...flags,
        ...(started.prestarted ? { prestarted: started.prestarted } : {}),
      });
      // Loaded on use, so `kodev version`, `--help` and completion start fast.
      const { buildCommand } = await import('./commands/build.js');
      const refs = await buildCommand(paths, flags, ctx);
      for (const r of refs) ctx.stdout(`${r}\n`);
    }),
  );
  registerDeps(program, run);

  const resolve = program
    .command('resolve')
    .description('Build the ko:// references in manifests and print the manifests with image references');
  bindPublishFlags(bindBuildFlags(bindFilenameFlags(resolve)));
  resolve.action((flags: ResolveFlags) =>
    run(async (ctx) => {
      const { resolveCommand } = await import('./commands/resolve.js');
      ctx.stdout(await resolveCommand(flags, ctx, readStdin));
    }),
  );

  for (const verb of ['apply', 'create'] as const) {
    const cmd = program
      .command(verb)
      .description(
        verb === 'apply'
          ? 'Resolve manifests and apply them to the cluster (server-side apply)'
          : 'Resolve manifests and create their objects in the cluster',
      );
    bindApplyFlags(bindPublishFlags(bindBuildFlags(bindFilenameFlags(cmd))), verb);
    if (verb === 'apply')
      cmd.option('-W, --watch', 'keep watching and re-apply what changes (runs kodev up)', false);
    cmd.action((flags: ApplyCommandFlags & { watch?: boolean }) =>
      run(async (ctx) => {
        if (flags.watch) {
          const { upCommand } = await import('./commands/up.js');
          return upCommand(
            [],
            { ...flags, once: false, json: false, tui: true, runtime: 'kubernetes' },
            ctx,
            readStdin,
          );
        }
        const { applyCommand } = await import('./commands/apply.js');
        await applyCommand(verb, flags, ctx, readStdin);
      }),
    );
  }

  const up = program
    .command('up')
    .description('The dev loop: build, deploy and follow logs, rebuilding exactly what each change affects')
    .argument('[import-paths...]', 'images to run locally when there are no manifests')
    .option('--once', 'build, deploy, wait until ready, print a summary and exit', false)
    .option('--json', 'print every event as one JSON line on stdout', false)
    .option(
      '--runtime <runtime>',
      'kubernetes, local or auto (default: kubernetes when manifests and a kubeconfig exist)',
    )
    .option('--cleanup', 'delete what was applied (or stop processes) on exit')
    .option('--timeout <duration>', 'how long a rollout may take', '5m')
    .option(
      '--no-tui',
      'print plain lines instead of the terminal UI (the default without a terminal or with CI set)',
    );
  bindKubeFlags(bindPublishFlags(bindBuildFlags(bindFilenameFlags(up))));
  up.action((refs: string[], flags: UpFlags) =>
    run(async (ctx) => {
      const { upCommand } = await import('./commands/up.js');
      return upCommand(refs, flags, ctx, readStdin);
    }),
  );

  const del = program.command('delete').description('Delete the objects the manifests describe');
  bindKubeFlags(bindFilenameFlags(del));
  del.action((flags: DeleteFlags) =>
    run(async (ctx) => {
      const { deleteCommand } = await import('./commands/delete.js');
      await deleteCommand(flags, ctx, readStdin);
    }),
  );

  const runCmd = program
    .command('run')
    .description('Build a main package and run it in the cluster as a Pod, printing its output')
    .argument('<import-path>', 'import path, ./relative directory or ko:// reference')
    .argument('[args...]', 'arguments for the program (after --)')
    .option('--env <key=value>', 'environment variable for the program (repeatable)', collect, [])
    .option('--timeout <duration>', 'how long the pod may take to start', '5m');
  bindKubeFlags(bindPublishFlags(bindBuildFlags(runCmd)));
  runCmd.action((ref: string, args: string[], flags: RunFlags) =>
    run(async (ctx) => {
      const { runCommand } = await import('./commands/run.js');
      return runCommand(ref, args, flags, ctx);
    }),
  );

  program
    .command('login')
    .description('Log in to a registry and store the credentials like docker login')
    .argument('<registry>', 'registry host, e.g. ghcr.io or localhost:5000')
    .option('-u, --username <user>', 'user name')
    .option('-p, --password <password>', 'password (prefer --password-stdin)')
    .option('--password-stdin', 'read the password from stdin', false)
    .option('--insecure-registry', 'allow plain http (always allowed for loopback and *.local)', false)
    .action((registry: string, flags: LoginFlags) =>
      run(async (ctx) => {
        const { loginCommand } = await import('./commands/login.js');
        const where = await loginCommand(registry, flags, ctx, readStdin);
        ctx.stderr(`Login succeeded; credentials stored in ${where}\n`);
      }),
    );

  program
    .command('version')
    .description('Print the kodev version')
    .action(() => run(async (ctx) => ctx.stdout(`${kodevVersion()}\n`)));

  program
    .command('completion')
    .description('Print a shell completion script (bash, zsh or fish)')
    .argument('<shell>', 'bash, zsh or fish')
    .action((shell: string) => run(async (ctx) => ctx.stdout(completionScript(program, shell))));

  for (const c of program.commands) c.exitOverride().showHelpAfterError('(run with --help for usage)');
  return program;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Formats an error for stderr and picks the exit code. */
export function describeError(err: unknown, verbose: boolean): { text: string; code: number } {
  if (err instanceof UserError) {
    const details = err.details ? `${err.details.replace(/\n?$/, '\n')}` : '';
    const text = `Error: ${err.message}${err.hint ? `; ${err.hint}` : ''}\n${details}`;
    return {
      text: verbose && err.cause ? `${text}${String(err.cause)}\n` : text,
      code: err instanceof UsageError ? 2 : 1,
    };
  }
  if (err instanceof ExternalCommandError) {
    const out = err.output
      .trim()
      .split('\n')
      .slice(-60)
      .map((l) => `  ${l}`)
      .join('\n');
    return { text: `Error: ${err.message} (ran: ${err.command})\n${out ? `${out}\n` : ''}`, code: 1 };
  }
  const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return { text: `Error: internal error in kodev, please report it:\n${stack}\n`, code: 1 };
}

/** What the entry started before the CLI loaded (build/prestart.ts). */
export interface StartedByEntry {
  prestarted?: ReadonlyMap<string, Prestarted>;
}

/** Runs kodev with the given argv and returns the exit code. */
export async function main(argv: readonly string[], started: StartedByEntry = {}): Promise<number> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    controller.abort(new UserError('interrupted'));
  };
  process.on('SIGINT', onSigint);
  let code = 0;
  let verbose = false;
  const program = makeProgram(async (work) => {
    verbose = Boolean(program.opts().verbose);
    const terminal = processTerminal();
    const ctx: CommandContext = {
      argv,
      env: processEnv(),
      cwd: processCwd(),
      stdout: (t) => process.stdout.write(t),
      stderr: (t) => process.stderr.write(t),
      verbose,
      signal: controller.signal,
      now,
      tmpDir: tmpdir(),
      hostArch: hostArch(),
      homeDir: homeDir(),
      ...(terminal ? { terminal } : {}),
    };
    traceMark('parsed arguments');
    await keepWasmAtBaseline();
    const result = await work(ctx);
    if (typeof result === 'number') code = result;
  }, started);
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return 2;
    }
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its message; help and --version exit 0.
      code = err.exitCode === 0 ? 0 : 2;
    } else {
      const d = describeError(err, verbose);
      process.stderr.write(d.text);
      code = d.code;
    }
  } finally {
    process.off('SIGINT', onSigint);
    // Ended by now if the build took them over; stopped if the command never got that far.
    for (const p of started.prestarted?.values() ?? []) p.stop();
  }
  return code;
}

// Run directly (`node dist/src/cli.js`), this module is the whole CLI; the
// `kodev` command enters through entry.ts, which imports it.
if (runDirectly()) {
  main(process.argv.slice(2)).then((code) => {
    traceMark(`done, exit code ${code}`);
    process.exitCode = code;
  });
}

function runDirectly(): boolean {
  try {
    return import.meta.url === pathToFileURL(realpathSync(process.argv[1] ?? '')).href;
  } catch {
    return false;
  }
}
