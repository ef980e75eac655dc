/**
 * The typed form of `kodev.config.ts`: the same keys as ko's `.ko.yaml`, all
 * optional. `defineConfig` only exists so editors can check and complete the
 * object; kodev validates it with the same schema as `.ko.yaml` at load time.
 *
 * ```ts
 * import { defineConfig } from 'kodev';
 * export default defineConfig({ defaultBaseImage: 'cgr.dev/chainguard/static' });
 * ```
 */
import type { DevSettings } from './types.js';

/** One entry of `builds:`; strings may use templates such as `{{.Git.ShortCommit}}`. */
export interface KodevUserBuild {
  /** Free-form name, used in logs. */
  id?: string;
  /** Directory holding the Go module, relative to the config file's directory. */
  dir?: string;
  /** Main package, relative to `dir` (e.g. `./cmd/app`) or an import path. */
  main?: string;
  /** Extra `KEY=VALUE` environment for `go build`. */
  env?: string[];
  /** Extra `go build` flags; a single string is split on whitespace, as ko does. */
  flags?: string[] | string;
  /** Linker flags; a single string is one flag list entry, as ko does. */
  ldflags?: string[] | string;
}

/** Everything `kodev.config.ts` may set; keys it sets replace the same keys from `.ko.yaml`. */
export interface KodevUserConfig {
  /** Base image for every import path without an override. */
  defaultBaseImage?: string;
  /** Import path -> base image reference. */
  baseImageOverrides?: Record<string, string>;
  /** Platforms to build when `--platform` is not given; a list or a comma-separated string (`all` allowed). */
  defaultPlatforms?: string[] | string;
  /** `KEY=VALUE` environment for every `go build`. */
  defaultEnv?: string[];
  /** Flags for every `go build`. */
  defaultFlags?: string[];
  /** Linker flags for every `go build`. */
  defaultLdflags?: string[];
  /** Per-binary settings, matched to import paths by `main`. */
  builds?: KodevUserBuild[];
  /** The dev loop's settings (`kodev up`); ko ignores them. */
  dev?: DevSettings;
}

/** Returns its argument unchanged; gives `kodev.config.ts` type checking and completion. */
export function defineConfig(config: KodevUserConfig): KodevUserConfig {
  return config;
}
