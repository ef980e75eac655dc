/**
 * The environment and flags of one `go build`, computed purely from the
 * platform, the config and the command-line options (ko's rules).
 */
import type { BuildEntry, KodevConfig } from '../config/types.js';
import { UserError } from '../errors.js';
import type { Platform } from '../oci/types.js';

/** Renders one template string (`{{.Env.X}}` ...); supplied by the caller. */
export type RenderTemplate = (template: string, where: string) => string;

/** `CGO_ENABLED=0` plus GOOS/GOARCH and the variant variables, then config env (later wins). */
export function goBuildEnv(
  platform: Platform,
  config: KodevConfig,
  build: BuildEntry | undefined,
  render: RenderTemplate,
): string[] {
  const env = ['CGO_ENABLED=0', `GOOS=${platform.os}`, `GOARCH=${platform.architecture}`];
  const v = platform.variant;
  if (v && platform.architecture === 'arm') {
    const n = Number.parseInt(v.replace(/^v/, ''), 10);
    if (!v.startsWith('v') || Number.isNaN(n))
      throw new UserError(`platform ${platform.os}/arm/${v}: unknown arm variant`, {
        hint: 'use v5, v6 or v7',
      });
    if (n >= 5) env.push(`GOARM=${Math.min(n, 7)}`);
  } else if (v && platform.architecture === 'amd64') {
    env.push(`GOAMD64=${v}`);
  }
  const extra = build?.env ?? config.defaultEnv;
  return [...env, ...extra.map((e, i) => render(e, `env[${i}]`))];
}

/** Flags for `go build`: config flags, `-ldflags=`, `-trimpath`, optional no-optimization flags. */
export function goBuildFlags(
  config: KodevConfig,
  build: BuildEntry | undefined,
  render: RenderTemplate,
  options: { disableOptimizations: boolean; trimpath: boolean },
): string[] {
  const flags = (build?.flags ?? config.defaultFlags).map((f, i) => render(f, `flags[${i}]`));
  const ldflags = (build?.ldflags ?? config.defaultLdflags).map((f, i) => render(f, `ldflags[${i}]`));
  if (ldflags.length > 0) flags.push(`-ldflags=${ldflags.join(' ')}`);
  for (const f of flags) {
    if (/^--?toolexec(=|$)/.test(f)) {
      throw new UserError(`go build flag ${JSON.stringify(f)} is not allowed`, {
        hint: 'remove -toolexec from flags in the config',
      });
    }
  }
  if (options.trimpath) flags.push('-trimpath');
  if (options.disableOptimizations) flags.push('-gcflags', 'all=-N -l');
  return flags;
}
