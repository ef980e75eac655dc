/**
 * Flags shared by every command that builds images (build, and later
 * resolve/apply/run), bound to commander and turned into typed options.
 */
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { parsePlatform } from '../oci/platform.js';

/** Build flags as parsed from the command line. */
export interface BuildFlags {
  platform?: string[];
  disableOptimizations: boolean;
  imageLabel: string[];
  imageAnnotation: string[];
  imageUser?: string;
  jobs: number;
  sbom: string;
  sbomDir?: string;
}

/** Adds the build flags to a command. */
export function bindBuildFlags(cmd: Command): Command {
  return cmd
    .option(
      '--platform <platforms>',
      'platforms to build: os/arch[/variant], comma-separated, or "all"',
      collectList,
    )
    .option('--disable-optimizations', 'build with -gcflags=all=-N -l (for debuggers)', false)
    .option('--image-label <key=value>', 'add a label to the image config (repeatable)', collect, [])
    .option('--image-annotation <key=value>', 'add an annotation to the manifest (repeatable)', collect, [])
    .option('--image-user <user>', 'set the user the image runs as (default: the base image user)')
    .option('-j, --jobs <n>', 'how many go builds run at once', parseJobs, availableParallelism())
    .option('--sbom <format>', 'SBOM to attach: spdx, cyclonedx, go.version-m or none', 'spdx')
    .option('--sbom-dir <dir>', 'also write the SBOMs into this directory');
}

/** Parses `key=value` pairs into a record, naming the flag on error. */
export function parseKeyValues(values: readonly string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0)
      throw new UsageError(`${flag} ${JSON.stringify(v)}: expected key=value`, {
        hint: `e.g. ${flag} org.opencontainers.image.source=https://example.com/repo`,
      });
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

/** Validates a platform list early so a typo fails before any build. */
export function checkPlatforms(spec: readonly string[]): void {
  if (spec.length === 1 && spec[0] === 'all') return;
  if (spec.includes('all'))
    throw new UsageError('--platform=all cannot be combined with other platforms', { hint: 'use all alone' });
  for (const s of spec) parsePlatform(s);
}

/** Commander helper: repeatable option. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Commander helper: repeatable, comma-separated option. */
export function collectList(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

/** Commander helper: pflag-style booleans (`--push`, `--push=false`). */
export function parseBool(value: string | undefined): boolean {
  if (value === undefined || value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new UsageError(`expected true or false, got ${JSON.stringify(value)}`);
}

function parseJobs(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--jobs ${JSON.stringify(value)}: expected a whole number of at least 1`);
  return n;
}

/** Validates --sbom. */
export function checkSbomFormat(value: string): 'spdx' | 'cyclonedx' | 'go.version-m' | 'none' {
  if (value === 'spdx' || value === 'cyclonedx' || value === 'go.version-m' || value === 'none') return value;
  throw new UsageError(`--sbom ${JSON.stringify(value)}: unknown SBOM format`, {
    hint: 'use spdx, cyclonedx, go.version-m or none',
  });
}
