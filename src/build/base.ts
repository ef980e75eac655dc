/**
 * Base image references and how they are fetched. Bases come from an OCI
 * image layout (`oci:DIR[:NAME|@DIGEST]`), a docker-archive
 * (`docker-archive:FILE[:TAG]`) or nothing at all (`scratch`).
 */
import { isAbsolute, resolve } from 'node:path';
import type { KodevConfig } from '../config/types.js';
import { UserError } from '../errors.js';
import { readDockerArchive } from '../oci/docker-archive.js';
import type { Artifact } from '../oci/image.js';
import { readOciLayout } from '../oci/layout-read.js';

/** ko's default base image. */
export const DEFAULT_BASE_IMAGE = 'cgr.dev/chainguard/static:latest';

/** A parsed base reference. */
export type BaseRef =
  | { kind: 'scratch' }
  | { kind: 'oci-layout'; path: string; ref?: string }
  | { kind: 'docker-archive'; path: string; tag?: string }
  | { kind: 'daemon'; ref: string }
  | { kind: 'registry'; ref: string };

/** A fetched base: the name recorded in annotations and the content. */
export interface Base {
  /** The reference as configured; recorded as `org.opencontainers.image.base.name`. */
  name: string;
  /** Undefined for `scratch`. */
  artifact?: Artifact;
}

/** Parses a base image reference string. */
export function parseBaseRef(s: string): BaseRef {
  if (s === 'scratch') return { kind: 'scratch' };
  if (s.startsWith('oci:')) {
    const rest = s.slice(4);
    const at = rest.indexOf('@sha256:');
    if (at >= 0) return { kind: 'oci-layout', path: rest.slice(0, at), ref: rest.slice(at + 1) };
    const { path, suffix } = splitSuffix(rest);
    return suffix ? { kind: 'oci-layout', path, ref: suffix } : { kind: 'oci-layout', path };
  }
  if (s.startsWith('docker-archive:')) {
    const { path, suffix } = splitSuffix(s.slice('docker-archive:'.length));
    return suffix ? { kind: 'docker-archive', path, tag: suffix } : { kind: 'docker-archive', path };
  }
  // ko.local images live in the local Docker daemon, not in a registry.
  if (s.startsWith('ko.local/')) return { kind: 'daemon', ref: s };
  return { kind: 'registry', ref: s };
}

// The last `:` starts a name only when what follows has no `/` (paths may hold colons).
function splitSuffix(s: string): { path: string; suffix?: string } {
  const i = s.lastIndexOf(':');
  if (i <= 0 || s.slice(i + 1).includes('/')) return { path: s };
  return { path: s.slice(0, i), suffix: s.slice(i + 1) };
}

/** Picks and fetches base images, once per reference. */
export class BaseResolver {
  private readonly cache = new Map<string, Promise<Base>>();
  /** Every base loaded so far: its kind, and for registry bases the reference asked for and the digest it resolved to. */
  readonly loaded: { kind: BaseRef['kind']; reference: string; digest?: string }[] = [];

  constructor(
    private readonly config: KodevConfig,
    /** Pulls registry bases; without it, registry references are an error. */
    private readonly pullRegistry?: (
      reference: string,
      source: string,
    ) => Promise<{ name: string; artifact: Artifact }>,
    /** Reads `ko.local/...` bases back from the Docker daemon. */
    private readonly readDaemon?: (reference: string) => Promise<Artifact>,
  ) {}

  /** The base reference that applies to an import path. */
  referenceFor(importPath: string): string {
    return this.config.baseImageOverrides[importPath] ?? this.config.defaultBaseImage ?? DEFAULT_BASE_IMAGE;
  }

  /** Fetches the base for an import path. */
  fetch(importPath: string): Promise<Base> {
    const name = this.referenceFor(importPath);
    let p = this.cache.get(name);
    if (!p) {
      p = this.load(name);
      this.cache.set(name, p);
    }
    return p;
  }

  private async load(name: string): Promise<Base> {
    const ref = parseBaseRef(name);
    const base = await this.loadRef(name, ref);
    this.loaded.push({
      kind: ref.kind,
      reference: ref.kind === 'registry' ? ref.ref : name,
      ...(base.artifact ? { digest: base.artifact.digest } : {}),
    });
    return base;
  }

  private async loadRef(name: string, ref: BaseRef): Promise<Base> {
    const abs = (p: string) => (isAbsolute(p) ? p : resolve(this.config.baseDir, p));
    switch (ref.kind) {
      case 'scratch':
        return { name };
      case 'oci-layout':
        return { name, artifact: await readOciLayout(abs(ref.path), ref.ref) };
      case 'docker-archive':
        return { name, artifact: await readDockerArchive(abs(ref.path), ref.tag) };
      case 'daemon': {
        if (!this.readDaemon) throw new UserError(`base image ${name}: no Docker daemon access here`);
        return { name, artifact: await this.readDaemon(ref.ref) };
      }
      case 'registry': {
        if (!this.pullRegistry) throw new UserError(`base image ${name}: no registry access here`);
        const pulled = await this.pullRegistry(ref.ref, 'base image');
        return { name: pulled.name, artifact: pulled.artifact };
      }
    }
  }
}
