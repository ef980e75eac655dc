/**
 * The modules an SBOM lists for a Go binary: each dependency as it was
 * actually linked (after `replace`), with the go.sum hash turned into the hex
 * SHA-256 that SPDX and CycloneDX checksums take.
 */
import { Buffer } from 'node:buffer';
import type { GoBuildInfo, GoModule } from './buildinfo.js';

/** A module as linked into the binary. */
export interface LinkedModule {
  /** The module path whose code was linked (the replacement's, when replaced by a module). */
  path: string;
  /** Its version; `(devel)` for a local directory. */
  version: string;
  /** The go.sum `h1:` hash as 64 hex digits, when Go recorded one. */
  sha256?: string;
  /** The requirement that go.mod replaced, if any. */
  replaces?: { path: string; version: string };
  /** The local directory that replaced the requirement, if any. */
  localDir?: string;
}

/** True for `replace` targets that are directories, as Go's modfile.IsDirectoryPath. */
export function isDirectoryPath(path: string): boolean {
  return /^(?:\.\.?(?:[/\\]|$)|[/\\]|[A-Za-z]:[/\\])/.test(path);
}

/**
 * Converts a go.sum `h1:` hash (base64 of a SHA-256 over the module's file
 * list) to hex, as ko does for SPDX checksums; undefined for other hash kinds.
 */
export function h1ToSha256Hex(sum: string | undefined): string | undefined {
  if (!sum?.startsWith('h1:')) return undefined;
  const b64 = sum.slice(3);
  if (!/^[A-Za-z0-9+/]{43}=$/.test(b64)) return undefined;
  return Buffer.from(b64, 'base64').toString('hex');
}

function linked(dep: GoModule & { replace?: GoModule }): LinkedModule {
  const r = dep.replace;
  const out: LinkedModule = r
    ? isDirectoryPath(r.path)
      ? { path: dep.path, version: r.version || '(devel)', localDir: r.path }
      : { path: r.path, version: r.version, sha256: h1ToSha256Hex(r.sum) }
    : { path: dep.path, version: dep.version, sha256: h1ToSha256Hex(dep.sum) };
  if (out.sha256 === undefined) delete out.sha256;
  if (r) out.replaces = { path: dep.path, version: dep.version };
  return out;
}

/** The binary's dependencies as linked, in build-info order. */
export function linkedModules(info: GoBuildInfo): LinkedModule[] {
  return info.deps.map(linked);
}

/** Makes `id` unique among `taken` by appending -2, -3, ... and records it. */
export function uniqueId(id: string, taken: Set<string>): string {
  let out = id;
  for (let n = 2; taken.has(out); n++) out = `${id}-${n}`;
  taken.add(out);
  return out;
}
