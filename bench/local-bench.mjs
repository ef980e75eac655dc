#!/usr/bin/env node
/**
 * Benchmarks `kodev build` loading into a Docker daemon (`ko.local`) and into a kind node
 * (`kind.local`) against what a user would otherwise run: `docker load -i` of the same image as a
 * tarball, and ko's `docker save | docker exec -i <node> ctr images import`. Everything runs on
 * private daemons in a temporary directory: Debian's dockerd (vfs, own socket, no bridge, no
 * iptables) and a standalone containerd whose socket is bind-mounted into a fake kind node. Prints a
 * Markdown table on stdout, progress on stderr, and writes every sample to
 * bench/results/local-<ISO date>.json. Usage: `npm run bench:local -- --rounds 3`.
 */
import { execa } from 'execa';
import console from 'node:console';
import { constants } from 'node:fs';
import { access, copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import {
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
  repoRoot,
  requireGnuTime,
  runMain,
  startDaemon,
  summarize,
  writeRecord,
} from './lib.mjs';
import { DOCKER, DOCKERD, startDockerd, unmountUnder } from './dockerd.mjs';

const CONTAINERD = '/usr/bin/containerd';
const CTR = '/usr/bin/ctr';
const NODE_IMAGE = 'kodev-bench/kind-node:v1';
const CLUSTER = 'kodev-bench';
const IMAGE_NAME = 'hello';
const DAEMON_READY_MS = 60_000;
const STOP_GRACE_MS = 20_000;
// The node's ctr is the host's, dynamically linked against exactly these (ldd /usr/bin/ctr).
const NODE_FILES = [CTR, '/lib64/ld-linux-x86-64.so.2', '/lib/x86_64-linux-gnu/libc.so.6', '/bin/busybox'];

// Ctrl-C or SIGTERM cancels the running command, so the finally blocks stop the daemons and clean up.
const abort = abortOnSignals();
const tool = makeTool(abort.signal);

async function requireTools(tmp) {
  await requireGnuTime(tmp);
  if (process.getuid?.() !== 0) fail('run as root: the bench starts its own dockerd and containerd');
  for (const file of [DOCKERD, DOCKER, CONTAINERD, '/usr/bin/umoci', '/usr/bin/skopeo', ...NODE_FILES]) {
    await access(file, constants.X_OK).catch(() =>
      fail(`${file} is missing: run scripts/install-test-deps.sh to install the test dependencies`),
    );
  }
}

/** The environment every measured command runs with: nothing from the caller's KO_*, Go or Docker settings. */
function localEnv(tmp) {
  return cleanEnv({
    dropPrefixes: ['KODEV_', 'DOCKER_'],
    dropKeys: ['KOCACHE', 'KIND_CLUSTER_NAME'],
    set: {
      GOOS: 'linux',
      GOCACHE: path.join(tmp, 'gocache'),
      KO_DEFAULTBASEIMAGE: 'scratch',
      // The docker CLI reads no config.json or contexts of the caller's.
      DOCKER_CONFIG: path.join(tmp, 'docker-config'),
      DOCKER_CLI_HINTS: 'false',
    },
  });
}

/**
 * Starts a daemon with its output in `logFile`, then polls `probe` until it exits 0. Returns
 * `stop`, which sends SIGTERM and then SIGKILL after a bound, and is safe to call twice.
 */
async function startLocalDaemon(label, command, args, logFile, probe) {
  const started = await startDaemon(command, args, {
    logFile,
    ready: async () => (await probe()).exitCode === 0,
    readyMs: DAEMON_READY_MS,
    pollMs: 250,
    graceMs: STOP_GRACE_MS,
    signal: abort.signal,
  });
  if (started.ready) return { stop: started.stop };
  fail(
    `${label} ${started.exited ? 'exited before it was ready' : `was not ready within ${DAEMON_READY_MS} ms`}:\n${started.log}`,
  );
}

/** A standalone containerd, configured as scripts/cluster/configs.sh does, all state under `dir`. */
async function startContainerd(dir) {
  await mkdir(path.join(dir, 'cni'), { recursive: true });
  const socket = path.join(dir, 'c.sock');
  const config = path.join(dir, 'config.toml');
  const snapshotters = ['aufs', 'btrfs', 'devmapper', 'zfs', 'overlayfs'];
  await writeFile(
    config,
    `version = 2
root = "${dir}/root"
state = "${dir}/state"
# These machines refuse negative OOM scores (no CAP_SYS_RESOURCE).
oom_score = 0
disabled_plugins = [${snapshotters.map((s) => `"io.containerd.snapshotter.v1.${s}"`).join(', ')}]

[grpc]
  address = "${socket}"

[ttrpc]
  address = "${socket}.ttrpc"

[debug]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/opt"

[plugins."io.containerd.grpc.v1.cri"]
  restrict_oom_score_adj = true
  disable_apparmor = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "native"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${dir}/cni"
`,
  );
  const probe = () => execa(CTR, ['-a', socket, 'version'], { reject: false, timeout: 10_000 });
  const { stop } = await startLocalDaemon(
    'containerd',
    CONTAINERD,
    ['--config', config],
    path.join(dir, 'containerd.log'),
    probe,
  );
  return { socket, stop };
}

/**
 * Makes the fake kind node image as test/helpers/kind-node.ts does (umoci: the host's ctr, its libc
 * and loader, busybox) and loads it into dockerd through skopeo's docker-archive.
 */
async function loadNodeImage(tmp, docker) {
  const work = path.join(tmp, 'node-image');
  const layout = path.join(work, 'layout');
  const image = `${layout}:node`;
  const bundle = path.join(work, 'bundle');
  await tool('umoci', ['init', '--layout', layout]);
  await tool('umoci', ['new', '--image', image]);
  await tool('umoci', ['unpack', '--rootless', '--image', image, bundle]);
  const rootfs = path.join(bundle, 'rootfs');
  for (const file of NODE_FILES) {
    await mkdir(path.dirname(path.join(rootfs, file)), { recursive: true });
    // copyFile follows links, so ld.so and libc arrive as files.
    await copyFile(file, path.join(rootfs, file));
  }
  for (const link of ['sh', 'sleep', 'cat', 'ls']) await symlink('busybox', path.join(rootfs, 'bin', link));
  await mkdir(path.join(rootfs, 'tmp'), { recursive: true });
  await mkdir(path.join(rootfs, 'run', 'containerd'), { recursive: true });
  await tool('umoci', ['repack', '--image', image, bundle]);
  const config = ['--architecture', 'amd64', '--os', 'linux', '--config.env', 'PATH=/usr/bin:/bin'];
  await tool('umoci', ['config', '--image', image, ...config]);
  const archive = path.join(work, 'kind-node.tar');
  await tool('skopeo', ['copy', '--quiet', `oci:${image}`, `docker-archive:${archive}:${NODE_IMAGE}`]);
  await docker(['load', '-i', archive]);
  await rm(work, { recursive: true, force: true });
}

/** Runs one measured command under GNU time; returns wall seconds, peak RSS (KiB) and its output. */
function measureSpec([command, args, env], tmp) {
  return measure(command, args, { env, tmp, signal: abort.signal });
}

/**
 * Runs one side: its `reset` (not measured), the command under GNU time, then its `check` (not
 * measured). Each side is `{ spec: () => [command, args, env], reset?, check? }`.
 */
async function runOnce(side, tmp, label) {
  await side.reset?.();
  const kocache = await mkdtemp(path.join(tmp, 'kocache-'));
  try {
    const sample = await measureSpec(side.spec(kocache), tmp);
    const kodevLog = /skipping load/.test(sample.stderr)
      ? 'skipped load'
      : /Loading /.test(sample.stderr)
        ? 'loaded'
        : undefined;
    const ref = sample.stdout.trim().split('\n').at(-1);
    await side.check?.(ref);
    logSample(label, sample, kodevLog ? ` (${kodevLog})` : '');
    return {
      seconds: sample.seconds,
      peakRssKiB: sample.peakRssKiB,
      ...(kodevLog ? { kodev: kodevLog } : {}),
      ...(side.kodev && ref ? { ref } : {}),
    };
  } finally {
    await rm(kocache, { recursive: true, force: true });
  }
}

/**
 * One unrecorded warm-up of every side, then `rounds` rounds, reversing the order every other
 * round so drift (page cache, neighbours) hits all sides alike.
 */
async function runRounds(name, rounds, sides, tmp) {
  for (const [side, spec] of Object.entries(sides)) await runOnce(spec, tmp, `${name} ${side} warm-up`);
  const samples = await alternateRounds(Object.keys(sides), rounds, (side, r) =>
    runOnce(sides[side], tmp, `${name} ${side} round ${r}/${rounds}`),
  );
  return {
    samples,
    kodev: summarize(samples.kodev),
    baseline: summarize(samples.baseline),
    kodevNoPush: summarize(samples.kodevNoPush),
  };
}

/** Builds the result row of a scenario from its rounds. */
function result(scenario, description, run, extra) {
  const noPush = extra.kodevNoPushSeconds ?? run.kodevNoPush?.medianSeconds;
  const outcomes = [...new Set(run.samples.kodev.map((s) => s.kodev ?? 'unknown'))].join('/');
  return {
    scenario,
    description,
    kodev: run.kodev,
    baseline: run.baseline,
    kodevNoPushSeconds: noPush,
    kodevNoPushPeakRssMiB: run.kodevNoPush?.peakRssMiB,
    ratio: run.kodev.medianSeconds / run.baseline.medianSeconds,
    loadOnlySeconds: noPush === undefined ? undefined : run.kodev.medianSeconds - noPush,
    kodevOutcome: outcomes,
    ...extra,
    note: `kodev ${outcomes} in every round; ${extra.note}`,
    samples: run.samples,
  };
}

function table(results) {
  const columns = [
    { title: 'scenario' },
    { title: 'kodev median (s)', numeric: true },
    { title: 'baseline median (s)', numeric: true },
    { title: 'ratio kodev/baseline', numeric: true },
    { title: 'kodev --push=false median (s)', numeric: true },
    { title: 'kodev load-only est. (s)', numeric: true },
    { title: 'kodev peak RSS (MiB)', numeric: true },
    { title: 'note' },
  ];
  const rows = results.map((r) => [
    r.scenario,
    fmt(r.kodev.medianSeconds),
    fmt(r.baseline.medianSeconds),
    fmt(r.ratio),
    fmt(r.kodevNoPushSeconds),
    fmt(r.loadOnlySeconds),
    fmt(r.kodev.peakRssMiB, 0),
    // A bare | would end the cell, even inside backticks.
    r.note.replaceAll('|', '\\|'),
  ]);
  return markdownTable(columns, rows);
}

async function main() {
  const rounds = parseRounds(process.argv.slice(2), 3);
  // Under /tmp, not os.tmpdir(): unix socket paths must stay short.
  const tmp = await mkdtemp('/tmp/kodev-local-bench-');
  const stops = [];
  try {
    await requireTools(tmp);
    console.error('local-bench: building the CLI (npm run --silent build)');
    // tsc reports errors on stdout; tool() shows both streams if the build fails, keeping stdout for the table.
    await tool('npm', ['run', '--silent', 'build'], { cwd: repoRoot });

    const env = localEnv(tmp);
    await mkdir(env.DOCKER_CONFIG, { recursive: true });
    const hostArch = (await tool('go', ['env', 'GOHOSTARCH'], { env, extendEnv: false })).stdout.trim();
    env.GOARCH = hostArch;
    const about = await describeMachine(env, {
      reject: false,
      versions: [
        ['docker', DOCKER, ['--version']],
        ['dockerd', DOCKERD, ['--version']],
        ['containerd', CONTAINERD, ['--version']],
      ],
    });
    console.error(
      `local-bench: ${rounds} rounds per scenario on ${about.cpu} (${about.cores} cores), ${about.go}`,
    );

    const dockerd = await startDockerd(path.join(tmp, 'd'), { signal: abort.signal });
    stops.push(dockerd.stop);
    console.error(`local-bench: dockerd at ${dockerd.host}`);
    const docker = (args, options = {}) =>
      tool(DOCKER, ['-H', dockerd.host, ...args], { env, extendEnv: false, ...options });

    // The image both sides load, built once as a docker-loadable tarball (this also warms the Go cache).
    const tarball = path.join(tmp, 'hello.tar');
    const kodevBuild = (repo, flags, extraEnv = {}) => ({
      kodev: true,
      spec: (kocache) => [
        'node',
        [cli, 'build', './cmd/hello', '-B', `--platform=linux/${hostArch}`, ...flags],
        { ...env, KOCACHE: kocache, KO_DOCKER_REPO: repo, DOCKER_HOST: dockerd.host, ...extraEnv },
      ],
    });
    const built = await runOnce(
      kodevBuild('ko.local', ['--push=false', '--tarball', tarball]),
      tmp,
      'tarball build',
    );
    const digest = /@sha256:([0-9a-f]{64})$/.exec(built.ref ?? '')?.[1];
    if (!digest) fail(`could not read the image digest from kodev's output: ${JSON.stringify(built.ref)}`);
    const [archived] = JSON.parse((await tool('tar', ['-xOf', tarball, 'manifest.json'])).stdout);
    const imageId = archived.Config;
    const baselineTag = archived.RepoTags[0];
    console.error(`local-bench: image ${baselineTag}, manifest sha256:${digest}, config ${imageId}`);

    const cmds = {
      kodevDaemon: kodevBuild('ko.local', []),
      kodevNoPush: kodevBuild('ko.local', ['--push=false']),
      dockerLoad: { spec: () => [DOCKER, ['-H', dockerd.host, 'load', '-i', tarball], env] },
    };
    /** Removes the image (every tag) from dockerd, so the next load is cold. */
    const rmiHello = async () => {
      await docker(['rmi', '-f', imageId], { reject: false });
      if ((await docker(['image', 'inspect', imageId], { reject: false })).exitCode === 0)
        fail(`docker rmi -f ${imageId} left the image in the daemon`);
    };
    /** Fails unless dockerd holds the image under `ref` (kodev's output) or the baseline's tag. */
    const inDaemon = (expected) => async (ref) => {
      const name = expected ?? ref;
      const id = (await docker(['image', 'inspect', '--format', '{{.Id}}', name], { reject: false })).stdout;
      if (id.trim() !== imageId)
        fail(`${name} is not the image ${imageId} in dockerd after the load (${id})`);
    };
    const sameImage = (samples, repo) => samples.every((s) => s.ref === `${repo}/${IMAGE_NAME}:${digest}`);
    const results = [];

    // 1: ko.local, image not in the daemon.
    const one = await runRounds(
      '1',
      rounds,
      {
        kodev: { ...cmds.kodevDaemon, reset: rmiHello, check: inDaemon() },
        kodevNoPush: cmds.kodevNoPush,
        baseline: { ...cmds.dockerLoad, reset: rmiHello, check: inDaemon(baselineTag) },
      },
      tmp,
    );
    results.push(
      result('1: ko.local, cold', 'image removed from dockerd (docker rmi -f) before each load', one, {
        sameImage: sameImage(one.samples.kodev, 'ko.local'),
        note: 'baseline `docker load -i` of the same image as a --tarball; both sides include dockerd unpacking into vfs',
      }),
    );

    // 2: ko.local, image already in the daemon (round 1 left it there).
    const two = await runRounds(
      '2',
      rounds,
      {
        kodev: { ...cmds.kodevDaemon, check: inDaemon() },
        baseline: { ...cmds.dockerLoad, check: inDaemon(baselineTag) },
      },
      tmp,
    );
    results.push(
      result('2: ko.local, already present', 'image already in dockerd; kodev should only tag', two, {
        kodevNoPushSeconds: one.kodevNoPush.medianSeconds,
        sameImage: sameImage(two.samples.kodev, 'ko.local'),
        note: '--push=false column from 1 (same build); load-only est. is the inspect + tag cost',
      }),
    );

    // 3: kind.local, one fake kind node whose containerd is a standalone one.
    const containerd = await startContainerd(path.join(tmp, 'c'));
    stops.push(containerd.stop);
    console.error(`local-bench: containerd at ${containerd.socket}`);
    await loadNodeImage(tmp, docker);
    const nodeName = `${CLUSTER}-control-plane`;
    await docker([
      'run',
      '-d',
      '--network=none',
      '--name',
      nodeName,
      '--label',
      `io.x-k8s.kind.cluster=${CLUSTER}`,
      '--label',
      'io.x-k8s.kind.role=control-plane',
      '-v',
      `${containerd.socket}:/run/containerd/containerd.sock`,
      NODE_IMAGE,
      'sleep',
      '3600',
    ]);
    // Stops run last-in, first-out: the node goes before containerd and dockerd. Not through tool(),
    // which refuses to run once Ctrl-C has aborted the bench.
    stops.push(() =>
      execa(DOCKER, ['-H', dockerd.host, 'rm', '-f', nodeName], {
        env,
        extendEnv: false,
        reject: false,
        timeout: 60_000,
      }),
    );
    await docker(['exec', nodeName, 'ctr', 'version']);
    // The baseline saves the image from dockerd, as ko does.
    await docker(['load', '-i', tarball]);

    const ctr = (args, options) => tool(CTR, ['-a', containerd.socket, '-n', 'k8s.io', ...args], options);
    const listImages = async () =>
      (await ctr(['images', 'ls', '-q'])).stdout
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
    /** Removes every image from the node's containerd and waits for its GC, so content and snapshots go too. */
    const clearNode = async () => {
      const names = await listImages();
      if (names.length > 0) await ctr(['images', 'rm', '--sync', ...names]);
      if ((await listImages()).length > 0) fail('ctr images rm left images in the node');
    };
    const onNode = (expected) => async (ref) => {
      const name = expected ?? ref;
      if (!(await listImages()).includes(name))
        fail(`${name} is not in the node's containerd after the import`);
    };
    const kindEnv = {
      KIND_CLUSTER_NAME: CLUSTER,
      KODEV_KIND_EXEC_PRIVILEGED: 'false',
      KODEV_KIND_SNAPSHOTTER: 'native',
    };
    const pipeline =
      'set -o pipefail; "$1" -H "$2" save "$3" | "$1" -H "$2" exec -i "$4" ' +
      'ctr --namespace=k8s.io images import --snapshotter native --all-platforms --digests -';
    const three = await runRounds(
      '3',
      rounds,
      {
        kodev: { ...kodevBuild('kind.local', [], kindEnv), reset: clearNode, check: onNode() },
        kodevNoPush: cmds.kodevNoPush,
        baseline: {
          spec: () => ['bash', ['-c', pipeline, 'bash', DOCKER, dockerd.host, baselineTag, nodeName], env],
          reset: clearNode,
          check: onNode(baselineTag),
        },
      },
      tmp,
    );
    results.push(
      result(
        '3: kind.local import',
        'all images removed from the node (ctr images rm --sync) before each import',
        three,
        {
          sameImage: sameImage(three.samples.kodev, 'kind.local'),
          note: 'baseline `docker save | docker exec -i NODE ctr images import` (ko’s way); no --privileged on either side',
        },
      ),
    );

    console.log(table(results));
    console.log(
      '\nkodev runs `kodev build ./cmd/hello -B` (go build with a warm Go cache, layering, load); the baselines only' +
        ' move an image that is already built, so the ratio overstates kodev’s load cost. The load-only estimate is' +
        ' median kodev − median kodev --push=false. Wall times include the daemons’ work; peak RSS (GNU time %M, the' +
        ' largest single process of the command, maximum over the rounds) does not.',
    );
    for (const r of results)
      if (!r.sameImage) console.error(`local-bench: warning: ${r.scenario}: kodev loaded a different digest`);

    const image = { ref: baselineTag, manifestDigest: `sha256:${digest}`, configDigest: imageId };
    await writeRecord('local', { rounds, machine: about, image, results });
  } finally {
    for (const stop of stops.reverse()) await stop().catch((error) => console.error(`local-bench: ${error}`));
    await unmountUnder(tmp);
    await rm(tmp, { recursive: true, force: true, maxRetries: 3 });
  }
}

await runMain('local-bench', main, abort);
