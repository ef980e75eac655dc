/**
 * Base images for tests, made and checked with independent tools only (umoci,
 * skopeo, jq), never with kodev's own code, so a bug in kodev's image model
 * cannot hide behind a fixture built by the same bug. The content is Debian's
 * static busybox, so the images can run `sh` in a real container.
 *
 * Every maker caches per process by its arguments, and calls that write into
 * the same OCI layout are serialised, so several tests may share one layout.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import {
  access,
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  rename,
  rm,
  rmdir,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { execa } from 'execa';
import { INSTALL_HINT } from './processes.js';

/** Debian's statically linked busybox (package busybox-static), copied into every base image. */
export const BUSYBOX = '/bin/busybox';

const REF_NAME = 'org.opencontainers.image.ref.name';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const DEFAULT_PATH = 'PATH=/usr/local/bin:/usr/bin:/bin';
const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnonroot:x:65532:65532:nonroot:/home/nonroot:/bin/sh\n';
const GROUP = 'root:x:0:\nnonroot:x:65532:\n';

/** Options for `makeOciBase`. */
export interface OciBaseOptions {
  arch?: 'amd64' | 'arm64';
  os?: 'linux' | 'windows';
  /** Config.User, e.g. `65532` or `nonroot`. Unset by default (root). */
  user?: string;
  /** Extra environment; PATH defaults to `/usr/local/bin:/usr/bin:/bin`. */
  env?: Record<string, string>;
  /** Config.Cmd. */
  cmd?: string[];
  /** The tag (ref name) in the layout. Default `latest`. */
  tag?: string;
}

/** A single-platform base image in an OCI layout. */
export interface OciBase {
  /** The OCI layout directory (absolute). */
  layout: string;
  /** A containers-transport reference: `oci:<layout>:<tag>`. */
  ref: string;
  /** The image manifest digest, as listed in the layout's index.json. */
  digest: string;
}

/** A multi-platform base image: an OCI image index inside an OCI layout. */
export interface MultiArchBase extends OciBase {
  /** `digest` is the nested image index's digest; these are its children, in the order asked for. */
  manifests: Array<{ platform: string; digest: string }>;
}

/** A base image saved in Docker's `docker save` format. */
export interface DockerArchiveBase {
  file: string;
  /** The tag `docker load` gives it, e.g. `kodev-test/base:v1`. */
  tag: string;
  /** A containers-transport reference: `docker-archive:<file>`. */
  ref: string;
}

const cache = new Map<string, Promise<unknown>>();
const layoutLocks = new Map<string, Promise<unknown>>();
const tagOwners = new Map<string, string>();

/**
 * Makes a busybox image with umoci in the OCI layout `dir` (created if
 * missing): /bin/busybox with /bin/sh, /bin/cat and /bin/ls links, and an
 * /etc/passwd with `nonroot` (65532), so images can run a shell as non-root.
 */
export async function makeOciBase(dir: string, options: OciBaseOptions = {}): Promise<OciBase> {
  const layout = resolve(dir);
  const tag = options.tag ?? 'latest';
  const spec: BuildSpec = {
    arch: options.arch ?? 'amd64',
    os: options.os ?? 'linux',
    user: options.user,
    env: options.env,
    cmd: options.cmd,
  };
  claimTag(layout, tag, spec);
  return cached(['oci', layout, tag, spec], () =>
    withLayoutLock(layout, async () => {
      const digest = await buildImage(layout, tag, spec);
      return { layout, ref: `oci:${layout}:${tag}`, digest };
    }),
  );
}

/**
 * Makes one OCI layout in `dir` whose index.json has one entry, tag `multi`,
 * pointing at an OCI image index of umoci-made images, one per platform
 * (`os/arch[/variant]`). `unknown/unknown` adds an entry shaped like Docker's
 * attestation manifests, which consumers must skip.
 */
export async function makeMultiArchBase(dir: string, platforms: readonly string[]): Promise<MultiArchBase> {
  const layout = resolve(dir);
  const tag = 'multi';
  claimTag(layout, tag, platforms);
  return cached(['multi', layout, platforms], () =>
    withLayoutLock(layout, async () => {
      const children: Array<{ platform: string; tag: string; descriptor: Descriptor }> = [];
      for (const platform of platforms) {
        const [os = '', arch = '', variant] = platform.split('/');
        const childTag = `kodev-tmp-${platform.replaceAll('/', '-')}`;
        await buildImage(layout, childTag, { arch, os, content: os !== 'unknown' });
        const descriptor = await descriptorFor(layout, childTag);
        descriptor.platform = { architecture: arch, os, ...(variant ? { variant } : {}) };
        children.push({ platform, tag: childTag, descriptor });
      }
      const firstImage = children.find((c) => !c.platform.startsWith('unknown/'));
      for (const child of children) {
        delete child.descriptor.annotations;
        if (child.platform.startsWith('unknown/') && firstImage) {
          child.descriptor.annotations = {
            'vnd.docker.reference.type': 'attestation-manifest',
            'vnd.docker.reference.digest': firstImage.descriptor.digest,
          };
        }
      }
      // The one hand-written document: umoci cannot make an image index.
      const indexBytes = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_INDEX,
          manifests: children.map((c) => c.descriptor),
        }),
      );
      const hex = createHash('sha256').update(indexBytes).digest('hex');
      await writeFile(join(layout, 'blobs', 'sha256', hex), indexBytes);
      const digest = `sha256:${hex}`;
      await rewriteIndexJson(layout, [...children.map((c) => c.tag), tag], {
        mediaType: OCI_INDEX,
        digest,
        size: indexBytes.length,
        annotations: { [REF_NAME]: tag },
      });
      await tool('umoci', ['gc', '--layout', layout]);
      return {
        layout,
        ref: `oci:${layout}:${tag}`,
        digest,
        manifests: children.map((c) => ({ platform: c.platform, digest: c.descriptor.digest })),
      };
    }),
  );
}

/**
 * Copies an image to a `docker save` style archive with skopeo, which gives it
 * Docker media types; `docker load -i <file>` then names it `tag`.
 */
export function makeDockerArchiveBase(ociRef: string, file: string, tag: string): Promise<DockerArchiveBase> {
  const path = resolve(file);
  return cached(['docker-archive', ociRef, path, tag], async () => {
    await mkdir(dirname(path), { recursive: true });
    // skopeo refuses to add to an existing archive.
    await rm(path, { force: true });
    await tool('skopeo', ['copy', '--quiet', ociRef, `docker-archive:${path}:${tag}`]);
    return { file: path, tag, ref: `docker-archive:${path}` };
  });
}

/**
 * `skopeo inspect <ref>`: the summary (Digest, Architecture, Os, Layers, Env...).
 * `platform` (`os/arch[/variant]`) picks the image from an index instead of the host's platform.
 */
export function skopeoInspect(ref: string, view?: undefined, platform?: string): Promise<SkopeoSummary>;
/** `skopeo inspect --raw <ref>`: the manifest or index exactly as stored. */
export function skopeoInspect(ref: string, view: 'raw', platform?: string): Promise<RawManifest>;
/** `skopeo inspect --config <ref>`: the image config (for an index, of `platform` or the host's). */
export function skopeoInspect(ref: string, view: 'config', platform?: string): Promise<ImageConfig>;
export async function skopeoInspect(
  ref: string,
  view?: 'raw' | 'config',
  platform?: string,
): Promise<unknown> {
  const overrides: string[] = [];
  if (platform !== undefined) {
    const [os = '', arch = '', variant] = platform.split('/');
    overrides.push('--override-os', os, '--override-arch', arch);
    if (variant) overrides.push('--override-variant', variant);
  }
  const flags = view === undefined ? [] : [`--${view}`];
  const { stdout } = await tool('skopeo', [...overrides, 'inspect', ...flags, ref]);
  return JSON.parse(stdout);
}

/**
 * Unpacks an image from an OCI layout with umoci (rootless, so no ownership
 * changes are needed) and returns the rootfs path. `layoutRef` is
 * `<layout>:<tag>` or `oci:<layout>:<tag>`; `destDir` must be absent or empty.
 */
export async function umociUnpack(layoutRef: string, destDir: string): Promise<string> {
  const image = layoutRef.startsWith('oci:') ? layoutRef.slice('oci:'.length) : layoutRef;
  const dest = resolve(destDir);
  await tool('umoci', ['unpack', '--rootless', '--image', image, dest]);
  return join(dest, 'rootfs');
}

/** What `skopeo inspect` prints, in the parts tests read. */
export interface SkopeoSummary {
  Digest: string;
  Architecture: string;
  Os: string;
  Variant?: string;
  Layers: string[];
  Env: string[] | null;
  Labels: Record<string, string> | null;
  [key: string]: unknown;
}

/** An OCI descriptor as found in manifests and indexes. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string; variant?: string };
  annotations?: Record<string, string>;
}

/** A raw image manifest or image index, loosely typed. */
export interface RawManifest {
  schemaVersion: number;
  mediaType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
  annotations?: Record<string, string>;
}

/** An image config, in the parts tests read. */
export interface ImageConfig {
  architecture: string;
  created?: string;
  os: string;
  variant?: string;
  config?: {
    User?: string;
    Env?: string[];
    Cmd?: string[];
    Entrypoint?: string[];
    WorkingDir?: string;
    Labels?: Record<string, string>;
  };
  rootfs: { type: string; diff_ids: string[] };
  history?: Array<Record<string, unknown>>;
}

interface BuildSpec {
  arch: string;
  os: string;
  user?: string | undefined;
  env?: Record<string, string> | undefined;
  cmd?: string[] | undefined;
  /** Add the busybox layer (false for attestation-like entries). Default true. */
  content?: boolean;
}

/** Makes or replaces `tag` in the layout with umoci and returns its manifest digest. */
async function buildImage(layout: string, tag: string, spec: BuildSpec): Promise<string> {
  await ensureLayout(layout);
  const image = `${layout}:${tag}`;
  await tool('umoci', ['new', '--image', image]);
  if (spec.content ?? true) {
    const work = await mkdtemp(join(tmpdir(), 'kodev-bundle-'));
    try {
      const bundle = join(work, 'bundle');
      await tool('umoci', ['unpack', '--rootless', '--image', image, bundle]);
      await writeBusyboxRootfs(join(bundle, 'rootfs'));
      await tool('umoci', ['repack', '--image', image, bundle]);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
  const env = { PATH: DEFAULT_PATH.slice('PATH='.length), ...spec.env };
  const args = ['config', '--image', image, '--architecture', spec.arch, '--os', spec.os];
  for (const [key, value] of Object.entries(env)) args.push('--config.env', `${key}=${value}`);
  if (spec.user !== undefined) args.push('--config.user', spec.user);
  for (const part of spec.cmd ?? []) args.push('--config.cmd', part);
  await tool('umoci', args);
  await tool('umoci', ['gc', '--layout', layout]);
  return (await descriptorFor(layout, tag)).digest;
}

async function writeBusyboxRootfs(rootfs: string): Promise<void> {
  try {
    await access(BUSYBOX, constants.R_OK);
  } catch (err) {
    throw new Error(`${BUSYBOX} (package busybox-static) is missing: ${INSTALL_HINT}`, { cause: err });
  }
  await mkdir(join(rootfs, 'bin'), { recursive: true });
  await mkdir(join(rootfs, 'etc'), { recursive: true });
  await copyFile(BUSYBOX, join(rootfs, 'bin', 'busybox'));
  for (const name of ['sh', 'cat', 'ls']) await symlink('busybox', join(rootfs, 'bin', name));
  await writeFile(join(rootfs, 'etc', 'passwd'), PASSWD);
  await writeFile(join(rootfs, 'etc', 'group'), GROUP);
}

/** `umoci init` refuses an existing path, even an empty one. */
async function ensureLayout(layout: string): Promise<void> {
  if (await exists(join(layout, 'index.json'))) return;
  if (await exists(layout)) {
    await rmdir(layout).catch((err: unknown) => {
      throw new Error(`${layout} exists and is not an OCI layout or an empty dir`, { cause: err });
    });
  }
  await mkdir(dirname(layout), { recursive: true });
  await tool('umoci', ['init', '--layout', layout]);
}

async function descriptorFor(layout: string, tag: string): Promise<Descriptor> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as RawManifest;
  const found = index.manifests?.find((d) => d.annotations?.[REF_NAME] === tag);
  if (!found) throw new Error(`tag ${tag} not found in ${layout}/index.json`);
  return found;
}

/** Drops `dropTags` from index.json and appends `entry`, with jq. */
async function rewriteIndexJson(layout: string, dropTags: string[], entry: Descriptor): Promise<void> {
  const file = join(layout, 'index.json');
  const { stdout } = await tool('jq', [
    '--argjson',
    'drop',
    JSON.stringify(dropTags),
    '--argjson',
    'entry',
    JSON.stringify(entry),
    '-c',
    `.manifests = ([.manifests[] | select((.annotations["${REF_NAME}"] // "") as $t | $drop | index($t) | not)] + [$entry])`,
    file,
  ]);
  await writeFile(`${file}.tmp`, stdout);
  await rename(`${file}.tmp`, file);
}

async function tool(file: string, args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  try {
    const result = await execa(file, args, { timeout: 120_000 });
    return { stdout: String(result.stdout), stderr: String(result.stderr) };
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') {
      throw new Error(`${file} is not installed: ${INSTALL_HINT}`, { cause: err });
    }
    throw err;
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function cached<T>(key: unknown[], make: () => Promise<T>): Promise<T> {
  const id = JSON.stringify(key);
  let entry = cache.get(id) as Promise<T> | undefined;
  if (!entry) {
    entry = make();
    cache.set(id, entry);
    // A failure is not cached, so a later call can retry.
    entry.catch(() => cache.delete(id));
  }
  return entry;
}

/**
 * Remakes of a tag would change the digest that earlier callers hold, so one
 * process may make a tag in a layout with one set of options only.
 */
function claimTag(layout: string, tag: string, spec: unknown): void {
  const id = `${layout}:${tag}`;
  const wanted = JSON.stringify(spec);
  const owner = tagOwners.get(id);
  if (owner !== undefined && owner !== wanted) {
    throw new Error(`${id} was already made with other options (${owner}); use another tag or dir`);
  }
  tagOwners.set(id, wanted);
}

function withLayoutLock<T>(layout: string, work: () => Promise<T>): Promise<T> {
  const previous = layoutLocks.get(layout) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(work);
  layoutLocks.set(layout, next);
  return next;
}
