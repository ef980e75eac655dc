/**
 * Rewrites a base image's config for the app, as ko does: entrypoint the
 * binary, Cmd cleared, PATH extended, KO_DATA_PATH set, labels and user applied.
 */
import type { ConfigFile, History, Platform } from '../oci/types.js';

/** What the app contributes to the config. */
export interface AppConfigOptions {
  platform: Platform;
  appFileName: string;
  /** diff_ids of the kodata and binary layers, in that order. */
  diffIds: [string, string];
  history: [History, History];
  /** RFC 3339 creation time; undefined keeps the base's. */
  created?: string;
  user?: string;
  labels: Record<string, string>;
  author: string;
}

/** Returns a new config; the base config is not modified. */
export function appConfig(base: ConfigFile, o: AppConfigOptions): ConfigFile {
  const cfg = structuredClone(base);
  cfg.config = cfg.config ?? {};
  const windows = o.platform.os === 'windows';
  const appDir = windows ? 'C:\\ko-app' : '/ko-app';
  cfg.config.Entrypoint = [windows ? `C:\\ko-app\\${o.appFileName}` : `/ko-app/${o.appFileName}`];
  delete cfg.config.Cmd;
  const env = [...(cfg.config.Env ?? [])];
  const pathIndex = env.findIndex((e) => e.startsWith('PATH='));
  if (pathIndex >= 0) env[pathIndex] = `${env[pathIndex]}:${appDir}`;
  else env.push(`PATH=${appDir}`);
  env.push(windows ? 'KO_DATA_PATH=C:\\var\\run\\ko' : 'KO_DATA_PATH=/var/run/ko');
  cfg.config.Env = env;
  if (o.user !== undefined) cfg.config.User = o.user;
  if (Object.keys(o.labels).length > 0) cfg.config.Labels = { ...(cfg.config.Labels ?? {}), ...o.labels };
  cfg.author = o.author;
  if (o.created !== undefined) cfg.created = o.created;
  cfg.rootfs = { type: 'layers', diff_ids: [...(cfg.rootfs?.diff_ids ?? []), ...o.diffIds] };
  cfg.history = [...(cfg.history ?? []), ...o.history];
  return cfg;
}

/** The config of an empty (`scratch`) base for a platform. */
export function scratchConfig(platform: Platform): ConfigFile {
  const cfg: ConfigFile = {
    architecture: platform.architecture,
    os: platform.os,
    created: '1970-01-01T00:00:00Z',
    config: {},
    rootfs: { type: 'layers', diff_ids: [] },
  };
  if (platform.variant) cfg.variant = platform.variant;
  if (platform['os.version']) cfg['os.version'] = platform['os.version'];
  return cfg;
}

/** Formats seconds since the epoch like Go's time.Time JSON (RFC 3339, UTC). */
export function rfc3339(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}
