/**
 * Parses the output of `go version -m FILE`: the Go version, main package,
 * modules and build settings that the Go linker embeds in every binary. The
 * SBOM writers take their facts from here rather than from `go list`, so an
 * SBOM describes exactly what was linked.
 */
import { readGoQuoted } from './go-quote.js';

/** One Go module as the build info records it. */
export interface GoModule {
  /** Module path, or a directory for a local `replace` target. */
  path: string;
  /** Module version; `(devel)` for the main module or a local directory. */
  version: string;
  /** go.sum hash (`h1:<base64 sha256>`), when the module came from a download. */
  sum?: string;
}

/** A dependency module, with its `replace` target when go.mod replaced it. */
export interface GoDependency extends GoModule {
  replace?: GoModule;
}

/** The build info of one Go binary. */
export interface GoBuildInfo {
  /** The toolchain that built it, e.g. `go1.26.8`. */
  goVersion: string;
  /** Import path of the main package. */
  path: string;
  /** The main module. */
  main: GoModule;
  /** Every module linked in, in the order Go lists them (sorted by path). */
  deps: GoDependency[];
  /** `build` settings (`GOOS`, `GOARCH`, `-ldflags`, `vcs.revision`, ...), in order. */
  settings: Record<string, string>;
}

/** Text handed to `parseGoVersionM` that is not one binary's `go version -m` output. */
export class GoVersionMSyntaxError extends Error {
  override name = 'GoVersionMSyntaxError';
}

// `FILE: go1.26.8` (or a `devel go1.27-...` toolchain); FILE may itself contain ': '.
const HEADER = /^(.+): ((?:go\d|devel )\S*.*)$/;

function fail(lineNo: number, why: string, line?: string): never {
  const shown = line === undefined ? '' : `: ${JSON.stringify(line)}`;
  throw new GoVersionMSyntaxError(`not go version -m output: line ${lineNo}: ${why}${shown}`);
}

function moduleFields(fields: string[], lineNo: number, line: string): GoModule {
  // Go writes `path<TAB>version[<TAB>sum]`; the sum is empty for (devel) modules.
  if (fields.length < 2 || fields.length > 3 || fields[0] === '' || fields[1] === '') {
    fail(lineNo, 'expected path, version and optional sum', line);
  }
  const [path, version, sum] = fields as [string, string, string | undefined];
  return sum ? { path, version, sum } : { path, version };
}

function setting(kv: string, lineNo: number, line: string): [string, string] {
  let key: string;
  let rest: string;
  if (kv.startsWith('"') || kv.startsWith('`')) {
    const quoted = readGoQuoted(kv);
    if (!quoted || kv[quoted.length] !== '=') fail(lineNo, 'bad quoted build key', line);
    key = quoted.value;
    rest = kv.slice(quoted.length + 1);
  } else {
    const eq = kv.indexOf('=');
    if (eq <= 0) fail(lineNo, "build setting needs 'key=value'", line);
    key = kv.slice(0, eq);
    rest = kv.slice(eq + 1);
  }
  if (rest.startsWith('"') || rest.startsWith('`')) {
    const quoted = readGoQuoted(rest);
    if (!quoted || quoted.length !== rest.length) fail(lineNo, 'bad quoted build value', line);
    return [key, quoted.value];
  }
  return [key, rest];
}

/**
 * Parses `go version -m FILE` output for a single binary. Throws
 * `GoVersionMSyntaxError` naming the offending line for anything else (an
 * empty string, the output for several files, a binary without module info).
 * Unknown line kinds are skipped, as Go's own parser does, for newer toolchains.
 */
export function parseGoVersionM(text: string): GoBuildInfo {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) fail(1, 'empty');
  const header = HEADER.exec(lines[0] ?? '');
  if (!header) fail(1, "expected 'FILE: goVERSION'", lines[0]);

  let path: string | undefined;
  let main: GoModule | undefined;
  const deps: GoDependency[] = [];
  const settings: [string, string][] = [];
  let last: GoDependency | undefined;

  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const lineNo = i + 1;
    if (!line.startsWith('\t')) fail(lineNo, 'a second binary or stray text (one binary expected)', line);
    // Go leaves a blank line after each replacement; it carries no data.
    if (line.trim() === '') continue;
    const [kind = '', ...fields] = line.slice(1).split('\t');
    switch (kind) {
      case 'path':
        if (fields.length !== 1 || !fields[0]) fail(lineNo, 'expected one package path', line);
        path = fields[0];
        break;
      case 'mod':
        main = moduleFields(fields, lineNo, line);
        break;
      case 'dep':
        last = moduleFields(fields, lineNo, line);
        deps.push(last);
        break;
      case '=>':
        if (!last) fail(lineNo, 'replacement without a dep line before it', line);
        if (last.replace) fail(lineNo, 'second replacement for one dep', line);
        last.replace = moduleFields(fields, lineNo, line);
        break;
      case 'build':
        settings.push(setting(fields.join('\t'), lineNo, line));
        break;
      default:
        break;
    }
  }

  if (path === undefined) fail(lines.length, "no 'path' line");
  if (main === undefined) fail(lines.length, "no 'mod' line: the binary was not built in module mode");
  return {
    goVersion: header[2] as string,
    path,
    main,
    deps,
    // fromEntries defines own properties, so no key can reach the prototype.
    settings: Object.fromEntries(settings),
  };
}

/**
 * Rewrites the first line's file name (a temporary build path) to the path the
 * binary has in the image, as ko does so that `go.version-m` SBOMs are
 * reproducible. Throws `GoVersionMSyntaxError` unless `text` parses.
 */
export function withAppPath(text: string, appPath: string): string {
  parseGoVersionM(text);
  const file = (HEADER.exec(text.split('\n', 1)[0] ?? '') as RegExpExecArray)[1] as string;
  return appPath + text.slice(file.length);
}
