/**
 * ko's Go-template subset for `flags`, `ldflags` and `env` values:
 * `{{.Env.NAME}}`, `{{.Git.*}}`, `{{.Date}}`, `{{.Timestamp}}`. Only field
 * references are supported (no pipelines or functions), with ko's
 * `missingkey=error` behaviour. Pure: every value comes in as `TemplateData`.
 */
import { UserError } from '../errors.js';
import type { KodevConfig } from './types.js';

/** What `git` says about the source tree; see `gitTemplateData` in `git-info.ts`. */
export interface GitInfo {
  branch: string;
  /** Latest tag reachable from HEAD; ko uses `v0.0.0` when a repo has none. */
  tag: string;
  shortCommit: string;
  fullCommit: string;
  /** Commit time of HEAD; undefined outside a repository. */
  commitDate: Date | undefined;
  dirty: boolean;
}

/** Git info outside a repository (or without git), as ko leaves it: all empty. */
export const EMPTY_GIT_INFO: GitInfo = Object.freeze({
  branch: '',
  tag: '',
  shortCommit: '',
  fullCommit: '',
  commitDate: undefined,
  dirty: false,
});

/** Everything a template may refer to; the caller gathers it (env snapshot, git, clock). */
export interface TemplateData {
  /** Variables for `{{.Env.NAME}}` (ko passes the build environment); `LDFLAGS` defaults to "". */
  env: Readonly<Record<string, string | undefined>>;
  git: GitInfo;
  /** The build time behind `{{.Date}}` and `{{.Timestamp}}`. */
  date: Date;
}

/** A template that cannot be rendered: bad syntax or a reference with no value. */
export class TemplateError extends UserError {
  override name = 'TemplateError';
  constructor(
    readonly template: string,
    readonly reason: string,
  ) {
    super(`template ${JSON.stringify(template)}: ${reason}`, {
      hint: 'templates may use .Env.NAME, .Git.{Branch,Tag,ShortCommit,FullCommit,CommitDate,CommitTimestamp,IsDirty,IsClean,TreeState}, .Date and .Timestamp',
    });
  }
}

/** Go's zero `time.Time`, which ko formats for CommitDate outside a repository. */
const GO_ZERO_TIME_SECONDS = -62135596800;

/** Every config value that goes through `renderTemplate`: env, flags and ldflags, defaults and per build. */
export function templatedValues(config: KodevConfig): string[] {
  return [
    ...config.defaultEnv,
    ...config.defaultFlags,
    ...config.defaultLdflags,
    ...config.builds.flatMap((b) => [...(b.env ?? []), ...(b.flags ?? []), ...(b.ldflags ?? [])]),
  ];
}

/** Renders one template string; throws `TemplateError` for a missing key or unsupported action. */
export function renderTemplate(template: string, data: TemplateData): string {
  if (!template.includes('{{')) return template;
  const values = templateValues(data);
  let out = '';
  let rest = template;
  for (;;) {
    const open = rest.indexOf('{{');
    if (open < 0) return out + rest;
    let text = rest.slice(0, open);
    const close = rest.indexOf('}}', open + 2);
    if (close < 0) throw new TemplateError(template, 'unclosed action');
    let action = rest.slice(open + 2, close);
    rest = rest.slice(close + 2);
    // Go's `{{-` and `-}}` trim the whitespace next to the action.
    if (/^-\s/.test(action)) {
      text = text.trimEnd();
      action = action.slice(1);
    }
    if (/\s-$/.test(action)) {
      rest = rest.trimStart();
      action = action.slice(0, -1);
    }
    out += text + evaluate(action.trim(), values, template);
  }
}

/** Renders every string of a list (ko's `applyTemplating`). */
export function renderTemplates(list: readonly string[], data: TemplateData): string[] {
  return list.map((t) => renderTemplate(t, data));
}

/** Formatted template data: nested maps of strings, the way Go would print each value. */
type Value = string | { [key: string]: Value };

function evaluate(action: string, values: Value, template: string): string {
  if (action.startsWith('/*') && action.endsWith('*/')) return '';
  if (!/^(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(action)) {
    throw new TemplateError(
      template,
      `unsupported action {{${action}}}: only field references like .Env.NAME are supported`,
    );
  }
  let value: Value | undefined = values;
  for (const field of action.slice(1).split('.')) {
    value = typeof value === 'object' && Object.hasOwn(value, field) ? value[field] : undefined;
  }
  // A map (`.Env`, `.Git`) is not a value either: Go would print `map[...]`, which is never wanted.
  if (typeof value !== 'string') throw new TemplateError(template, `no value for ${action}`);
  return value;
}

/** The data as ko hands it to text/template, already formatted the way Go prints it. */
function templateValues(data: TemplateData): Value {
  // ko always defines LDFLAGS so `{{.Env.LDFLAGS}}` works when it is unset.
  const env: Record<string, string> = { LDFLAGS: '' };
  for (const [k, v] of Object.entries(data.env)) if (v !== undefined) env[k] = v;
  const git = data.git;
  const commitSeconds = git.commitDate ? Math.floor(git.commitDate.getTime() / 1000) : GO_ZERO_TIME_SECONDS;
  return {
    Env: env,
    Git: {
      Branch: git.branch,
      Tag: git.tag,
      ShortCommit: git.shortCommit,
      FullCommit: git.fullCommit,
      CommitDate: git.commitDate ? rfc3339(git.commitDate) : '0001-01-01T00:00:00Z',
      CommitTimestamp: String(commitSeconds),
      IsDirty: String(git.dirty),
      IsClean: String(!git.dirty),
      TreeState: git.dirty ? 'dirty' : 'clean',
    },
    Date: rfc3339(data.date),
    Timestamp: String(Math.floor(data.date.getTime() / 1000)),
  };
}

/** Go's `time.RFC3339` in UTC: seconds precision, `Z` suffix. */
function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
