#!/usr/bin/env node
/**
 * Benchmarks kodev against ko (a pinned release, installed into the bench's own GOBIN) side by
 * side: six scenarios (ko-scenarios.mjs) over a generated five-service Go module (ko-fixture.mjs),
 * run alternately by both tools with the same environment, Go build cache, base images and loopback
 * docker-registry. Then it compares the last image each tool built in scenario 1 with independent
 * tools (image-compare.mjs). Prints a Markdown table and the differences on stdout, progress on
 * stderr, and writes every sample to bench/results/ko-<ISO date>.json.
 * Usage: `node bench/ko-bench.mjs --rounds 5`.
 */
import console from 'node:console';
import { constants } from 'node:fs';
import { access, mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { createJiti } from 'jiti';
import { DOCKER, DOCKERD, startDockerd, unmountUnder } from './dockerd.mjs';
import { compareImages } from './image-compare.mjs';
import { SERVICES, writeFixture } from './ko-fixture.mjs';
import { scenarios } from './ko-scenarios.mjs';
import {
  abortOnSignals,
  alternateRounds,
  BenchError,
  cleanEnv,
  describeMachine,
  ensureGoInstall,
  fail,
  fmt,
  logSample,
  makeTool,
  markdownTable,
  measure,
  parseBenchArgs,
  registryBin,
  repoRoot,
  requireGnuTime,
  runMain,
  startRegistry,
  summarize,
  SYSTEM_PATH,
  writeRecord,
} from './lib.mjs';

/** The ko release compared against; `ko version` must print exactly this. */
const KO_VERSION = 'v0.18.1';
/** The crane release that checks what the registry serves; `crane version` must print this. */
const CRANE_VERSION = 'v0.20.6';
const SIDES = ['kodev', 'ko'];
/**
 * The kodev measured: the `kodev` command as npm installs it (bin/kodev, the launcher that starts
 * the bundled CLI), with the caller's environment, as ko runs with it.
 */
const KODEV_BIN = path.join(repoRoot, 'bin', 'kodev');

// Ctrl-C or SIGTERM cancels the running command, so the finally block stops the daemons and cleans up.
const abort = abortOnSignals();
const tool = makeTool(abort.signal);

async function requireTools(tmp) {
  await requireGnuTime(tmp);
  if (process.getuid?.() !== 0) fail('run as root: the image comparison starts its own dockerd');
  for (const file of [
    registryBin,
    '/usr/bin/umoci',
    '/usr/bin/skopeo',
    '/usr/bin/jq',
    '/bin/busybox',
    DOCKERD,
    DOCKER,
  ])
    await access(file, constants.X_OK).catch(() =>
      fail(`${file} is missing: run scripts/install-test-deps.sh to install the test dependencies`),
    );
  // The image comparison reads raw tar headers with it (tar-headers.py); the install script has no python3.
  await access('/usr/bin/python3', constants.X_OK).catch(() =>
    fail('/usr/bin/python3 is missing: install the Debian package python3'),
  );
}

/**
 * Makes the two base images with the test helpers (umoci-made busybox images, loaded through jiti)
 * and pushes them with skopeo: `base:single` (linux/<host arch>) and `base:multi`, an index of
 * linux/amd64 and linux/arm64. Returns `{ single, multi }` references.
 */
async function pushBases(tmp, host, hostArch) {
  const jiti = createJiti(import.meta.url);
  const { makeOciBase, makeMultiArchBase } = await jiti.import('../test/helpers/base-images.ts');
  const single = await makeOciBase(path.join(tmp, 'base-single'), { arch: hostArch, tag: 'single' });
  const multi = await makeMultiArchBase(path.join(tmp, 'base-multi'), ['linux/amd64', 'linux/arm64']);
  const refs = {};
  for (const [tag, base] of [
    ['single', single],
    ['multi', multi],
  ]) {
    refs[tag] = `${host}/base:${tag}`;
    await tool('skopeo', [
      'copy',
      '--quiet',
      '--all',
      '--dest-tls-verify=false',
      base.ref,
      `docker://${refs[tag]}`,
    ]);
  }
  return refs;
}

/**
 * Go build cache warm for both, so the comparison is of what each adds around go build: every
 * package of the fixture for both platforms (with -trimpath, as both tools build), and the
 * `buildid` tool, which ko runs on every binary and which Go (since 1.24) builds into GOCACHE on
 * first use instead of shipping it (about 25 s here, that ko's first run would otherwise pay).
 */
async function warmGoCache(env, fixture, tmp) {
  console.error('ko-bench: warming the Go build cache (linux/amd64 and linux/arm64, go tool buildid)');
  const go = (args, extra = {}) =>
    tool('go', args, { cwd: fixture, env: { ...env, ...extra }, extendEnv: false });
  for (const arch of ['amd64', 'arm64'])
    await go(['build', '-trimpath', '-o', `${path.join(tmp, 'warm', arch)}/`, './cmd/...'], {
      GOOS: 'linux',
      GOARCH: arch,
    });
  await go(['tool', 'buildid', path.join(tmp, 'warm', 'amd64', 'svc1')]);
  await rm(path.join(tmp, 'warm'), { recursive: true, force: true });
}

/**
 * Runs one side of a scenario: its `before` (not timed), the command under GNU time with the
 * scenario's KOCACHE and KO_DOCKER_REPO, then its check (not timed). Returns the sample.
 */
async function runOnce(scenario, side, n, label, ctx) {
  await scenario.before?.(side, n);
  const kocache = scenario.fresh
    ? await mkdtemp(path.join(ctx.tmp, 'kocache-'))
    : path.join(ctx.tmp, `kocache-${scenario.name.split(':')[0]}-${side}`);
  await mkdir(kocache, { recursive: true });
  const repo = scenario.repo(side, n);
  const args = scenario.args({ side, n });
  const [command, argv] = side === 'kodev' ? [KODEV_BIN, args] : [ctx.ko, args];
  try {
    const sample = await measure(command, argv, {
      env: {
        ...ctx.env,
        KOCACHE: kocache,
        KO_DOCKER_REPO: `${ctx.host}/${repo}`,
        KO_DEFAULTBASEIMAGE: ctx.bases[scenario.base],
      },
      tmp: ctx.tmp,
      cwd: ctx.fixture,
      signal: abort.signal,
      failure: (cmd, a, result) =>
        `${label}: ${cmd} ${a.join(' ')} failed (${result.shortMessage ?? result.exitCode}):\n${result.stderr}`,
    });
    logSample(label, sample);
    const digests = await scenario.check(repo, sample.stdout, { side, tool }).catch((error) => {
      throw error instanceof BenchError ? new BenchError(`${label}: ${error.message}`) : error;
    });
    const image = sample.stdout.trim().split('\n').at(-1);
    // The last lines each tool logged, to tell afterwards what a run did (built, skipped, pushed).
    const log = sample.stderr.trim().split('\n').slice(-4);
    return { seconds: sample.seconds, peakRssKiB: sample.peakRssKiB, repo, digests, image, log };
  } finally {
    if (scenario.fresh) await rm(kocache, { recursive: true, force: true });
  }
}

/** One unrecorded warm-up run of each tool, then `rounds` alternating rounds. */
async function runScenario(scenario, rounds, ctx) {
  console.error(`ko-bench: ${scenario.name}`);
  let n = 0;
  for (const side of SIDES) await runOnce(scenario, side, ++n, `${side} warm-up`, ctx);
  const samples = await alternateRounds(SIDES, rounds, (side, r) =>
    runOnce(scenario, side, ++n, `${side} round ${r}/${rounds}`, ctx),
  );
  await scenario.after?.();
  const [kodev, ko] = SIDES.map((side) => summarize(samples[side]));
  return {
    scenario: scenario.name,
    kodev,
    ko,
    ratio: kodev.medianSeconds / ko.medianSeconds,
    rssRatio: kodev.medianPeakRssMiB / ko.medianPeakRssMiB,
    sameImage: sameDigests(scenario, samples),
    samples,
  };
}

/** The digest comparison of the last round's images ('full' scenarios are filled in later). */
function sameDigests(scenario, samples) {
  if (scenario.compare === 'none') return '– (each run builds another source)';
  if (scenario.compare === 'full') return 'pending';
  const [a, b] = SIDES.map((side) => samples[side].at(-1).digests);
  const same = a.filter((d, i) => d === b[i]).length;
  if (a.length === 1) return same ? 'yes: same digest' : 'no: digests differ';
  return `${same === a.length ? 'yes' : 'no'}: ${same} of ${a.length} digests same`;
}

function table(results) {
  const columns = [
    { title: 'scenario' },
    { title: 'kodev median (s)', numeric: true },
    { title: 'ko median (s)', numeric: true },
    { title: 'kodev/ko', numeric: true },
    { title: 'kodev peak RSS (MiB)', numeric: true },
    { title: 'ko peak RSS (MiB)', numeric: true },
    { title: 'RSS kodev/ko', numeric: true },
    { title: 'same image' },
  ];
  const rows = results.map((r) => [
    r.scenario,
    fmt(r.kodev.medianSeconds),
    fmt(r.ko.medianSeconds),
    fmt(r.ratio),
    fmt(r.kodev.medianPeakRssMiB, 0),
    fmt(r.ko.medianPeakRssMiB, 0),
    fmt(r.rssRatio),
    r.sameImage,
  ]);
  return markdownTable(columns, rows);
}

/** The comparison's report for stdout: the references, each difference, and the run output. */
function comparisonReport(refs, comparison) {
  const lines = [
    `\nImage comparison, scenario 1, last round: kodev ${refs.kodev} vs ko ${refs.ko}: **${comparison.verdict}**` +
      ` (files compared after unpacking: ${comparison.paths.kodev} paths in kodev's image, ${comparison.paths.ko} in ko's)`,
    ...comparison.differences.map((d) => `- ${d}`),
  ];
  const { kodev, ko } = comparison.run;
  const same = kodev.stdout === ko.stdout && kodev.exitCode === ko.exitCode;
  for (const [who, run] of same ? [['both', kodev]] : Object.entries(comparison.run))
    lines.push(`\n\`docker run\` of ${who} (exit ${run.exitCode}):\n\n\`\`\`\n${run.stdout}\n\`\`\``);
  return lines.join('\n');
}

/** `--rounds N` and `--scenarios 1,5` (numbers of the scenarios to run; all by default). */
function parseKoBenchArgs(argv) {
  const { rounds, values } = parseBenchArgs(argv, 5, { scenarios: { type: 'string' } });
  if (values.scenarios === undefined) return { rounds };
  const only = new Set(values.scenarios.split(',').map((n) => n.trim()));
  if (![...only].every((n) => /^[1-6]$/.test(n)))
    fail(`--scenarios must list scenario numbers 1-6, e.g. --scenarios 1,5; got "${values.scenarios}"`);
  return { rounds, only };
}

async function main() {
  const { rounds, only } = parseKoBenchArgs(process.argv.slice(2));
  // Under /tmp, not os.tmpdir(): dockerd's unix socket path must stay short.
  const tmp = await mkdtemp('/tmp/kodev-ko-bench-');
  const stops = [];
  try {
    await requireTools(tmp);
    console.error('ko-bench: building the CLI (npm run --silent build)');
    // tsc reports errors on stdout; tool() shows both streams if the build fails, keeping stdout for the table.
    await tool('npm', ['run', '--silent', 'build'], { cwd: repoRoot });
    const installs = { env: cleanEnv(), cwd: tmp, label: 'ko-bench' };
    const ko = await ensureGoInstall(tool, {
      name: 'ko',
      module: 'github.com/google/ko',
      version: KO_VERSION,
      ...installs,
    });
    const crane = await ensureGoInstall(tool, {
      name: 'crane',
      module: 'github.com/google/go-containerregistry/cmd/crane',
      version: CRANE_VERSION,
      ...installs,
    });

    // The same clean environment for both tools: no docker config (an empty HOME), a bench-owned GOCACHE.
    const home = path.join(tmp, 'home');
    await mkdir(home);
    const env = cleanEnv({
      dropPrefixes: ['KODEV_', 'DOCKER_'],
      dropKeys: ['KOCACHE', 'GOPATH', 'GOMODCACHE', 'REGISTRY_AUTH_FILE', 'XDG_CONFIG_HOME'],
      set: { HOME: home, GOCACHE: path.join(tmp, 'gocache') },
    });
    const about = await describeMachine(env, {
      reject: false,
      versions: [
        ['ko', ko, ['version']],
        ['crane', crane, ['version']],
        ['skopeo', 'skopeo', ['--version']],
        ['umoci', 'umoci', ['--version']],
        ['registry', registryBin, ['--version']],
        ['dockerd', DOCKERD, ['--version']],
      ],
    });
    console.error(
      `ko-bench: ${rounds} rounds per scenario on ${about.cpu} (${about.cores} cores), ${about.go}, ko ${about.ko}`,
    );
    const registry = await startRegistry(path.join(tmp, 'registry'), {
      secret: 'kodev-ko-bench',
      signal: abort.signal,
    });
    stops.push(registry.stop);
    const hostArch = (await tool('go', ['env', 'GOHOSTARCH'], { env, extendEnv: false })).stdout.trim();
    const bases = await pushBases(tmp, registry.host, hostArch);
    console.error(
      `ko-bench: docker-registry at http://${registry.host}, bases ${bases.single} and ${bases.multi}`,
    );

    const fixture = path.join(tmp, 'bench');
    await writeFixture(fixture);
    await warmGoCache(env, fixture, tmp);
    const craneRun = async (args) =>
      (await tool(crane, args, { env: { PATH: SYSTEM_PATH, HOME: home }, extendEnv: false })).stdout;

    const ctx = { env, tmp, fixture, ko, host: registry.host, bases };
    const results = [];
    for (const scenario of scenarios({ host: registry.host, fixture, tmp, crane: craneRun }))
      if (!only || only.has(scenario.name.split(':')[0]))
        results.push(await runScenario(scenario, rounds, ctx));
    if (only && !only.has('1')) {
      console.log(table(results));
      await writeRecord('ko', { rounds, scenarios: [...only], machine: about, results });
      return;
    }

    console.error('ko-bench: comparing the last images of scenario 1 (skopeo, umoci, tar, docker)');
    const dockerd = await startDockerd(path.join(tmp, 'd'), { signal: abort.signal });
    stops.push(dockerd.stop);
    const dockerEnv = { PATH: SYSTEM_PATH, HOME: home, DOCKER_CONFIG: path.join(tmp, 'docker-config') };
    const docker = (args, options = {}) =>
      tool(DOCKER, ['-H', dockerd.host, ...args], { env: dockerEnv, extendEnv: false, ...options });
    const refs = Object.fromEntries(SIDES.map((side) => [side, results[0].samples[side].at(-1).image]));
    const comparison = await compareImages(refs, { tool, tmp, docker });
    results[0].sameImage = comparison.verdict;

    console.log(table(results));
    console.log(
      `\nMedians of ${rounds} rounds after one warm-up run of each tool; the order alternates every round.` +
        ` Peak RSS is the median over the rounds of GNU time %M (the largest single process: node or ko, go, compile, link).` +
        ` Both tools: --sbom=none, the same GOCACHE (warmed before), KOCACHE and repository as each scenario says.` +
        ` "same image" compares the last round's digests; scenario 1 is compared in full below.`,
    );
    console.log(comparisonReport(refs, comparison));

    await writeRecord('ko', {
      rounds,
      machine: about,
      fixture: { module: 'example.com/bench', services: SERVICES, bases },
      comparison: { refs, ...comparison },
      results,
    });
  } finally {
    for (const stop of stops.reverse()) await stop().catch((error) => console.error(`ko-bench: ${error}`));
    await unmountUnder(tmp);
    await rm(tmp, { recursive: true, force: true, maxRetries: 3 });
  }
}

await runMain('ko-bench', main, abort);
