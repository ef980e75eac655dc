/**
 * Finds, reads and validates kodev's configuration, with ko's rules for
 * finding `.ko.yaml`, plus an optional `kodev.config.ts`.
 *
 * Sources, later ones winning key by key (a key set in a later source
 * replaces the whole value from an earlier one; lists and maps are not
 * merged):
 *   1. `.ko.yaml`: `$KO_CONFIG_PATH` when set (a file, or a directory holding
 *      `.ko.yaml`), else `<cwd>/.ko.yaml`. Like ko, only `.ko.yaml` is read.
 *   2. `kodev.config.ts` (or `.mts`, `.js`, `.mjs`, first found) in cwd.
 *   3. `$KO_DEFAULTBASEIMAGE`, which replaces `defaultBaseImage` (ko's env override).
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type * as Yaml from './yaml-doc.js';
import type { Node } from 'yaml';
import { UserError } from '../errors.js';
import type { Env } from '../system/env.js';
import type { ConfigValues, LineOf, ValidationResult } from './schema.js';
import type { KodevConfig } from './types.js';

/** Inputs of `loadConfig`; passed in so tests and the dev loop choose them. */
export interface LoadConfigOptions {
  cwd: string;
  env: Env;
}

/** The file names tried, in order, for the TypeScript/JavaScript config. */
export const CODE_CONFIG_NAMES: readonly string[] = [
  'kodev.config.ts',
  'kodev.config.mts',
  'kodev.config.js',
  'kodev.config.mjs',
];

const CONFIG_DOCS = 'https://ko.build/configuration/';

/** Reads `.ko.yaml` and `kodev.config.ts` as ko would find them and returns the merged, defaulted config. */
export async function loadConfig(options: LoadConfigOptions): Promise<KodevConfig> {
  const { env } = options;
  // `baseDir` and `files` are promised absolute, whatever cwd the caller passed.
  const cwd = path.resolve(options.cwd);
  const files: string[] = [];
  let baseDir = cwd;
  let values: ConfigValues = {};

  const yamlFile = await findKoYaml(cwd, env);
  if (yamlFile !== undefined) {
    values = await readKoYaml(yamlFile);
    files.push(yamlFile);
    baseDir = path.dirname(yamlFile);
  }
  const codeFile = await findCodeConfig(cwd);
  if (codeFile !== undefined) {
    values = { ...values, ...(await readCodeConfig(codeFile)) };
    files.push(codeFile);
  }
  if (env.KO_DEFAULTBASEIMAGE) values.defaultBaseImage = env.KO_DEFAULTBASEIMAGE;

  return {
    defaultBaseImage: values.defaultBaseImage,
    baseImageOverrides: values.baseImageOverrides ?? {},
    defaultPlatforms: values.defaultPlatforms ?? [],
    defaultEnv: values.defaultEnv ?? [],
    defaultFlags: values.defaultFlags ?? [],
    defaultLdflags: values.defaultLdflags ?? [],
    builds: values.builds ?? [],
    dev: values.dev ?? {},
    baseDir,
    files,
  };
}

/** Applies ko's `KO_CONFIG_PATH` rules; undefined when there is no `.ko.yaml` to read. */
export async function findKoYaml(cwd: string, env: Env): Promise<string | undefined> {
  const configured = env.KO_CONFIG_PATH;
  if (!configured) return koYamlIn(cwd);
  const target = path.resolve(cwd, configured);
  const info = await statOrUndefined(target);
  if (info === undefined) {
    throw new UserError(`KO_CONFIG_PATH is ${JSON.stringify(configured)}, which does not exist`, {
      hint: 'point KO_CONFIG_PATH at a .ko.yaml file or a directory holding one, or unset it',
    });
  }
  if (info.isFile()) return target;
  if (!info.isDirectory()) {
    throw new UserError(`KO_CONFIG_PATH is ${JSON.stringify(configured)}, which is not a file or directory`);
  }
  // Like ko, a directory without `.ko.yaml` just means no settings.
  return koYamlIn(target);
}

async function koYamlIn(dir: string): Promise<string | undefined> {
  const file = path.join(dir, '.ko.yaml');
  return (await statOrUndefined(file))?.isFile() ? file : undefined;
}

async function findCodeConfig(cwd: string): Promise<string | undefined> {
  for (const name of CODE_CONFIG_NAMES) {
    const file = path.join(cwd, name);
    if ((await statOrUndefined(file))?.isFile()) return file;
  }
  return undefined;
}

async function statOrUndefined(file: string) {
  try {
    return await stat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UserError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}

async function readKoYaml(file: string): Promise<ConfigValues> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  // Loaded only when there is a .ko.yaml: most builds have none, and `go build` waits for this.
  const yaml = await import('./yaml-doc.js');
  const lineCounter = new yaml.LineCounter();
  const doc = yaml.parseDocument(text, { lineCounter, prettyErrors: false });
  const syntaxError = doc.errors[0];
  if (syntaxError) {
    const { line, col } = lineCounter.linePos(syntaxError.pos[0]);
    throw new UserError(`${file}:${line}:${col}: ${syntaxError.message}`, {
      hint: 'fix the YAML syntax; .ko.yaml must be a single YAML document',
      cause: syntaxError,
    });
  }
  const lineOf: LineOf = (segments) => {
    const offset = offsetOf(yaml, doc.contents, segments);
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (err) {
    // e.g. too many alias expansions ("billion laughs").
    throw new UserError(`${file}: ${(err as Error).message}`, { cause: err });
  }
  // The schema (zod) loads only when there is a file to check: most builds have none.
  const { formatIssue, validateConfig } = await import('./schema.js');
  return checked(validateConfig(raw, file, lineOf), formatIssue);
}

async function readCodeConfig(file: string): Promise<ConfigValues> {
  let exported: unknown;
  try {
    // No module cache, so a long-running dev session sees edits to the file.
    // jiti is loaded only when there is a code config: it is the slowest import kodev has.
    const { createJiti } = await import('jiti');
    exported = await createJiti(import.meta.url, { moduleCache: false }).import(file, { default: true });
  } catch (err) {
    throw new UserError(`${file}: cannot load: ${(err as Error).message}`, {
      hint: 'the file must run under Node and `export default defineConfig({...})`',
      cause: err,
    });
  }
  const { formatIssue, validateConfig } = await import('./schema.js');
  return checked(validateConfig(exported, file), formatIssue);
}

/** Turns validation issues into one UserError, the earliest issue on the first line. */
function checked(
  result: ValidationResult,
  formatIssue: (issue: ValidationResult['errors'][number]) => string,
): ConfigValues {
  if (result.config) return result.config;
  const [first] = result.errors;
  const hint = first?.validKeys
    ? `valid keys here: ${first.validKeys.join(', ')} (see ${CONFIG_DOCS})`
    : `see ${CONFIG_DOCS}`;
  throw new UserError(result.errors.map(formatIssue).join('\n'), { hint });
}

/**
 * The source offset of the key (or list item) at `segments`; when the path
 * does not exist in the document, the deepest part of it that does.
 */
function offsetOf(
  yaml: typeof Yaml,
  root: unknown,
  segments: readonly (string | number)[],
): number | undefined {
  let node = root as Node | null | undefined;
  let offset = node?.range?.[0];
  for (const seg of segments) {
    if (yaml.isMap(node)) {
      const pair = node.items.find((p) => yaml.isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value as Node | null;
    } else if (yaml.isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}
