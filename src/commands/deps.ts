/**
 * `kodev deps <reference>` (ko's `ko deps`): the Go modules linked into the
 * binary an image runs, read with `go version -m`.
 *
 * The reference is built (never published) when it is a `ko://` reference
 * or a local directory (`./cmd/app`); anything else is an image in a
 * registry. An index gives the image of `--platform` (default
 * `linux/<this machine's CPU>`). Output, on stdout: a tree (see
 * `src/deps/tree.ts`) by default, `--output go.version-m` for Go's own text
 * (the first line naming the binary's path in the image), or `--sbom
 * spdx|cyclonedx|go.version-m` for an SBOM as `kodev build` attaches it.
 */
import { depsTree, renderTree } from '../deps/tree.js';
import { pickImage } from '../deps/pick-image.js';
import { UsageError, UserError } from '../errors.js';
import { isLocalPath, KO_SCHEME } from '../gotool/main-package.js';
import type { Artifact } from '../oci/image.js';
import { goArchFromNode, parsePlatform } from '../oci/platform.js';
import { kodevVersion } from '../version.js';
import type { CommandContext } from './context.js';
import type { BuildCommandFlags } from './pipeline.js';

import type { DepsFlags } from './deps-cli.js';

type OutputFormat = 'tree' | 'go.version-m';
type DepsSbomFormat = 'spdx' | 'cyclonedx' | 'go.version-m';

/** Reads the build info of the image `reference` names (building it if it is a package) and returns the text to print. */
export async function depsCommand(reference: string, flags: DepsFlags, ctx: CommandContext): Promise<string> {
  const { output, sbom } = checkFormats(flags);
  if (flags.platform !== undefined) checkPlatform(flags.platform);
  const platform = flags.platform ?? `linux/${goArchFromNode(ctx.hostArch)}`;
  // Loaded on use, so the rest of the CLI starts without the build and registry code.
  const { openBuildPipeline } = await import('./pipeline.js');
  const { readImageBuildInfo } = await import('../deps/build-info.js');
  const { goTool } = await import('../gotool/go.js');
  const pipeline = await openBuildPipeline(pipelineFlags(flags), ctx);
  try {
    let name: string;
    let artifact: Artifact;
    if (reference.startsWith(KO_SCHEME) || isLocalPath(reference)) {
      const built = await pipeline.builder.build(reference, ctx.signal);
      ({ artifact } = built);
      name = `the image built from ${built.importPath}`;
    } else {
      ({ name, artifact } = await pipeline.pull(reference));
    }
    const image = pickImage(artifact, platform, name);
    const build = await readImageBuildInfo(image, name, {
      go: goTool(ctx.env),
      tmpDir: ctx.tmpDir,
      signal: ctx.signal,
    });
    if (sbom) {
      const { renderSbom, SbomInputError } = await import('../sbom/index.js');
      try {
        const rendered = renderSbom(sbom, {
          kind: 'image',
          goVersionM: build.goVersionM,
          appPath: build.appPath,
          imageDigest: image.digest,
          created: image.config.created ?? '1970-01-01T00:00:00Z',
          toolName: `kodev-${kodevVersion()}`,
        });
        return rendered?.bytes.toString('utf8') ?? '';
      } catch (err) {
        if (!(err instanceof SbomInputError)) throw err;
        throw new UserError(`cannot make an SBOM for ${name}: ${err.message}`, {
          hint: 'use --output tree or --output go.version-m for this image',
          cause: err,
        });
      }
    }
    if (output === 'go.version-m') return build.goVersionM;
    return renderTree(depsTree(build.info));
  } finally {
    await pipeline.close();
  }
}

function checkFormats(flags: DepsFlags): { output: OutputFormat; sbom?: DepsSbomFormat } {
  if (flags.output !== undefined && flags.sbom !== undefined)
    throw new UsageError('--output and --sbom cannot be combined', {
      hint: "use --output for a tree or Go's own text, or --sbom for an SBOM",
    });
  const output = flags.output ?? 'tree';
  if (output !== 'tree' && output !== 'go.version-m')
    throw new UsageError(`--output ${JSON.stringify(output)}: unknown format`, {
      hint: 'use tree or go.version-m',
    });
  const sbom = flags.sbom;
  if (sbom !== undefined && sbom !== 'spdx' && sbom !== 'cyclonedx' && sbom !== 'go.version-m')
    throw new UsageError(`--sbom ${JSON.stringify(sbom)}: unknown SBOM format`, {
      hint: 'use spdx, cyclonedx or go.version-m',
    });
  return sbom === undefined ? { output } : { output, sbom };
}

function checkPlatform(platform: string): void {
  if (platform === 'all' || platform.includes(','))
    throw new UsageError(`--platform ${JSON.stringify(platform)}: kodev deps reads one image`, {
      hint: 'name one platform, e.g. --platform linux/arm64',
    });
  parsePlatform(platform);
}

/** A build that only builds: no push, no tags, no SBOM (deps reads the binary itself). */
function pipelineFlags(flags: DepsFlags): BuildCommandFlags {
  return {
    ...(flags.platform !== undefined ? { platform: [flags.platform] } : {}),
    disableOptimizations: false,
    imageLabel: [],
    imageAnnotation: [],
    jobs: 1,
    sbom: 'none',
    tags: [],
    tagOnly: false,
    baseImportPaths: false,
    preserveImportPaths: false,
    bare: false,
    push: false,
    local: false,
    insecureRegistry: flags.insecureRegistry,
  };
}
