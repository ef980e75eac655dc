/**
 * The six scenarios of ko-bench.mjs, each run the same way by kodev and by ko, and the checks of
 * their output. A scenario names its arguments, its base image, whether each run gets a fresh
 * KOCACHE and repository, what to do before a run (outside the timing) and how to check a run's
 * output; the check returns the image digests, so the two tools' images can be compared by digest.
 */
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { isScalar, parseAllDocuments, visit } from 'yaml';
import { fail } from './lib.mjs';
import { MODULE, SERVICES, setRevision } from './ko-fixture.mjs';

const SHA = '@sha256:([0-9a-f]{64})';
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** ko's default image name for an import path: `<last element>-<md5 of the import path>`. */
export function koName(importPath) {
  return `${path.posix.basename(importPath)}-${createHash('md5').update(importPath).digest('hex')}`;
}

/**
 * The scenarios, in order. `ctx` is `{ host, fixture, tmp, crane }`: the registry's host:port, the
 * fixture module, a scratch directory and `crane(args)` (runs the pinned crane, returns stdout).
 * Each scenario is `{ name, base, fresh, args(run), repo(side, n), before?(side, n), check(...) }`,
 * where `run` is `{ side, n, dir }` and `n` counts the scenario's runs from 1 (warm-ups included).
 */
export function scenarios({ host, fixture, tmp, crane }) {
  const svc1 = `${MODULE}/cmd/svc1`;
  let revision = 0;
  const pushed = (repo, stdout) => checkPushedRef(host, repo, svc1, stdout, crane);
  return [
    {
      name: '1: build, nothing cached',
      base: 'single',
      fresh: true,
      args: () => ['build', '--sbom=none', './cmd/svc1'],
      repo: (side, n) => `s1-${side}-${n}`,
      check: pushed,
      compare: 'full',
    },
    {
      name: '2: build again, no change',
      base: 'single',
      fresh: false,
      args: () => ['build', '--sbom=none', './cmd/svc1'],
      repo: (side) => `s2-${side}`,
      check: pushed,
      compare: 'digest',
    },
    {
      name: '3: build after a one-line change',
      base: 'single',
      fresh: false,
      args: () => ['build', '--sbom=none', './cmd/svc1'],
      repo: (side) => `s3-${side}`,
      // Every run (either tool) builds a source no earlier run built.
      before: () => setRevision(fixture, `r${++revision}`),
      after: () => setRevision(fixture, 'r0'),
      check: pushed,
      compare: 'none',
    },
    {
      name: '4: resolve -f config/, no change',
      base: 'single',
      fresh: false,
      args: () => ['resolve', '--sbom=none', '-f', 'config/'],
      repo: (side) => `s4-${side}`,
      check: (repo, stdout) => checkResolved(host, repo, stdout, crane),
      compare: 'digest',
    },
    {
      name: '5: build, 2 platforms, nothing cached',
      base: 'multi',
      fresh: true,
      args: () => ['build', '--sbom=none', '--platform=linux/amd64,linux/arm64', './cmd/svc1'],
      repo: (side, n) => `s5-${side}-${n}`,
      check: async (repo, stdout) => {
        const digests = await pushed(repo, stdout);
        await checkIndex(`${host}/${repo}/${koName(svc1)}@${digests[0]}`, crane);
        return digests;
      },
      compare: 'digest',
    },
    {
      name: '6: build --push=false --tarball',
      base: 'single',
      fresh: true,
      args: ({ side }) => [
        'build',
        '--sbom=none',
        '--push=false',
        `--tarball=${tarball(tmp, side)}`,
        './cmd/svc1',
      ],
      repo: (side) => `s6-${side}`,
      check: (repo, stdout, { side, tool }) =>
        checkTarball(host, repo, svc1, stdout, tarball(tmp, side), tool),
      compare: 'digest',
    },
  ];
}

function tarball(tmp, side) {
  return path.join(tmp, `out-${side}.tar`);
}

/** The last stdout line must be `<host>/<repo>/<ko name>@sha256:...`; returns the digest. */
function builtRef(host, repo, importPath, stdout, tagPattern = '') {
  const last = stdout.trim().split('\n').at(-1) ?? '';
  const want = new RegExp(`^${escape(`${host}/${repo}/${koName(importPath)}`)}${tagPattern}${SHA}$`);
  const match = want.exec(last);
  if (!match) fail(`expected ${host}/${repo}/${koName(importPath)}@sha256:... on stdout, got:\n${stdout}`);
  return `sha256:${match[1]}`;
}

/** Checks a pushed build's reference and that the registry serves that digest (crane digest). */
async function checkPushedRef(host, repo, importPath, stdout, crane) {
  const digest = builtRef(host, repo, importPath, stdout);
  const ref = `${host}/${repo}/${koName(importPath)}@${digest}`;
  const served = (await crane(['digest', ref])).trim();
  if (served !== digest) fail(`crane digest ${ref} printed ${served}`);
  return [digest];
}

/** Fails unless `ref` is an image index of exactly linux/amd64 and linux/arm64 images. */
async function checkIndex(ref, crane) {
  const index = JSON.parse(await crane(['manifest', ref]));
  const platforms = (index.manifests ?? [])
    .map((m) => `${m.platform?.os}/${m.platform?.architecture}`)
    .sort();
  if (platforms.join(',') !== 'linux/amd64,linux/arm64')
    fail(`${ref} is not an index of linux/amd64 and linux/arm64: ${JSON.stringify(index)}`);
}

/**
 * A resolve output: YAML documents (7: five Deployments, a Service, a ConfigMap), no `ko://` left,
 * and one `<host>/<repo>/<ko name>@sha256:` image per service that the registry serves. Returns the
 * digests in service order.
 */
async function checkResolved(host, repo, stdout, crane) {
  // ko ends its output with a bare `---`: an empty document, which does not count.
  const docs = parseAllDocuments(stdout).filter(
    (d) => d.contents !== null && !(isScalar(d.contents) && d.contents.value === null),
  );
  const error = docs.flatMap((d) => d.errors)[0];
  if (error) fail(`the resolve output does not parse as YAML: ${error.message}`);
  if (docs.length !== SERVICES.length + 2) fail(`${docs.length} documents in the resolve output, not 7`);
  if (stdout.includes('ko://')) fail(`the resolve output still holds ko:// references:\n${stdout}`);
  const images = [];
  for (const doc of docs)
    visit(doc, {
      Pair: (_, pair) => {
        if (isScalar(pair.key) && pair.key.value === 'image' && isScalar(pair.value))
          images.push(pair.value.value);
      },
    });
  const digests = [];
  for (const service of SERVICES) {
    const name = `${host}/${repo}/${koName(`${MODULE}/cmd/${service}`)}`;
    const found = images.filter((image) => new RegExp(`^${escape(name)}${SHA}$`).test(image));
    if (found.length !== 1) fail(`expected one ${name}@sha256:... in the resolve output, got:\n${stdout}`);
    const digest = found[0].split('@')[1];
    const served = (await crane(['digest', found[0]])).trim();
    if (served !== digest) fail(`crane digest ${found[0]} printed ${served}`);
    digests.push(digest);
  }
  if (images.length !== SERVICES.length) fail(`${images.length} image fields in the resolve output, not 5`);
  return digests;
}

/**
 * A --push=false --tarball build: a reference on stdout (with or without a tag before the digest)
 * and a docker-loadable tarball holding one image (its manifest.json read with GNU tar). Removes
 * the tarball. Returns the printed digest.
 */
async function checkTarball(host, repo, importPath, stdout, file, tool) {
  try {
    const digest = builtRef(host, repo, importPath, stdout, '(?::[\\w][\\w.-]*)?');
    const manifest = JSON.parse((await tool('tar', ['-xOf', file, 'manifest.json'])).stdout);
    if (!Array.isArray(manifest) || manifest.length !== 1 || !manifest[0].Config)
      fail(`${file}: manifest.json is not one image: ${JSON.stringify(manifest)}`);
    return [digest];
  } finally {
    await rm(file, { force: true });
  }
}
