/**
 * The Go builder: compiles a main package per platform and lays the binary
 * and its kodata on the base image, producing an image or an index.
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import type { KodevConfig } from '../config/types.js';
import { UserError } from '../errors.js';
import { type GoTool, goBuild, goVersionM } from '../gotool/go.js';
import type { MainPackage, MainPackageResolver } from '../gotool/main-package.js';
import { GZIP_FORMAT } from '../oci/gzip.js';
import { type Artifact, assembleImage, assembleIndex, type Image, type Layer } from '../oci/image.js';
import { formatPlatform, PlatformMatcher } from '../oci/platform.js';
import { type Descriptor, MediaType, type Platform } from '../oci/types.js';
import type { LayerCache } from '../cache/layer-cache.js';
import type { RenderedSbom } from '../sbom/index.js';
import type { Base, BaseResolver } from './base.js';
import type { Builder, BuildResult } from './builder.js';
import { compilePlan, planDir, takeEarlyCompile } from './early-compile.js';
import type { RenderTemplate } from './go-args.js';
import { appConfig, rfc3339, scratchConfig } from './image-config.js';
import { collectKodata } from './kodata.js';
import { appFilename, appPath, binaryTar, kodataTar, layerFromTar } from './layers.js';
import { findRepositoryRoot } from './repo-root.js';
import type { SbomRecorder } from './sbom-recorder.js';
import { traceMark } from '../system/timings.js';

const BASE_NAME = 'org.opencontainers.image.base.name';
const BASE_DIGEST = 'org.opencontainers.image.base.digest';

/** Everything the Go builder needs, passed in rather than read from the process. */
export interface GoBuilderOptions {
  go: GoTool;
  config: KodevConfig;
  packages: MainPackageResolver;
  bases: BaseResolver;
  /** Platform spec: `['all']` or `os/arch[/variant]` strings. */
  platforms: string[];
  disableOptimizations: boolean;
  trimpath: boolean;
  /** SOURCE_DATE_EPOCH: image creation time. */
  sourceDateEpoch?: number;
  /** KO_DATA_DATE_EPOCH: kodata file times (default 0). */
  kodataDateEpoch?: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  user?: string;
  jobs: number;
  tmpDir: string;
  /**
   * Where binaries are built (like ko with KOCACHE): one stable path per
   * package, platform and build settings, so `go build` finds an up-to-date
   * binary there and skips the link. Without it, a fresh temp dir per build.
   */
  binDir?: string;
  render: RenderTemplate;
  log: (message: string) => void;
  /** Reuses binary layers of unchanged binaries (KOCACHE). */
  layerCache?: LayerCache;
  /** Makes the SBOMs; `none` format skips them. */
  sbom: SbomRecorder;
  /** Called after each `go build` with the binary still on disk (the dev loop reads its content ID here). */
  onCompiled?: (e: {
    importPath: string;
    platform: Platform;
    file: string;
    compileMs: number;
  }) => Promise<void>;
  /**
   * Called with each platform's image as soon as it is assembled, while the
   * other platforms and packages may still be building (the registry
   * publisher starts pushing its blobs).
   */
  onImage?: (importPath: string, image: Image) => void;
}

/** Builds Go main packages into images. */
export class GoBuilder implements Builder {
  private readonly limit;
  private readonly matcher: PlatformMatcher;
  private readonly byImportPath = new Map<string, Promise<BuildResult>>();
  /** Each platform's layers by import path and platform, so those started early are not made twice. */
  private readonly layers = new Map<string, PlatformLayers>();

  constructor(private readonly o: GoBuilderOptions) {
    this.limit = pLimit(Math.max(1, o.jobs));
    this.matcher = new PlatformMatcher(o.platforms);
  }

  /** Builds a reference; spellings of the same package (./dir, import path, ko://) share one build. */
  async build(ref: string, signal?: AbortSignal): Promise<BuildResult> {
    const pkg = await this.o.packages.resolve(ref);
    let p = this.byImportPath.get(pkg.importPath);
    if (!p) {
      // The platforms are named: compile and make the layers while the base image is fetched, not after.
      if (!this.matcher.all)
        for (const platform of this.matcher.platforms) this.layersOnce(pkg, platform, signal);
      p = this.o.bases
        .fetch(pkg.importPath)
        .then(async (base) => {
          const sboms = new Map<string, RenderedSbom>();
          const artifact = await this.buildOnBase(pkg, base, sboms, signal);
          return { importPath: pkg.importPath, artifact, sboms };
        })
        .finally(() => {
          // The layers are in images now (or the base failed); do not hold them for the rest of the run.
          for (const key of [...this.layers.keys()])
            if (key.startsWith(`${pkg.importPath} `)) this.layers.delete(key);
        });
      this.byImportPath.set(pkg.importPath, p);
    }
    return p;
  }

  /**
   * Compiles a reference for one platform straight to `out`, with no image
   * and no base (the dev loop's local runtime runs the binary itself).
   */
  async buildBinary(
    ref: string,
    platform: Platform,
    out: string,
    signal?: AbortSignal,
  ): Promise<MainPackage> {
    const pkg = await this.o.packages.resolve(ref);
    await this.limit(() => this.goBuildTo(pkg, platform, out, signal));
    return pkg;
  }

  private async buildOnBase(
    pkg: MainPackage,
    base: Base,
    sboms: Map<string, RenderedSbom>,
    signal?: AbortSignal,
  ): Promise<Artifact> {
    const art = base.artifact;
    if (!art) return this.buildOnScratch(pkg, base, sboms, signal);
    if (art.kind === 'image') {
      const platform = configPlatform(art);
      if (!this.matcher.matches(platform)) {
        throw new UserError(
          `base image ${base.name} is ${formatPlatform(platform)}, which does not match the requested platforms ${this.o.platforms.join(',')}`,
          { hint: `pass --platform=${formatPlatform(platform)}, or use a multi-platform base` },
        );
      }
      return this.buildOne(
        sboms,
        pkg,
        art,
        platform,
        { ...art.manifest.annotations, [BASE_DIGEST]: art.digest, [BASE_NAME]: base.name },
        signal,
      );
    }
    const matches = art.children.filter((c) => this.matcher.matches(c.descriptor.platform));
    if (matches.length === 0) {
      const have = art.children
        .map((c) => (c.descriptor.platform ? formatPlatform(c.descriptor.platform) : '?'))
        .join(', ');
      throw new UserError(
        `base image ${base.name} has no platform matching ${this.o.platforms.join(',')} (it has ${have})`,
        {
          hint: 'pick platforms the base provides with --platform or defaultPlatforms',
        },
      );
    }
    const built = await Promise.all(
      matches.map(async (c) => ({
        descriptor: c.descriptor,
        image: await this.buildOne(
          sboms,
          pkg,
          c.image,
          c.descriptor.platform ?? configPlatform(c.image),
          { ...c.image.manifest.annotations, [BASE_DIGEST]: c.descriptor.digest, [BASE_NAME]: base.name },
          signal,
        ),
      })),
    );
    if (built.length === 1 && built[0]) return built[0].image;
    const index = assembleIndex({
      mediaType: art.index.mediaType ?? MediaType.ociIndex,
      children: built.map(({ descriptor, image }) => ({ descriptor: childDescriptor(descriptor), image })),
      annotations: { ...art.index.annotations, ...this.o.annotations },
    });
    await this.o.sbom.index(sboms, index, appFilename(pkg.importPath));
    return index;
  }

  private async buildOnScratch(
    pkg: MainPackage,
    base: Base,
    sboms: Map<string, RenderedSbom>,
    signal?: AbortSignal,
  ): Promise<Artifact> {
    if (this.matcher.all) {
      throw new UserError('--platform=all needs a base image that lists platforms; scratch has none', {
        hint: 'name the platforms, e.g. --platform=linux/amd64,linux/arm64',
      });
    }
    const built = await Promise.all(
      this.matcher.platforms.map(async (platform) => {
        const empty = assembleImage({
          mediaType: MediaType.ociManifest,
          configMediaType: MediaType.ociConfig,
          config: scratchConfig(platform),
          layers: [],
        });
        const image = await this.buildOne(
          sboms,
          pkg,
          empty,
          platform,
          { [BASE_DIGEST]: empty.digest, [BASE_NAME]: base.name },
          signal,
        );
        return { descriptor: { mediaType: MediaType.ociManifest, platform }, image };
      }),
    );
    if (built.length === 1 && built[0]) return built[0].image;
    const index = assembleIndex({
      mediaType: MediaType.ociIndex,
      children: built,
      annotations: this.o.annotations,
    });
    await this.o.sbom.index(sboms, index, appFilename(pkg.importPath));
    return index;
  }

  private async buildOne(
    sboms: Map<string, RenderedSbom>,
    pkg: MainPackage,
    base: Image,
    platform: Platform,
    annotations: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<Image> {
    const docker = base.manifest.mediaType === MediaType.dockerManifest;
    const layerType = docker ? MediaType.dockerLayerGzip : MediaType.ociLayerGzip;
    const appFileName = appFilename(pkg.importPath);
    const binaryPath = appPath(pkg.importPath);
    const kodataMtime = this.o.kodataDateEpoch ?? 0;
    const layers = this.layersOnce(pkg, platform, signal);
    // A failed compile is the error to report; the kodata error, if any, is still thrown below.
    const { binaryLayer: binaryMade, goVersionM } = await layers.compiled;
    const [kodataLayer, binaryLayer] = (await Promise.all([layers.kodata, binaryMade])).map((l) =>
      withMediaType(l, layerType),
    ) as [Layer, Layer];
    traceMark(`layers of ${pkg.importPath} for ${formatPlatform(platform)} made`);
    const created = this.o.sourceDateEpoch === undefined ? undefined : rfc3339(this.o.sourceDateEpoch);
    const historyTime = created ?? rfc3339(0);
    const config = appConfig(base.config, {
      platform,
      appFileName,
      diffIds: [kodataLayer.diffId, binaryLayer.diffId],
      history: [
        {
          author: 'kodev',
          created: rfc3339(kodataMtime),
          created_by: `kodev build ko://${pkg.importPath}`,
          comment: 'kodata contents, at $KO_DATA_PATH',
        },
        {
          author: 'kodev',
          created: historyTime,
          created_by: `kodev build ko://${pkg.importPath}`,
          comment: `go build output, at ${binaryPath}`,
        },
      ],
      ...(created ? { created } : {}),
      ...(this.o.user !== undefined ? { user: this.o.user } : {}),
      labels: this.o.labels,
      author: 'kodev',
    });
    const image = assembleImage({
      mediaType: docker ? MediaType.dockerManifest : MediaType.ociManifest,
      configMediaType: base.manifest.config.mediaType,
      config,
      layers: [...base.layers, kodataLayer, binaryLayer],
      annotations: { ...annotations, ...this.o.annotations },
    });
    this.o.onImage?.(pkg.importPath, image);
    if (goVersionM !== undefined)
      await this.o.sbom.image(sboms, image, { appFileName, appPath: binaryPath, platform, goVersionM });
    return image;
  }

  /**
   * One `go build` of `pkg` to `out` (or, with `early`, the same one the
   * command already started: build/early-compile.ts), then the `onCompiled`
   * hook with the file still there.
   */
  private async goBuildTo(
    pkg: MainPackage,
    platform: Platform,
    out: string,
    signal?: AbortSignal,
    plan = compilePlan(pkg, platform, this.o.config, this.o.render, this.o),
    early?: Promise<void>,
  ): Promise<void> {
    this.o.log(`Building ${pkg.importPath} for ${formatPlatform(platform)}`);
    const started = performance.now();
    // A failed early compile runs again here, so its error is reported as any other.
    const done = early
      ? await early.then(
          () => true,
          () => false,
        )
      : false;
    if (!done)
      await goBuild(this.o.go, {
        cwd: pkg.moduleDir,
        importPath: pkg.importPath,
        out,
        env: plan.env,
        flags: plan.flags,
        ...(signal ? { signal } : {}),
      });
    await this.o.onCompiled?.({
      importPath: pkg.importPath,
      platform,
      file: out,
      compileMs: performance.now() - started,
    });
  }

  /**
   * Starts (once) a platform's kodata layer and its compile, then its binary
   * layer as soon as the binary is there. Neither waits for the base image:
   * the base decides only the layers' media type (buildOne sets it), not
   * their bytes.
   */
  private layersOnce(pkg: MainPackage, platform: Platform, signal?: AbortSignal): PlatformLayers {
    const key = `${pkg.importPath} ${formatPlatform(platform)}`;
    let layers = this.layers.get(key);
    if (!layers) {
      layers = {
        kodata: this.kodataLayer(pkg, platform),
        compiled: this.limit(() => this.compile(pkg, platform, signal)),
      };
      // buildOne awaits both; a failure is reported from there.
      layers.kodata.catch(() => undefined);
      layers.compiled.catch(() => undefined);
      this.layers.set(key, layers);
    }
    return layers;
  }

  private async kodataLayer(pkg: MainPackage, platform: Platform): Promise<Layer> {
    const files = await collectKodata(join(pkg.dir, 'kodata'), {
      boundary: await findRepositoryRoot(pkg.moduleDir),
      skipSymlinks: platform.os === 'windows',
      onSkip: (p) => this.o.log(`skipping symlink in kodata for windows: ${p}`),
    });
    return layerFromTar(await kodataTar(files, platform.os, this.o.kodataDateEpoch ?? 0), LAYER_TYPE);
  }

  private async compile(pkg: MainPackage, platform: Platform, signal?: AbortSignal): Promise<Compiled> {
    const plan = compilePlan(pkg, platform, this.o.config, this.o.render, this.o);
    const dir = this.o.binDir
      ? planDir(this.o.binDir, plan)
      : await mkdtemp(join(this.o.tmpDir, 'kodev-build-'));
    try {
      await mkdir(dir, { recursive: true });
      const out = join(dir, 'out');
      await this.goBuildTo(pkg, platform, out, signal, plan, takeEarlyCompile(out));
      // One read: readFile reads 512 KiB per turn of the event loop, and while this thread
      // compresses another platform's binary a turn lasts a piece's compression (~12 ms): a
      // two-platform build read an 8.8 MB binary 0.16 s after its go build ended. From the page
      // cache, this one read takes a few ms.
      const binaryLayer = this.binaryLayer(pkg, platform, readFileSync(out));
      binaryLayer.catch(() => undefined);
      // The module list for the SBOM comes from the binary itself, before it is removed.
      return this.o.sbom.enabled
        ? { binaryLayer, goVersionM: await goVersionM(this.o.go, out) }
        : { binaryLayer };
    } finally {
      if (!this.o.binDir) await rm(dir, { recursive: true, force: true });
    }
  }

  private binaryLayer(pkg: MainPackage, platform: Platform, binary: Buffer): Promise<Layer> {
    const path = appPath(pkg.importPath);
    const build = () => binaryTar(path, binary, platform.os).then((t) => layerFromTar(t, LAYER_TYPE));
    return this.o.layerCache
      ? this.o.layerCache.getOrBuild(['binary-layer-v2', GZIP_FORMAT, path, platform.os, binary], build)
      : build();
  }
}

/** A platform's two layers, as layersOnce starts them (with the OCI media type). */
interface PlatformLayers {
  kodata: Promise<Layer>;
  compiled: Promise<Compiled>;
}

interface Compiled {
  binaryLayer: Promise<Layer>;
  goVersionM?: string;
}

/** The media type layers are made with; buildOne gives them the base's (Docker or OCI). */
const LAYER_TYPE = MediaType.ociLayerGzip;

function withMediaType(layer: Layer, mediaType: string): Layer {
  return layer.descriptor.mediaType === mediaType
    ? layer
    : { ...layer, descriptor: { ...layer.descriptor, mediaType } };
}

function configPlatform(image: Image): Platform {
  const c = image.config;
  const p: Platform = { os: c.os, architecture: c.architecture };
  if (c.variant) p.variant = c.variant;
  if (c['os.version']) p['os.version'] = c['os.version'];
  return p;
}

function childDescriptor(d: Descriptor): Omit<Descriptor, 'digest' | 'size'> {
  const out: Omit<Descriptor, 'digest' | 'size'> = { mediaType: d.mediaType };
  if (d.platform) out.platform = d.platform;
  if (d.annotations) out.annotations = d.annotations;
  if (d.urls) out.urls = d.urls;
  return out;
}
