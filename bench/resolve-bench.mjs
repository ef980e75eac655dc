#!/usr/bin/env node
/**
 * Benchmarks `kodev resolve` of a generated 1,000-document manifest against ko's `ko resolve`
 * (a pinned version, installed into a bench-owned GOBIN), with `--push=false` and pushing to a
 * loopback docker-registry, and against building the same three images alone (`build --push=false`
 * with each tool), so the cost of the YAML handling shows. Both tools use the same tiny base image,
 * pushed by skopeo. Prints a Markdown table on stdout, progress on stderr, and writes every sample to
 * bench/results/resolve-<ISO date>.json. Usage: `npm run bench:resolve -- --rounds 5`.
 */
import console from 'node:console';
import { constants } from 'node:fs';
import { access, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { isScalar, parseAllDocuments } from 'yaml';
import {
  abortOnSignals,
  alternateRounds,
  BENCH_BIN_DIR,
  cleanEnv,
  cli,
  describeMachine,
  ensureGoInstall,
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

// Node's web globals, named so that ESLint (no browser or node globals configured) knows them.
const { AbortSignal, fetch } = globalThis;

/** The ko release compared against; `ko version` must print exactly this. */
const KO_VERSION = 'v0.18.1';
/** ko, installed by ensureGoInstall into the bench's own GOBIN, so no ko on the caller's PATH is measured. */
const KO = path.join(BENCH_BIN_DIR, 'ko');
const MODULE = 'example.com/kodev-k8s';
const COMMANDS = ['server', 'ticker', 'migrate'];
const IMPORT_PATHS = COMMANDS.map((c) => `${MODULE}/cmd/${c}`);
const DOCUMENTS = 1000;
const MANIFEST = 'manifests/big.yaml';

// Ctrl-C or SIGTERM cancels the running command, so the finally blocks stop the registry and clean up.
const abort = abortOnSignals();
const tool = makeTool(abort.signal);

async function requireTools(tmp) {
  await requireGnuTime(tmp);
  for (const file of [registryBin, '/usr/bin/umoci', '/usr/bin/skopeo']) {
    await access(file, constants.X_OK).catch(() =>
      fail(`${file} is missing: run scripts/install-test-deps.sh to install the test dependencies`),
    );
  }
}

/** The containers of one generated Deployment: [name, command, quoting, inline comment]. */
const WEB = [
  ['server', 'server', '', ' # serves HTTP on 8080'],
  ['ticker', 'ticker', '"', ' # sidecar'],
];
const WORKER = [['ticker', 'ticker', "'", '']];

function container([name, command, quote, comment], shard) {
  return [
    `        - name: ${name}${comment}`,
    `          image: ${quote}ko://${MODULE}/cmd/${command}${quote}`,
    '          env:',
    '            - name: SHARD',
    `              value: "${shard}"`,
  ].join('\n');
}

/**
 * One Deployment: comments, labels, a migrate init container and `containers`. Quoting of the
 * ko:// scalars varies (plain, single, double) as it does in real manifests.
 */
function deployment(name, tier, containers, shard) {
  return `# ${tier === 'web' ? 'The web tier' : 'A worker'} for shard ${shard}.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name} # generated
  labels:
    app: ${name}
    tier: ${tier}
    shard: "${shard}"
spec:
  replicas: 2
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}, tier: ${tier}}
    spec:
      # Migrations run before the other containers start.
      initContainers:
        - name: migrate
          image: ko://${MODULE}/cmd/migrate
          args: ["up", "--to", "latest"]
      containers:
${containers.map((c) => container(c, shard)).join('\n')}
`;
}

/**
 * The 1,000-document manifest: 250 copies of a web Deployment (3 references), its Service, its
 * ConfigMap and a worker Deployment (2 references). Deterministic. Returns the text and its counts.
 */
function bigManifest() {
  const docs = [];
  for (let i = 1; docs.length < DOCUMENTS; i++) {
    const shard = String(i).padStart(4, '0');
    docs.push(
      deployment(`web-${shard}`, 'web', WEB, shard),
      `# The Service in front of web-${shard}.
apiVersion: v1
kind: Service
metadata:
  name: web-${shard}
  labels: {app: web-${shard}, tier: web}
spec:
  selector:
    app: web-${shard}
  ports:
    - port: 80 # plain HTTP
      targetPort: 8080
`,
      `# Settings read by web-${shard}.
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-${shard}-config
data:
  LOG_LEVEL: info
  config.yaml: |
    shard: ${shard}
    interval: 1s
`,
      deployment(`worker-${shard}`, 'worker', WORKER, shard),
    );
  }
  const text = docs.slice(0, DOCUMENTS).join('---\n');
  return { text, references: text.split('ko://').length - 1, commentLines: commentLines(text) };
}

/** Lines holding a YAML comment; the generated manifest has no `#` inside values. */
function commentLines(text) {
  return text.split('\n').filter((line) => /(^|\s)#/.test(line)).length;
}

/**
 * Copies fixtures/k8s-app to `dir` without its .ko.yaml (it says `defaultBaseImage: scratch`; with
 * it gone both tools read the same, empty, config) and writes the big manifest into it.
 */
async function makeFixture(dir) {
  await cp(path.join(repoRoot, 'fixtures', 'k8s-app'), dir, { recursive: true });
  await rm(path.join(dir, '.ko.yaml'), { force: true });
  const manifest = bigManifest();
  await mkdir(path.join(dir, path.dirname(MANIFEST)), { recursive: true });
  await writeFile(path.join(dir, MANIFEST), manifest.text);
  console.error(
    `resolve-bench: ${MANIFEST}: ${DOCUMENTS} documents, ${manifest.references} ko:// references ` +
      `(${COMMANDS.length} distinct), ${manifest.commentLines} comment lines, ${(manifest.text.length / 1024).toFixed(0)} KiB`,
  );
  return manifest;
}

/** Makes a tiny base image (one small file, host arch) with umoci and pushes it with skopeo. */
async function pushBase(tmp, host, arch) {
  const layout = path.join(tmp, 'base');
  const image = `${layout}:base`;
  const file = path.join(tmp, 'base-file');
  await writeFile(file, 'kodev resolve-bench base\n');
  await tool('umoci', ['init', '--layout', layout]);
  await tool('umoci', ['new', '--image', image]);
  await tool('umoci', ['insert', '--rootless', '--image', image, file, '/etc/bench-base']);
  await tool('umoci', ['config', '--image', image, '--architecture', arch, '--os', 'linux']);
  await tool('skopeo', ['copy', '--dest-tls-verify=false', `oci:${image}`, `docker://${host}/base:latest`]);
  return `${host}/base:latest`;
}

/**
 * Checks a resolve output: it parses into DOCUMENTS non-empty documents (ko ends its output with a
 * bare `---`, an empty document that both tools' readers drop), no `ko://` is left, every reference
 * became `<repo>/...@sha256:...` (COMMANDS.length distinct ones). Fails otherwise. Returns the
 * distinct images and the comment-line count.
 */
function checkResolved(label, stdout, repo, manifest) {
  const parsed = parseAllDocuments(stdout);
  const docs = ('empty' in parsed ? [] : parsed).filter(
    (d) => d.contents !== null && !(isScalar(d.contents) && d.contents.value === null),
  );
  const error = docs.flatMap((d) => d.errors)[0];
  if (error) fail(`${label}: the output does not parse: ${error.message}`);
  if (docs.length !== DOCUMENTS) fail(`${label}: ${docs.length} documents in the output, not ${DOCUMENTS}`);
  if (stdout.includes('ko://')) fail(`${label}: the output still holds ko:// references`);
  const escaped = repo.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const found = stdout.match(new RegExp(`${escaped}/[^\\s'"]+@sha256:[0-9a-f]{64}`, 'g')) ?? [];
  const images = [...new Set(found)];
  if (found.length !== manifest.references || images.length !== COMMANDS.length)
    fail(
      `${label}: ${found.length} resolved references (${images.length} distinct), expected ${manifest.references} (${COMMANDS.length})`,
    );
  return { images, commentLines: commentLines(stdout) };
}

/** Fails unless the registry serves the manifest of every `host/repo@digest` in `images`. */
async function checkPushed(label, host, images) {
  for (const image of images) {
    const [name, digest] = image.slice(host.length + 1).split('@');
    const res = await fetch(`http://${host}/v2/${name}/manifests/${digest}`, {
      method: 'HEAD',
      headers: {
        accept:
          'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
      },
      signal: AbortSignal.timeout(10_000),
    });
    if (res.status !== 200) fail(`${label}: the registry answers ${res.status} for ${image}`);
  }
}

/**
 * The scenarios. Each side takes the round's label and returns [command, args, KO_DOCKER_REPO];
 * `verify` checks a sample's stdout (and, for pushes, the registry) and returns what to record.
 */
function scenarios(host, manifest) {
  const resolve = (push, repo) => (side, round) => {
    const repository = `${host}/${repo(side, round)}`;
    const args = ['resolve', '-f', MANIFEST, ...(push ? [] : ['--push=false'])];
    return side === 'kodev' ? ['node', [cli, ...args], repository] : [KO, args, repository];
  };
  const verifyResolve = (push) => async (label, stdout, repository) => {
    const { images, commentLines } = checkResolved(label, stdout, repository, manifest);
    if (push) await checkPushed(label, host, images);
    return { commentLines };
  };
  const build = (side) => {
    const args = ['build', '--push=false', ...IMPORT_PATHS];
    return side === 'kodev' ? ['node', [cli, ...args], `${host}/bench`] : [KO, args, `${host}/bench`];
  };
  return [
    {
      name: `1: resolve --push=false, ${DOCUMENTS} docs`,
      run: resolve(false, () => 'bench'),
      verify: verifyResolve(false),
    },
    {
      name: `2: resolve + push to loopback registry, ${DOCUMENTS} docs`,
      // A new repository per tool and round, so every round uploads the binary layers.
      run: resolve(true, (side, round) => `${side}-${round}`),
      verify: verifyResolve(true),
    },
    {
      name: `3: build --push=false of the ${COMMANDS.length} import paths (no YAML)`,
      run: build,
      verify: async (label, stdout) => {
        const lines = stdout.trim().split('\n');
        if (lines.length !== COMMANDS.length || !lines.every((l) => /@sha256:[0-9a-f]{64}$/.test(l)))
          fail(`${label}: expected ${COMMANDS.length} image references, got:\n${stdout}`);
        return {};
      },
    },
  ];
}

/** Runs one side of a scenario under GNU time with a fresh KOCACHE, checks it, and logs it. */
async function runOnce(scenario, side, round, { env, tmp, fixture }) {
  const [command, args, repository] = scenario.run(side, round);
  const kocache = await mkdtemp(path.join(tmp, 'kocache-'));
  const label = `${scenario.name.split(':')[0]} ${side} ${round}`;
  try {
    const sample = await measure(command, args, {
      env: { ...env, KO_DOCKER_REPO: repository, KOCACHE: kocache },
      tmp,
      cwd: fixture,
      signal: abort.signal,
      failure: (cmd, argv, result) =>
        `${cmd} ${argv.join(' ')} failed (${result.shortMessage ?? result.exitCode}):\n${result.stderr}`,
    });
    logSample(label, sample);
    const checks = await scenario.verify(label, sample.stdout, repository);
    return { seconds: sample.seconds, peakRssKiB: sample.peakRssKiB, ...checks };
  } finally {
    await rm(kocache, { recursive: true, force: true });
  }
}

async function runScenario(scenario, rounds, ctx) {
  console.error(`resolve-bench: ${scenario.name}`);
  await runOnce(scenario, 'kodev', 'warmup', ctx);
  await runOnce(scenario, 'ko', 'warmup', ctx);
  const samples = await alternateRounds(['kodev', 'ko'], rounds, (side, r) =>
    runOnce(scenario, side, `r${r}`, ctx),
  );
  const kodev = summarize(samples.kodev);
  const ko = summarize(samples.ko);
  return { scenario: scenario.name, kodev, ko, ratio: kodev.medianSeconds / ko.medianSeconds, samples };
}

function table(results, yaml) {
  const columns = [
    { title: 'scenario' },
    { title: 'kodev median (s)', numeric: true },
    { title: 'ko median (s)', numeric: true },
    { title: 'ratio kodev/ko', numeric: true },
    { title: 'kodev peak RSS (MiB)', numeric: true },
    { title: 'ko peak RSS (MiB)', numeric: true },
  ];
  const rows = results.map((r) => [
    r.scenario,
    fmt(r.kodev.medianSeconds),
    fmt(r.ko.medianSeconds),
    fmt(r.ratio),
    fmt(r.kodev.peakRssMiB, 0),
    fmt(r.ko.peakRssMiB, 0),
  ]);
  rows.push([
    'YAML handling est. (1 − 3)',
    fmt(yaml.kodev),
    fmt(yaml.ko),
    fmt(yaml.kodev / yaml.ko),
    '–',
    '–',
  ]);
  return markdownTable(columns, rows);
}

async function main() {
  const rounds = parseRounds(process.argv.slice(2), 5);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'kodev-resolve-bench-'));
  let registry;
  try {
    await requireTools(tmp);
    console.error('resolve-bench: building the CLI (npm run --silent build)');
    // tsc reports errors on stdout; tool() shows both streams if the build fails, keeping stdout for the table.
    await tool('npm', ['run', '--silent', 'build'], { cwd: repoRoot });
    // The base image is linux/<host arch>, so both tools take the platform from it; GOOS/GOARCH stay unset.
    const env = cleanEnv({ dropKeys: ['KOCACHE'], set: { GOCACHE: path.join(tmp, 'gocache') } });
    await ensureGoInstall(tool, {
      name: 'ko',
      module: 'github.com/google/ko',
      version: KO_VERSION,
      env: cleanEnv(),
      cwd: tmp,
      label: 'resolve-bench',
    });
    const about = await describeMachine(env, {
      reject: false,
      versions: [
        ['ko', KO, ['version']],
        ['skopeo', 'skopeo', ['--version']],
        ['umoci', 'umoci', ['--version']],
        ['registry', registryBin, ['--version']],
      ],
    });
    console.error(
      `resolve-bench: ${rounds} rounds per scenario on ${about.cpu} (${about.cores} cores), ${about.go}, ko ${about.ko}`,
    );
    registry = await startRegistry(path.join(tmp, 'registry'), {
      secret: 'kodev-resolve-bench',
      signal: abort.signal,
    });
    const arch = (await tool('go', ['env', 'GOHOSTARCH'], { env, extendEnv: false })).stdout.trim();
    env.KO_DEFAULTBASEIMAGE = await pushBase(tmp, registry.host, arch);
    console.error(
      `resolve-bench: docker-registry at http://${registry.host}, base ${env.KO_DEFAULTBASEIMAGE}`,
    );
    const fixture = path.join(tmp, 'k8s-app');
    const manifest = await makeFixture(fixture);

    const ctx = { env, tmp, fixture };
    const results = [];
    for (const scenario of scenarios(registry.host, manifest))
      results.push(await runScenario(scenario, rounds, ctx));
    const [resolveLocal, , buildOnly] = results;
    const yaml = {
      kodev: resolveLocal.kodev.medianSeconds - buildOnly.kodev.medianSeconds,
      ko: resolveLocal.ko.medianSeconds - buildOnly.ko.medianSeconds,
    };
    const comments = (side) => [
      ...new Set(results.flatMap((r) => r.samples[side].map((s) => s.commentLines).filter((n) => n != null))),
    ];
    const kodevComments = comments('kodev');
    const commentsKept = kodevComments.length === 1 && kodevComments[0] === manifest.commentLines;

    console.log(table(results, yaml));
    console.log(
      `\nEvery resolve output parsed into ${DOCUMENTS} documents with no ko:// left and ${manifest.references}` +
        ` references replaced (${COMMANDS.length} distinct images); pushed images were checked on the registry.` +
        ` Comment lines: input ${manifest.commentLines}, kodev ${kodevComments.join('/')}` +
        ` (**${commentsKept ? 'PASS' : 'FAIL'}**), ko ${comments('ko').join('/')}.` +
        ' YAML handling est. = median resolve --push=false − median build --push=false of the same tool.' +
        ' Peak RSS is GNU time %M: the largest single process of each command (node or ko, go, compile, link),' +
        ' the maximum over the rounds.',
    );

    await writeRecord('resolve', {
      rounds,
      machine: about,
      manifest: {
        documents: DOCUMENTS,
        references: manifest.references,
        distinct: COMMANDS.length,
        commentLines: manifest.commentLines,
        bytes: manifest.text.length,
      },
      yamlHandlingSeconds: yaml,
      kodevCommentsKept: commentsKept,
      results,
    });
  } finally {
    await registry?.stop();
    await rm(tmp, { recursive: true, force: true, maxRetries: 3 });
  }
}

await runMain('resolve-bench', main, abort);
