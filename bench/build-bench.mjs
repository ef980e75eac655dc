#!/usr/bin/env node
/**
 * Benchmarks `kodev build` of fixtures/example/cmd/hello (scratch base) against a plain
 * `go build -trimpath` with the same environment, so the numbers show what kodev adds over the
 * Go toolchain. Prints a Markdown table on stdout, progress on stderr, and writes the raw samples
 * to bench/results/build-<ISO date>.json. Usage: `npm run bench -- --rounds 5`.
 */
import { execa } from 'execa';
import console from 'node:console';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const exampleDir = path.join(repoRoot, 'fixtures', 'example');
const cli = path.join(repoRoot, 'dist', 'src', 'cli.js');
const gnuTime = '/usr/bin/time';
const mib = (kib) => kib / 1024;

// Thrown for failures the user can act on; main's handler prints the message without a stack.
class BenchError extends Error {}
function fail(message) {
  throw new BenchError(message);
}

function parseRounds(argv) {
  const { values } = parseArgs({ args: argv, options: { rounds: { type: 'string', default: '5' } } });
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1)
    fail(`--rounds must be a positive integer, got "${values.rounds}"`);
  return rounds;
}

// GNU time's %M is what we measure RSS with; BusyBox or a shell keyword would not do.
async function requireGnuTime(tmp) {
  const out = path.join(tmp, 'time-check');
  const ok =
    existsSync(gnuTime) &&
    (await execa(gnuTime, ['-f', '%M', '-o', out, 'true'], { reject: false })).exitCode === 0 &&
    /^\d+$/.test((await readFile(out, 'utf8').catch(() => '')).trim());
  if (!ok)
    fail(
      "GNU time not found at /usr/bin/time: install the Debian package 'time' (scripts/install-test-deps.sh does)",
    );
}

/** The environment both sides run with: no KO_* or GOFLAGS from the caller, a local toolchain only. */
function cleanEnv() {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (
      key.startsWith('KO_') ||
      ['GOFLAGS', 'GOENV', 'GOOS', 'GOARCH', 'CGO_ENABLED', 'GOCACHE', 'SOURCE_DATE_EPOCH'].includes(key)
    )
      continue;
    env[key] = value;
  }
  // GOENV=off also keeps `go env -w GOFLAGS=...` in the user's config file out of the measurement.
  return {
    ...env,
    GOTOOLCHAIN: 'local',
    GOENV: 'off',
    CGO_ENABLED: '0',
    GOOS: 'linux',
    KO_DEFAULTBASEIMAGE: 'scratch',
  };
}

/** Runs one top-level command under GNU time; returns wall seconds and its peak RSS in KiB. */
async function measure(command, args, env, tmp) {
  const timeFile = path.join(tmp, 'time-out');
  const start = process.hrtime.bigint();
  const result = await execa(gnuTime, ['-f', '%M', '-o', timeFile, command, ...args], {
    cwd: exampleDir,
    env,
    extendEnv: false,
    reject: false,
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.exitCode !== 0) {
    fail(`${command} ${args.join(' ')} exited ${result.exitCode}:\n${result.stderr}`);
  }
  // time writes "Command exited with non-zero status" before %M on failure; the last line is %M.
  const lines = (await readFile(timeFile, 'utf8')).trim().split('\n');
  return { seconds, peakRssKiB: Number(lines.at(-1)) };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

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
    const sample = await measure(command, args, { ...baseEnv, GOCACHE: gocache }, tmp);
    await rm(out, { recursive: true, force: true });
    if (scenario.freshCache) await rm(gocache, { recursive: true, force: true });
    console.error(
      `  ${scenario.name} ${side} ${label}: ${sample.seconds.toFixed(2)} s, ${mib(sample.peakRssKiB).toFixed(0)} MiB`,
    );
    return sample;
  };

  console.error(`${scenario.name}: ${scenario.description}`);
  await once('kodev', 'warm-up');
  await once('baseline', 'warm-up');
  const samples = { kodev: [], baseline: [] };
  for (let i = 0; i < rounds; i++) {
    // Alternate which side goes first so drift (thermal, page cache, neighbours) hits both alike.
    const order = i % 2 === 0 ? ['kodev', 'baseline'] : ['baseline', 'kodev'];
    for (const side of order) samples[side].push(await once(side, `round ${i + 1}/${rounds}`));
  }
  await rm(sharedCache, { recursive: true, force: true });

  const summary = (xs) => ({
    medianSeconds: median(xs.map((s) => s.seconds)),
    peakRssMiB: mib(Math.max(...xs.map((s) => s.peakRssKiB))),
  });
  const kodev = summary(samples.kodev);
  const baseline = summary(samples.baseline);
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

async function machine(env) {
  const out = async (cmd, args) =>
    (await execa(cmd, args, { cwd: repoRoot, env, extendEnv: false })).stdout.trim();
  const dirty = (await out('git', ['status', '--porcelain', '--untracked-files=no'])) !== '';
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    totalMemoryMiB: Math.round(os.totalmem() / 2 ** 20),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    go: await out('go', ['version']),
    kodevCommit: (await out('git', ['rev-parse', 'HEAD'])) + (dirty ? ' (with uncommitted changes)' : ''),
  };
}

function table(results) {
  const f = (n, digits = 2) => n.toFixed(digits);
  const rows = results.map((r) =>
    [
      r.scenario,
      f(r.kodev.medianSeconds),
      f(r.baseline.medianSeconds),
      f(r.ratio),
      f(r.kodev.peakRssMiB, 0),
      f(r.baseline.peakRssMiB, 0),
      f(r.overheadSeconds),
    ].join(' | '),
  );
  return [
    '| scenario | kodev median (s) | baseline median (s) | ratio kodev/baseline | kodev peak RSS (MiB) | baseline peak RSS (MiB) | kodev-only overhead (s) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n');
}

async function main() {
  const rounds = parseRounds(process.argv.slice(2));
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'kodev-bench-'));
  try {
    await requireGnuTime(tmp);
    console.error('build-bench: building the CLI (npx tsc -p tsconfig.json)');
    await execa('npx', ['tsc', '-p', 'tsconfig.json'], {
      cwd: repoRoot,
      stdout: 'inherit',
      stderr: 'inherit',
    });

    const env = cleanEnv();
    const hostArch = (await execa('go', ['env', 'GOHOSTARCH'], { env, extendEnv: false })).stdout.trim();
    env.GOARCH = hostArch;
    const about = await machine(env);
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

    const date = new Date()
      .toISOString()
      .replace(/\.\d+Z$/, 'Z')
      .replaceAll(':', '-');
    const file = path.join(repoRoot, 'bench', 'results', `build-${date}.json`);
    await mkdir(path.dirname(file), { recursive: true });
    const record = { date: new Date().toISOString(), rounds, machine: about, results };
    await writeFile(file, `${JSON.stringify(record, null, 2)}\n`);
    console.error(`build-bench: wrote ${path.relative(repoRoot, file)}`);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (error) {
  if (!(error instanceof BenchError)) throw error;
  console.error(`build-bench: ${error.message}`);
  process.exitCode = 1;
}
