#!/usr/bin/env node
/**
 * Benchmarks `kodev build` of fixtures/example/cmd/hello (scratch base) against a plain
 * `go build -trimpath` with the same environment, so the numbers show what kodev adds over the
 * Go toolchain. Prints a Markdown table on stdout, progress on stderr, and writes the raw samples
 * to bench/results/build-<ISO date>.json. Usage: `npm run bench -- --rounds 5`.
 */
import { execa } from 'execa';
import console from 'node:console';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import {
  alternateRounds,
  cleanEnv,
  cli,
  describeMachine,
  fmt,
  logSample,
  markdownTable,
  measure,
  parseRounds,
  repoRoot,
  requireGnuTime,
  runMain,
  summarize,
  writeRecord,
} from './lib.mjs';

/**
 * The three scenarios. Each side maps an output path to [command, args]. `freshCache` gives every
 * run a new empty GOCACHE; otherwise the scenario shares one directory warmed by the warm-up.
 */
function scenarios(hostArch) {
  const kodev =
    (...flags) =>
    (out) => [
      'node',
      [cli, 'build', './cmd/hello', '--push=false', `--platform=linux/${hostArch}`, ...flags, out],
    ];
  const baseline = (out) => ['go', ['build', '-trimpath', '-o', out, './cmd/hello']];
  return [
    ['cold', true, '--oci-layout-path', 'fresh empty GOCACHE per run, OCI layout output'],
    ['warm', false, '--oci-layout-path', 'GOCACHE pre-warmed, OCI layout output'],
    ['warm, local tarball', false, '--tarball', 'GOCACHE pre-warmed, docker-loadable --tarball output'],
  ].map(([name, freshCache, flag, description]) => ({
    name,
    freshCache,
    description,
    kodev: kodev(flag),
    baseline,
  }));
}

async function runScenario(scenario, rounds, baseEnv, tmp) {
  const sharedCache = path.join(tmp, `gocache-${scenario.name.replace(/\W+/g, '-')}`);
  let seq = 0;
  const once = async (side, label) => {
    const gocache = scenario.freshCache ? path.join(tmp, `gocache-${++seq}`) : sharedCache;
    await mkdir(gocache, { recursive: true });
    const out = path.join(tmp, `out-${++seq}`);
    const [command, args] = scenario[side](out);
    const { seconds, peakRssKiB } = await measure(command, args, {
      env: { ...baseEnv, GOCACHE: gocache },
      tmp,
      failure: (cmd, argv, result) => `${cmd} ${argv.join(' ')} exited ${result.exitCode}:\n${result.stderr}`,
    });
    const sample = { seconds, peakRssKiB };
    await rm(out, { recursive: true, force: true });
    if (scenario.freshCache) await rm(gocache, { recursive: true, force: true });
    logSample(`${scenario.name} ${side} ${label}`, sample);
    return sample;
  };

  console.error(`${scenario.name}: ${scenario.description}`);
  await once('kodev', 'warm-up');
  await once('baseline', 'warm-up');
  const samples = await alternateRounds(['kodev', 'baseline'], rounds, (side, r) =>
    once(side, `round ${r}/${rounds}`),
  );
  await rm(sharedCache, { recursive: true, force: true });

  const kodev = summarize(samples.kodev);
  const baseline = summarize(samples.baseline);
  return {
    scenario: scenario.name,
    description: scenario.description,
    kodev,
    baseline,
    ratio: kodev.medianSeconds / baseline.medianSeconds,
    overheadSeconds: kodev.medianSeconds - baseline.medianSeconds,
    samples,
  };
}

function table(results) {
  const columns = [
    { title: 'scenario' },
    { title: 'kodev median (s)', numeric: true },
    { title: 'baseline median (s)', numeric: true },
    { title: 'ratio kodev/baseline', numeric: true },
    { title: 'kodev peak RSS (MiB)', numeric: true },
    { title: 'baseline peak RSS (MiB)', numeric: true },
    { title: 'kodev-only overhead (s)', numeric: true },
  ];
  const rows = results.map((r) => [
    r.scenario,
    fmt(r.kodev.medianSeconds),
    fmt(r.baseline.medianSeconds),
    fmt(r.ratio),
    fmt(r.kodev.peakRssMiB, 0),
    fmt(r.baseline.peakRssMiB, 0),
    fmt(r.overheadSeconds),
  ]);
  return markdownTable(columns, rows);
}

async function main() {
  const rounds = parseRounds(process.argv.slice(2), 5);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'kodev-bench-'));
  try {
    await requireGnuTime(tmp);
    console.error('build-bench: building the CLI (npx tsc -p tsconfig.json)');
    await execa('npx', ['tsc', '-p', 'tsconfig.json'], {
      cwd: repoRoot,
      stdout: 'inherit',
      stderr: 'inherit',
    });

    // GOENV=off also keeps `go env -w GOFLAGS=...` in the user's config file out of the measurement.
    const env = cleanEnv({ set: { GOOS: 'linux', KO_DEFAULTBASEIMAGE: 'scratch' } });
    const hostArch = (await execa('go', ['env', 'GOHOSTARCH'], { env, extendEnv: false })).stdout.trim();
    env.GOARCH = hostArch;
    const about = await describeMachine(env);
    console.error(
      `build-bench: ${rounds} rounds per scenario on ${about.cpu} (${about.cores} cores), ${about.go}`,
    );

    const results = [];
    for (const scenario of scenarios(hostArch)) results.push(await runScenario(scenario, rounds, env, tmp));

    console.log(table(results));
    console.log(
      '\nkodev-only overhead = median kodev - median baseline. Peak RSS is GNU time %M: the largest single' +
        ' process of each top-level command (node or go, compile, link), not the sum over the tree.',
    );

    await writeRecord('build', { rounds, machine: about, results });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

await runMain('build-bench', main);
