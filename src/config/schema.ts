/**
 * The shape of ko's `.ko.yaml` (and of `kodev.config.ts`, which uses the same
 * keys), as a zod schema plus `validateConfig`, which turns any parsed value
 * into either settings or a list of issues, as values. Pure: no file is read
 * here; the loader passes a `lineOf` callback so issues can carry lines.
 */
import { z } from 'zod';
import type { BuildEntry, KodevConfig } from './types.js';

/** YAML `key:` with no value is null; ko treats that as unset, so do we. */
function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (v === null ? undefined : v), schema.optional());
}

/** A string list that also accepts one string, turned into a list by `split`. */
function listOrString(split: (s: string) => string[]) {
  return optional(z.preprocess((v) => (typeof v === 'string' ? split(v) : v), z.array(z.string())));
}

const stringList = optional(z.array(z.string()));
/** ko's `StringArray`: a single string is a one-element list. */
const wrapString = listOrString((s) => [s]);
/** ko's `FlagArray`: a single string is split on whitespace. */
const splitFields = listOrString((s) => s.split(/\s+/).filter((f) => f !== ''));
/** `defaultPlatforms: linux/amd64,linux/arm64`, as ko accepts. */
const splitCommas = listOrString((s) =>
  s
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== ''),
);

/** One `builds:` entry; unknown keys are rejected. */
export const buildEntrySchema = z.strictObject({
  id: optional(z.string()),
  dir: optional(z.string()),
  main: optional(z.string()),
  env: stringList,
  flags: splitFields,
  ldflags: wrapString,
});

/** One `dev.images` entry: Skaffold's ko builder fields where they overlap, plus watch settings. */
export const devImageSchema = z.strictObject({
  fromImage: optional(z.string()),
  env: stringList,
  flags: splitFields,
  ldflags: wrapString,
  dir: optional(z.string()),
  main: optional(z.string()),
  watch: stringList,
  ignore: stringList,
});

/** kodev's own `dev:` section, read by `kodev up`; ko ignores it. */
export const devSchema = z.strictObject({
  manifests: wrapString,
  runtime: optional(z.enum(['auto', 'kubernetes', 'local'])),
  namespace: optional(z.string()),
  repo: optional(z.string()),
  platforms: splitCommas,
  ignore: stringList,
  debounceMs: optional(z.number().int().min(0).max(10_000)),
  concurrency: optional(z.number().int().min(1).max(64)),
  cleanup: optional(z.boolean()),
  images: optional(z.record(z.string(), devImageSchema)),
});

/** The whole `.ko.yaml` document; unknown keys are rejected. */
export const configSchema = z.strictObject({
  defaultBaseImage: optional(z.string()),
  baseImageOverrides: optional(z.record(z.string(), z.string())),
  defaultPlatforms: splitCommas,
  defaultEnv: stringList,
  defaultFlags: stringList,
  defaultLdflags: stringList,
  builds: optional(z.array(buildEntrySchema)),
  dev: optional(devSchema),
});

/** The settings one config file contributes: only the keys it set. */
export type ConfigValues = Partial<Omit<KodevConfig, 'baseDir' | 'files'>>;

/** The keys allowed at the top level of `.ko.yaml`. */
export const CONFIG_KEYS: readonly string[] = Object.keys(configSchema.shape);
/** The keys allowed inside one `builds:` entry. */
export const BUILD_KEYS: readonly string[] = Object.keys(buildEntrySchema.shape);
/** The keys allowed in `dev:` and in one `dev.images` entry. */
export const DEV_KEYS: readonly string[] = Object.keys(devSchema.shape);
export const DEV_IMAGE_KEYS: readonly string[] = Object.keys(devImageSchema.shape);

/** One thing wrong with a config file, precise enough to point an editor at it. */
export interface ConfigIssue {
  file: string;
  /** Key path as written for people, e.g. `builds[1].flags`. */
  path: string;
  /** The same path as segments, for tools. */
  segments: (string | number)[];
  /** 1-based line of the offending key or value, when the source has lines. */
  line: number | undefined;
  message: string;
  /** For unknown keys: the keys that are allowed at that level. */
  validKeys?: readonly string[];
}

/** What `validateConfig` returns: settings when valid, issues otherwise. */
export interface ValidationResult {
  config?: ConfigValues;
  errors: ConfigIssue[];
}

/** Maps a key path to the 1-based line it appears on, when known. */
export type LineOf = (path: (string | number)[]) => number | undefined;

/**
 * Checks a parsed config value (from YAML or a `kodev.config.ts` default
 * export) against ko's keys. Never throws: issues come back as values, sorted
 * by line, so the loader decides how to report them.
 */
export function validateConfig(raw: unknown, file: string, lineOf?: LineOf): ValidationResult {
  // An empty YAML file parses to null: no settings at all.
  const parsed = configSchema.safeParse(raw ?? {});
  if (parsed.success) return { config: stripUndefined(parsed.data), errors: [] };
  const errors: ConfigIssue[] = [];
  for (const issue of parsed.error.issues) {
    const base = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const segments = [...base, key];
        errors.push({
          ...located(file, segments, lineOf),
          message: 'unknown key',
          validKeys: validKeysAt(base),
        });
      }
      continue;
    }
    const message =
      issue.code === 'invalid_type'
        ? `expected ${expectedAt(base)}, got ${describeValue(valueAt(raw, base))}`
        : issue.message;
    errors.push({ ...located(file, base, lineOf), message });
  }
  errors.sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER));
  return { errors };
}

function validKeysAt(base: readonly (string | number)[]): readonly string[] {
  if (base.length === 0) return CONFIG_KEYS;
  if (base[0] === 'dev') return base.length === 1 ? DEV_KEYS : DEV_IMAGE_KEYS;
  return BUILD_KEYS;
}

/** Renders an issue as `<file>:<line>: <path>: <message>` (line left out when unknown). */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`;
  return issue.path === '' ? `${where}: ${issue.message}` : `${where}: ${issue.path}: ${issue.message}`;
}

/** Formats key segments the way people write them: `builds[1].flags`, `baseImageOverrides["a/b"]`. */
export function formatPath(segments: readonly (string | number)[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

function located(file: string, segments: (string | number)[], lineOf: LineOf | undefined) {
  return { file, path: formatPath(segments), segments, line: lineOf?.(segments) };
}

const EXPECTED: Record<string, string> = {
  defaultBaseImage: 'a string (image reference)',
  baseImageOverrides: 'a map of import path to image reference',
  defaultPlatforms: 'a list of platforms or a comma-separated string',
  defaultEnv: 'a list of KEY=VALUE strings',
  defaultFlags: 'a list of strings',
  defaultLdflags: 'a list of strings',
  builds: 'a list of build entries',
  id: 'a string',
  dir: 'a string',
  main: 'a string',
  env: 'a list of KEY=VALUE strings',
  flags: 'a list of strings or a single string',
  ldflags: 'a list of strings or a single string',
};

/** Describes what belongs at `path`, in the words of the config docs. */
function expectedAt(path: readonly (string | number)[]): string {
  const last = path.at(-1);
  if (last === undefined) return 'a map of settings';
  if (typeof last === 'number') return path.length === 2 && path[0] === 'builds' ? 'a map' : 'a string';
  if (path.length === 2 && path[0] === 'baseImageOverrides') return 'a string (image reference)';
  return EXPECTED[last] ?? 'another type';
}

function valueAt(raw: unknown, path: readonly (string | number)[]): unknown {
  let v = raw;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  return typeof v;
}

function stripUndefined(data: z.output<typeof configSchema>): ConfigValues {
  const out: ConfigValues = dropUndefined(data);
  if (data.builds) out.builds = data.builds.map((b): BuildEntry => dropUndefined(b));
  return out;
}

/** Keys that were null or absent come out of zod as `undefined`; leave them out entirely. */
function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
