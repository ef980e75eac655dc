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

/** Per-image settings of the dev loop (`dev.images`, keyed by import path). */
export interface DevImageSettings {
  fromImage?: string | undefined;
  env?: string[] | undefined;
  flags?: string[] | undefined;
  ldflags?: string[] | undefined;
  dir?: string | undefined;
  main?: string | undefined;
  /** Extra paths (relative to the config file) whose changes rebuild this image. */
  watch?: string[] | undefined;
  /** Globs whose changes never rebuild this image. */
  ignore?: string[] | undefined;
}

/** The `dev:` section `kodev up` reads. */
export interface DevSettings {
  /** Manifest files or globs, relative to the config file. */
  manifests?: string[] | undefined;
  /** `auto` (default): kubernetes when manifests and a kubeconfig exist, else local. */
  runtime?: 'auto' | 'kubernetes' | 'local' | undefined;
  namespace?: string | undefined;
  /** Where images go (like KO_DOCKER_REPO, which overrides it). */
  repo?: string | undefined;
  platforms?: string[] | undefined;
  ignore?: string[] | undefined;
  /** Quiet period closing a batch of file changes (default 50 ms). */
  debounceMs?: number | undefined;
  /** How many go builds run at once. */
  concurrency?: number | undefined;
  /** Delete what was applied when the loop exits (default false). */
  cleanup?: boolean | undefined;
  images?: Record<string, DevImageSettings> | undefined;
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
  /** The dev loop's settings (`kodev up`). */
  dev: DevSettings;
  /** Absolute directory that relative `builds[].dir` are resolved against. */
  baseDir: string;
  /** The files the configuration was read from (for messages). */
  files: string[];
}
