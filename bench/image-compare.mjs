/**
 * Compares two images in a registry with independent tools only (skopeo, umoci, GNU tar, Debian's
 * docker), never with kodev's code, so that a bug in kodev's image model cannot hide behind itself.
 * ko-bench.mjs uses it on the last image each tool built in its first scenario. Every difference is
 * reported, expected or not: the point is to find them.
 *
 * - manifest: every field of the raw manifests (`skopeo inspect --raw`), annotations included;
 * - config: every field of the image configs (`skopeo inspect --config`) but the layer diff IDs;
 * - layers: per layer, the diff ID and, where the uncompressed content differs, the entries of
 *   `tar -tv --full-time` that differ or, with the same entries, the raw tar headers field by field
 *   (tar-headers.py, Python's standard library);
 * - files: both images unpacked with `umoci raw unpack`, then the trees walked: path, type, mode,
 *   owner, size, mtime, symlink target and sha256 of the content;
 * - run: `docker pull` into a private dockerd and `docker run --rm --network=none`: stdout,
 *   stderr and exit code.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, URL } from 'node:url';

const SIDES = ['kodev', 'ko'];
/** Dumps a layer's raw tar headers as JSON (Python's standard library only). */
const TAR_HEADERS = fileURLToPath(new URL('tar-headers.py', import.meta.url));

/**
 * Compares `refs.kodev` and `refs.ko` (`host/repo@sha256:...` on a plain-HTTP loopback registry).
 * `tool` is makeTool's; `tmp` a scratch directory; `docker(args)` runs the docker CLI against a
 * private dockerd (it must accept `{ reject, timeout }`). Returns `{ same, verdict, differences, digests, paths, fields, run }`: `differences`
 * lists every difference found as one line each, `verdict` is the short form for the table.
 */
export async function compareImages(refs, { tool, tmp, docker }) {
  const sides = {};
  for (const side of SIDES) sides[side] = await fetchImage(side, refs[side], { tool, tmp });
  const [a, b] = SIDES.map((s) => sides[s]);
  const differences = [
    ...deepDiff(a.manifest, b.manifest).map((d) => `manifest ${d}`),
    ...deepDiff(withoutDiffIds(a.config), withoutDiffIds(b.config)).map((d) => `config ${d}`),
    ...(await compareLayers(a, b, tool)),
  ];
  const trees = await Promise.all([walk(a.rootfs), walk(b.rootfs)]);
  differences.push(...compareTrees(...trees));
  const run = {};
  for (const side of SIDES) run[side] = await runImage(refs[side], docker);
  for (const key of ['exitCode', 'stdout', 'stderr'])
    if (run.kodev[key] !== run.ko[key])
      differences.push(
        `docker run ${key}: kodev ${JSON.stringify(run.kodev[key])} vs ko ${JSON.stringify(run.ko[key])}`,
      );
  const digests = Object.fromEntries(SIDES.map((s) => [s, sides[s].digest]));
  const same = digests.kodev === digests.ko;
  const kinds = countKinds(differences);
  const verdict = same
    ? 'yes: identical manifest digest'
    : differences.length === 0
      ? 'no: digests differ, yet no difference found'
      : `no: ${Object.entries(kinds)
          .map(([kind, n]) => `${n} ${kind}`)
          .join(', ')}`;
  const fields = {};
  for (const key of ['Entrypoint', 'Cmd', 'Env', 'User', 'WorkingDir'])
    fields[key] = Object.fromEntries(SIDES.map((s) => [s, sides[s].config.config?.[key] ?? null]));
  fields.annotations = Object.fromEntries(SIDES.map((s) => [s, sides[s].manifest.annotations ?? null]));
  const paths = Object.fromEntries(SIDES.map((s, i) => [s, trees[i].size]));
  return { same, verdict, differences, digests, paths, fields, run };
}

/** The manifest, config, OCI layout copy and unpacked rootfs of one image. */
async function fetchImage(side, ref, { tool, tmp }) {
  const digest = ref.split('@')[1];
  const inspect = async (view) =>
    JSON.parse((await tool('skopeo', ['inspect', view, '--tls-verify=false', `docker://${ref}`])).stdout);
  const layout = path.join(tmp, `compare-${side}`, 'layout');
  const rootfs = path.join(tmp, `compare-${side}`, 'rootfs');
  await mkdir(path.dirname(layout), { recursive: true });
  await tool('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `oci:${layout}:img`]);
  // Not rootless: the bench runs as root (for dockerd), so owners are restored and can be compared.
  await tool('umoci', ['raw', 'unpack', '--image', `${layout}:img`, rootfs]);
  return { digest, manifest: await inspect('--raw'), config: await inspect('--config'), layout, rootfs };
}

function withoutDiffIds(config) {
  return { ...config, rootfs: { ...config.rootfs, diff_ids: '(compared per layer)' } };
}

/**
 * Every difference between two JSON values, one line per differing leaf: `path: kodev <v> vs ko
 * <v>`, or `path: only in kodev/ko: <v>` for keys one side lacks. Arrays compare index by index.
 */
export function deepDiff(a, b, at = '') {
  const show = (v) => JSON.stringify(v);
  if (isContainer(a) && isContainer(b) && Array.isArray(a) === Array.isArray(b)) {
    const keys = Array.isArray(a)
      ? [...Array(Math.max(a.length, b.length)).keys()]
      : [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((key) => {
      const sub = Array.isArray(a) ? `${at}[${key}]` : `${at}.${key}`;
      if (!(key in a)) return [`${sub}: only in ko: ${show(b[key])}`];
      if (!(key in b)) return [`${sub}: only in kodev: ${show(a[key])}`];
      return deepDiff(a[key], b[key], sub);
    });
  }
  return show(a) === show(b) ? [] : [`${at || '.'}: kodev ${show(a)} vs ko ${show(b)}`];
}

function isContainer(v) {
  return typeof v === 'object' && v !== null;
}

/**
 * Per layer: diff ID, and where the diff IDs differ, the entries of GNU tar's verbose listing that
 * only one side has, or that are in another order. When the listings are the same, the raw ustar
 * headers (bench/tar-headers.py) are compared field by field, to show what the bytes differ in.
 */
async function compareLayers(a, b, tool) {
  const out = [];
  const ids = [a, b].map((img) => img.config.rootfs?.diff_ids ?? []);
  const count = Math.max(ids[0].length, ids[1].length);
  for (let i = 0; i < count; i++) {
    if (ids[0][i] === ids[1][i]) continue;
    out.push(`layer ${i} diff_id: kodev ${ids[0][i] ?? '(none)'} vs ko ${ids[1][i] ?? '(none)'}`);
    const blobs = [a, b].map((img) => {
      const layer = img.manifest.layers?.[i];
      return layer && path.join(img.layout, 'blobs', ...layer.digest.split(':'));
    });
    if (!blobs[0] || !blobs[1]) continue;
    const [ta, tb] = await Promise.all(
      blobs.map(async (blob) =>
        (await tool('tar', ['-tv', '--full-time', '-f', blob])).stdout.split('\n').filter(Boolean),
      ),
    );
    const onlyA = ta.filter((line) => !tb.includes(line));
    const onlyB = tb.filter((line) => !ta.includes(line));
    out.push(...onlyA.map((l) => `layer ${i} tar entry only in kodev: ${l}`));
    out.push(...onlyB.map((l) => `layer ${i} tar entry only in ko: ${l}`));
    if (onlyA.length > 0 || onlyB.length > 0) continue;
    if (ta.join('\n') !== tb.join('\n')) {
      out.push(
        `layer ${i} tar entry order: kodev [${ta.map(entryName).join(', ')}] vs ko [${tb.map(entryName).join(', ')}]`,
      );
      continue;
    }
    const [ha, hb] = await Promise.all(
      blobs.map(async (blob) => JSON.parse((await tool('python3', [TAR_HEADERS, blob])).stdout)),
    );
    out.push(...headerDiff(ha, hb).map((d) => `layer ${i} tar ${d}`));
  }
  return out;
}

/**
 * The differences between two tar-headers.py dumps. A header field that differs the same way in
 * several entries is one line naming those entries (so a formatting difference reads as one line,
 * not one per entry); everything else is deepDiff's.
 */
function headerDiff(a, b) {
  const { headers: ha, ...restA } = a;
  const { headers: hb, ...restB } = b;
  if (ha.length !== hb.length) return deepDiff(a, b);
  const out = deepDiff(restA, restB);
  const groups = new Map();
  ha.forEach((entry, k) => {
    const other = hb[k];
    const { header: fa, ...extraA } = entry;
    const { header: fb, ...extraB } = other;
    const name = fa.prefix ? `${fa.prefix}/${fa.name}` : fa.name;
    out.push(...deepDiff(extraA, extraB, `.headers[${k}] (${name})`));
    for (const field of Object.keys(fa)) {
      if (fa[field] === fb[field]) continue;
      const key = JSON.stringify([field, fa[field], fb[field]]);
      groups.set(key, [...(groups.get(key) ?? []), name]);
    }
  });
  for (const [key, names] of groups) {
    const [field, va, vb] = JSON.parse(key);
    out.push(
      `header ${field}: kodev ${JSON.stringify(va)} vs ko ${JSON.stringify(vb)} in ${names.length} of ${ha.length} entries (${names.join(', ')})`,
    );
  }
  return out;
}

/** The path at the end of a `tar -tv` line (with any `-> target`). */
function entryName(line) {
  return line.split(/\s+/).slice(5).join(' ');
}

/** path -> { type, mode, uid, gid, size, mtime, target, sha256 } for every entry under `root`. */
async function walk(root) {
  const tree = new Map();
  const visit = async (dir) => {
    for (const name of (await readdir(dir)).sort()) {
      const full = path.join(dir, name);
      const st = await lstat(full);
      const type = st.isDirectory()
        ? 'dir'
        : st.isSymbolicLink()
          ? 'symlink'
          : st.isFile()
            ? 'file'
            : 'other';
      const entry = {
        type,
        mode: (st.mode & 0o7777).toString(8).padStart(4, '0'),
        uid: st.uid,
        gid: st.gid,
        size: type === 'file' ? st.size : undefined,
        mtime: Math.floor(st.mtimeMs / 1000),
        target: type === 'symlink' ? await readlink(full) : undefined,
        sha256: type === 'file' ? await sha256(full) : undefined,
      };
      tree.set(`/${path.relative(root, full)}`, entry);
      if (type === 'dir') await visit(full);
    }
  };
  await visit(root);
  return tree;
}

function sha256(file) {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

/** One line per path only one tree has, and per attribute that differs between the two. */
function compareTrees(a, b) {
  const out = [];
  for (const p of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const [ea, eb] = [a.get(p), b.get(p)];
    if (!eb) out.push(`file ${p}: only in kodev (${describe(ea)})`);
    else if (!ea) out.push(`file ${p}: only in ko (${describe(eb)})`);
    else
      for (const key of Object.keys(ea))
        if (ea[key] !== eb[key]) out.push(`file ${p}: ${key} kodev ${ea[key]} vs ko ${eb[key]}`);
  }
  return out;
}

function describe(entry) {
  return Object.entries(entry)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/** Pulls `ref` into the private dockerd and runs it once with no arguments and no network. */
async function runImage(ref, docker) {
  await docker(['pull', '--quiet', ref]);
  const result = await docker(['run', '--rm', '--network=none', ref], { reject: false, timeout: 120_000 });
  return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

/** Counts differences by kind (the first word of each line), for the verdict. */
function countKinds(differences) {
  const kinds = {};
  for (const line of differences) {
    const kind = line.startsWith('docker run') ? 'run' : line.split(' ')[0];
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  const names = {
    manifest: 'manifest fields',
    config: 'config fields',
    layer: 'layer diffs',
    file: 'file diffs',
  };
  return Object.fromEntries(Object.entries(kinds).map(([k, n]) => [names[k] ?? k, n]));
}
