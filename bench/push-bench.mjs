#!/usr/bin/env node
/**
 * Benchmarks `kodev build` pushing to a real registry (Debian's docker-registry, distribution 2.8,
 * on 127.0.0.1) against `skopeo copy` of the same image from an OCI layout. Base images are made
 * with umoci only, from random (incompressible) data: ~10 MB for the cold and re-push scenarios,
 * ~200 MB for the peak-memory one. Prints a Markdown table on stdout, progress on stderr, and
 * writes every sample to bench/results/push-<ISO date>.json. Usage: `npm run bench:push -- --rounds 3`.
 */
import console from 'node:console';
import { randomBytes } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { access, chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { finished } from 'node:stream/promises';
import {
  MiB,
  abortOnSignals,
  alternateRounds,
  cleanEnv,
  cli,
  describeMachine,
  fail,
  fmt,
  logSample,
  makeTool,
  markdownTable,
  measure,
  parseRounds,
  registryBin,
  repoRoot,
  requireGnuTime,
  runMain,
  startRegistry,
  summarize,
  writeRecord,
} from './lib.mjs';

const RSS_TARGET_MIB = 150;
// skopeo runs as nobody when we are root, so that its blob-info cache can live in a fresh HOME.
const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;

// Ctrl-C or SIGTERM cancels the running command, so the finally blocks stop the registry and clean up.
const abort = abortOnSignals();
const tool = makeTool(abort.signal);

async function requireTools(tmp) {
  await requireGnuTime(tmp);
  const needed = [registryBin, '/usr/bin/umoci', '/usr/bin/skopeo', ...(isRoot ? ['/usr/bin/setpriv'] : [])];
  for (const file of needed) {
    await access(file, constants.X_OK).catch(() =>
      fail(`${file} is missing: run scripts/install-test-deps.sh to install the test dependencies`),
    );
  }
}

/** Writes `bytes` of random data, 1 MiB at a time. */
async function writeRandomFile(file, bytes) {
  const out = createWriteStream(file);
  for (let left = bytes; left > 0; left -= MiB) {
    if (!out.write(randomBytes(Math.min(MiB, left))))
      await new Promise((resolve) => out.once('drain', resolve));
  }
  out.end();
  await finished(out);
}

/**
 * Makes a linux/amd64 base image named `base` in a new OCI layout with umoci only: one layer
 * holding a random file of `bytes`, so the layer compresses to about that size.
 */
async function makeBase(tmp, label, bytes) {
  const layout = path.join(tmp, `base-${label}`);
  const image = `${layout}:base`;
  const data = path.join(tmp, `random-${label}.bin`);
  await writeRandomFile(data, bytes);
  await tool('umoci', ['init', '--layout', layout]);
  await tool('umoci', ['new', '--image', image]);
  await tool('umoci', ['insert', '--rootless', '--image', image, data, '/data/random.bin']);
  await tool('umoci', ['config', '--image', image, '--architecture', 'amd64', '--os', 'linux']);
  await tool('umoci', ['gc', '--layout', layout]);
  await rm(data, { force: true });
  const index = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8'));
  const blob = (digest) => path.join(layout, 'blobs', 'sha256', digest.replace(/^sha256:/, ''));
  const manifest = JSON.parse(await readFile(blob(index.manifests[0].digest), 'utf8'));
  const layerBytes = manifest.layers.reduce((sum, l) => sum + l.size, 0);
  console.error(`push-bench: base ${label}: ${(layerBytes / MiB).toFixed(1)} MiB compressed, ${layout}`);
  return { ref: `oci:${layout}:base`, layerBytes };
}

/** Runs one measured command under GNU time; returns wall seconds, peak RSS (KiB) and its output. */
function measureSpec([command, args, env], tmp) {
  return measure(command, args, {
    env,
    tmp,
    signal: abort.signal,
    failure: (cmd, argv, result) =>
      `${cmd} ${argv.join(' ')} failed (${result.shortMessage ?? result.exitCode}):\n${result.stderr}`,
  });
}

/** The commands compared. Each returns [command, args, env] for /usr/bin/time to run. */
function commands(registry, baseEnv, tmp) {
  let seq = 0;
  const kodev = (base, extra, repo) => async () => {
    const kocache = await mkdtemp(path.join(tmp, 'kocache-'));
    const env = { ...baseEnv, KO_DEFAULTBASEIMAGE: base.ref, KO_DOCKER_REPO: repo, KOCACHE: kocache };
    return [
      ['node', [cli, 'build', './cmd/hello', ...extra], env],
      () => rm(kocache, { recursive: true, force: true }),
    ];
  };
  return {
    /** kodev build and push to a repository on the bench registry. */
    kodevPush: (base, repo) => kodev(base, [], `${registry.host}/${repo}`),
    /** The same build with `--push=false` (nothing written): kodev's go build and layering alone. */
    kodevLocal: (base, extra = []) => kodev(base, ['--push=false', ...extra], `${registry.host}/unused`),
    /** skopeo copy of kodev's own output layout; a fresh HOME per run, so no blob-info cache. */
    skopeo: (layout, repo) => async () => {
      const home = await mkdtemp(path.join(tmp, `skopeo-home-${++seq}-`));
      if (isRoot) await chown(home, NOBODY, NOBODY);
      const copy = [
        'copy',
        '--dest-tls-verify=false',
        `oci:${layout.dir}:${layout.name}`,
        `docker://${registry.host}/${repo}:latest`,
      ];
      const env = { ...baseEnv, HOME: home, XDG_DATA_HOME: path.join(home, 'data') };
      const spec = isRoot
        ? [
            'setpriv',
            [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--', 'skopeo', ...copy],
            env,
          ]
        : ['skopeo', copy, env];
      return [spec, () => rm(home, { recursive: true, force: true })];
    },
  };
}

/** Runs a prepared command, cleans up after it, and logs the sample. */
async function runOnce(prepare, tmp, label) {
  const [spec, cleanup] = await prepare();
  try {
    const sample = await measureSpec(spec, tmp);
    const blobs = /blobs: (\d+) uploaded, (\d+) mounted, (\d+) already there/.exec(sample.stderr);
    const pushed = /@(sha256:[0-9a-f]{64})\s*$/.exec(sample.stdout);
    logSample(
      label,
      sample,
      blobs ? ` (blobs: ${blobs[1]} uploaded, ${blobs[2]} mounted, ${blobs[3]} already there)` : '',
    );
    return {
      seconds: sample.seconds,
      peakRssKiB: sample.peakRssKiB,
      ...(pushed ? { digest: pushed[1] } : {}),
      ...(blobs ? { blobs: { uploaded: +blobs[1], mounted: +blobs[2], exists: +blobs[3] } } : {}),
      stdout: sample.stdout,
    };
  } finally {
    await cleanup();
  }
}

/**
 * Builds once with `--push=false --oci-layout-path` (this also warms the Go cache) and returns the
 * layout, the ref name kodev gave the image in it and its digest, for skopeo to copy.
 */
async function kodevLayout(cmds, base, tmp, label) {
  const dir = path.join(tmp, `kodev-out-${label}`);
  const sample = await runOnce(cmds.kodevLocal(base, ['--oci-layout-path', dir]), tmp, `${label} layout`);
  const ref = sample.stdout.trim().split('\n').at(-1);
  const match = /\/([^/@:]+)(?::[^/@]+)?@(sha256:[0-9a-f]{64})$/.exec(ref ?? '');
  if (!match) fail(`could not read the image name from kodev's output: ${JSON.stringify(ref)}`);
  // skopeo may run as nobody: the layout must be readable by others.
  if (isRoot) await tool('chmod', ['-R', 'a+rX', dir]);
  return { dir, name: match[1], digest: match[2] };
}

/**
 * Runs `rounds` rounds of the sides (name -> round -> prepared command), reversing their order
 * every other round so drift (page cache, neighbours) hits all sides alike.
 */
async function runRounds(name, rounds, sides, tmp) {
  const samples = await alternateRounds(Object.keys(sides), rounds, async (side, r) => {
    const sample = await runOnce(sides[side](r), tmp, `${name} ${side} round ${r}/${rounds}`);
    delete sample.stdout;
    return sample;
  });
  return {
    samples,
    kodev: summarize(samples.kodev),
    skopeo: summarize(samples.skopeo),
    kodevNoPush: summarize(samples.kodevNoPush),
  };
}

/** Notes the rounds where kodev pushed something other than the image skopeo copied. */
function checkSameImage(samples, layout, label) {
  const odd = samples.filter((s) => s.digest !== layout.digest);
  if (odd.length > 0)
    console.error(
      `push-bench: warning: ${label}: kodev pushed ${odd.map((s) => s.digest).join(', ')}, not the ${layout.digest} skopeo copies`,
    );
  return odd.length === 0;
}

function table(results) {
  const columns = [
    { title: 'scenario' },
    { title: 'kodev median (s)', numeric: true },
    { title: 'skopeo median (s)', numeric: true },
    { title: 'kodev --push=false median (s)', numeric: true },
    { title: 'ratio kodev/skopeo', numeric: true },
    { title: 'kodev push-only est. (s)', numeric: true },
    { title: 'kodev peak RSS (MiB)', numeric: true },
    { title: 'skopeo peak RSS (MiB)', numeric: true },
    { title: 'note' },
  ];
  const rows = results.map((r) => [
    r.scenario,
    fmt(r.kodev.medianSeconds),
    fmt(r.skopeo.medianSeconds),
    fmt(r.kodevNoPushSeconds),
    fmt(r.ratio),
    fmt(r.pushOnlySeconds),
    fmt(r.kodev.peakRssMiB, 0),
    fmt(r.skopeo.peakRssMiB, 0),
    r.note,
  ]);
  return markdownTable(columns, rows);
}

/** Builds the result row of a scenario from its rounds. */
function result(scenario, description, run, extra) {
  const noPush = extra.kodevNoPushSeconds ?? run.kodevNoPush?.medianSeconds;
  return {
    scenario,
    description,
    kodev: run.kodev,
    skopeo: run.skopeo,
    kodevNoPushSeconds: noPush,
    kodevNoPushPeakRssMiB: run.kodevNoPush?.peakRssMiB,
    ratio: run.kodev.medianSeconds / run.skopeo.medianSeconds,
    pushOnlySeconds: noPush === undefined ? undefined : run.kodev.medianSeconds - noPush,
    ...extra,
    samples: run.samples,
  };
}

async function main() {
  const rounds = parseRounds(process.argv.slice(2), 3);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'kodev-push-bench-'));
  let registry;
  try {
    await requireTools(tmp);
    // skopeo runs as nobody when we are root and must reach the layouts under tmp.
    if (isRoot) await tool('chmod', ['755', tmp]);
    console.error('push-bench: building the CLI (npm run --silent build)');
    // tsc reports errors on stdout; tool() shows both streams if the build fails, keeping stdout for the table.
    await tool('npm', ['run', '--silent', 'build'], { cwd: repoRoot });

    // The base images are linux/amd64, so kodev picks the platform; GOOS/GOARCH stay unset.
    const env = cleanEnv({ dropKeys: ['KOCACHE'], set: { GOCACHE: path.join(tmp, 'gocache') } });
    const about = await describeMachine(env, {
      reject: false,
      versions: [
        ['skopeo', 'skopeo', ['--version']],
        ['umoci', 'umoci', ['--version']],
        ['registry', registryBin, ['--version']],
      ],
    });
    console.error(
      `push-bench: ${rounds} rounds per scenario on ${about.cpu} (${about.cores} cores), ${about.go}`,
    );
    registry = await startRegistry(path.join(tmp, 'registry'), {
      secret: 'kodev-push-bench',
      signal: abort.signal,
    });
    console.error(`push-bench: docker-registry at http://${registry.host}`);
    const cmds = commands(registry, env, tmp);
    const results = [];

    // A and B: a ~10 MB base.
    const small = await makeBase(tmp, '10m', 10 * MiB);
    const smallLayout = await kodevLayout(cmds, small, tmp, 'A warm-up');
    await runOnce(cmds.kodevPush(small, 'kodev-warmup'), tmp, 'A warm-up kodev');
    await runOnce(cmds.skopeo(smallLayout, 'skopeo-warmup'), tmp, 'A warm-up skopeo');
    const a = await runRounds(
      'A',
      rounds,
      {
        kodev: (r) => cmds.kodevPush(small, `kodev-r${r}`),
        kodevNoPush: () => cmds.kodevLocal(small),
        skopeo: (r) => cmds.skopeo(smallLayout, `skopeo-r${r}`),
      },
      tmp,
    );
    const aUploads = [...new Set(a.samples.kodev.map((s) => s.blobs?.uploaded))].join('/');
    results.push(
      result('A: push ~10 MB image, cold', 'fresh repository and KOCACHE per round, warm Go cache', a, {
        sameImage: checkSameImage(a.samples.kodev, smallLayout, 'A'),
        note: `fresh repo per round; kodev ${aUploads} blobs uploaded; kodev time includes go build + layering, skopeo only copies`,
      }),
    );

    const b = await runRounds(
      'B',
      rounds,
      {
        kodev: () => cmds.kodevPush(small, 'kodev-r1'),
        skopeo: () => cmds.skopeo(smallLayout, 'skopeo-r1'),
      },
      tmp,
    );
    const bUploads = Math.max(...b.samples.kodev.map((s) => s.blobs?.uploaded ?? Infinity));
    results.push(
      result('B: re-push unchanged', 'same repositories as round 1 of A; nothing to upload', b, {
        kodevNoPushSeconds: a.kodevNoPush.medianSeconds,
        sameImage: checkSameImage(b.samples.kodev, smallLayout, 'B'),
        note:
          `${bUploads === 0 ? 'kodev uploaded 0 blobs (HEAD only)' : `kodev UPLOADED up to ${bUploads} blobs`}; ` +
          '--push=false column from A (same build)',
      }),
    );

    // C: a ~200 MB base, for peak memory.
    const big = await makeBase(tmp, '200m', 200 * MiB);
    const bigLayout = await kodevLayout(cmds, big, tmp, 'C warm-up');
    await runOnce(cmds.kodevPush(big, 'kodev-big-warmup'), tmp, 'C warm-up kodev');
    await runOnce(cmds.skopeo(bigLayout, 'skopeo-big-warmup'), tmp, 'C warm-up skopeo');
    const c = await runRounds(
      'C',
      rounds,
      {
        kodev: (r) => cmds.kodevPush(big, `kodev-big-r${r}`),
        kodevNoPush: () => cmds.kodevLocal(big),
        skopeo: (r) => cmds.skopeo(bigLayout, `skopeo-big-r${r}`),
      },
      tmp,
    );
    const pass = c.kodev.peakRssMiB < RSS_TARGET_MIB;
    results.push(
      result(
        'C: 200 MB layer, peak memory',
        'fresh repository and KOCACHE per round, ~200 MB base layer',
        c,
        {
          sameImage: checkSameImage(c.samples.kodev, bigLayout, 'C'),
          rssTargetMiB: RSS_TARGET_MIB,
          pass,
          note:
            `**${pass ? 'PASS' : 'FAIL'}**: kodev peak RSS ${c.kodev.peakRssMiB.toFixed(0)} MiB vs target < ${RSS_TARGET_MIB} MiB; ` +
            `kodev --push=false peak ${c.kodevNoPush.peakRssMiB.toFixed(0)} MiB`,
        },
      ),
    );

    console.log(table(results));
    console.log(
      '\nkodev runs `kodev build ./cmd/hello` (go build with a warm Go cache, layering, push); skopeo only copies' +
        " kodev's finished image from an OCI layout, so the ratio overstates kodev's push cost. The push-only" +
        ' estimate is median kodev push − median kodev --push=false. Peak RSS is GNU time %M: the largest single' +
        ' process of each command (for kodev: node, go, compile or link), the maximum over the rounds.',
    );

    const bases = { small: small.layerBytes, big: big.layerBytes };
    await writeRecord('push', { rounds, machine: about, baseLayerBytes: bases, results });
  } finally {
    await registry?.stop();
    await rm(tmp, { recursive: true, force: true, maxRetries: 3 });
  }
}

await runMain('push-bench', main, abort);
