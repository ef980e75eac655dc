/**
 * The resolved configuration kodev works from, whatever file it came from
 * (`.ko.yaml` or `kodev.config.ts`). Strings may still hold templates
 * (`{{.Env.X}}`, `{{.Git.ShortCommit}}`, ...); they are rendered at build time.
 */

/** One entry of `builds:` (ko's per-binary build settings). */
export interface BuildEntry {
  /** Free-form name, used in logs. */
  id?: string;
  /** Directory (relative to the config file's directory) holding the Go module to build in. */
  dir?: string;
  /** Main package, relative to `dir` (e.g. `./cmd/app`) or an import path. */
  main?: string;
  /** Extra `KEY=VALUE` environment for `go build`. */
  env?: string[];
  /** Extra `go build` flags. */
  flags?: string[];
  /** Linker flags, joined into one `-ldflags=` argument. */
  ldflags?: string[];
}

/** The complete configuration, defaults filled in. */
export interface KodevConfig {
  /** Base image reference for every import path without an override. */
  defaultBaseImage?: string;
  /** Import path -> base image reference. */
  baseImageOverrides: Record<string, string>;
  /** Platforms to build when `--platform` is not given (`all` allowed). */
  defaultPlatforms: string[];
  defaultEnv: string[];
  defaultFlags: string[];
  defaultLdflags: string[];
  builds: BuildEntry[];
  /** Absolute directory that relative `builds[].dir` are resolved against. */
  baseDir: string;
  /** The files the configuration was read from (for messages). */
  files: string[];
}
