/**
 * Image references (`registry/repository[:tag][@digest]`) with Docker's
 * defaults, and the rule for when plain http is allowed.
 */
import { UserError } from '../errors.js';

/** The registry Docker Hub names resolve to, and the host its API lives on. */
export const DOCKER_HUB = 'index.docker.io';

/** A parsed reference. */
export interface ImageRef {
  /** Host[:port] of the registry API (Docker Hub is `index.docker.io`). */
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

/** One path component of a repository name (the distribution reference grammar). */
export const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
/** A tag: up to 128 word characters, dots and dashes, not starting with `.` or `-`. */
export const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Splits `registry/path` into registry and repository, applying Docker Hub defaults. */
export function splitRepository(name: string): { registry: string; repository: string } {
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const hasRegistry = slash > 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let registry = hasRegistry ? first : DOCKER_HUB;
  let repository = hasRegistry ? name.slice(slash + 1) : name;
  if (registry === 'docker.io' || registry === 'registry-1.docker.io') registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  return { registry, repository };
}

/** Parses a reference, naming `source` (a flag, a config key) in the error. */
export function parseReference(s: string, source = 'image reference'): ImageRef {
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad(s, source, `digest ${JSON.stringify(digest)} is not sha256:<64 hex>`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(s, source, `tag ${JSON.stringify(tag)} is not valid`);
  }
  const { registry, repository } = splitRepository(rest);
  if (!repository || !repository.split('/').every((c) => COMPONENT.test(c))) {
    throw bad(
      s,
      source,
      'repository path components must be lowercase letters and digits separated by . _ or -',
    );
  }
  const ref: ImageRef = { registry, repository };
  if (tag) ref.tag = tag;
  if (digest) ref.digest = digest;
  if (!tag && !digest) ref.tag = 'latest';
  return ref;
}

function bad(s: string, source: string, why: string): UserError {
  return new UserError(`${source}: ${JSON.stringify(s)} is not a valid image reference: ${why}`, {
    hint: 'write references as registry/repository[:tag][@sha256:digest], e.g. ghcr.io/me/app:v1',
  });
}

/** Formats a reference in full (`registry/repo:tag@digest`). */
export function formatReference(ref: ImageRef): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** The tag or digest to ask the registry for. */
export function referenceTarget(ref: ImageRef): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

/** Where a registry's API lives: http or https, and Docker Hub's API host, which differs from its name. */
export function registryBaseUrl(registry: string, insecure: boolean): string {
  const host = registry === DOCKER_HUB ? 'registry-1.docker.io' : registry;
  return `${allowsHttp(registry, insecure) ? 'http' : 'https'}://${host}`;
}

/**
 * True when kodev may talk plain http to a registry: loopback addresses,
 * `*.local` hosts, or every registry when `--insecure-registry` is given.
 */
export function allowsHttp(registry: string, insecure: boolean): boolean {
  if (insecure) return true;
  const host = registry.startsWith('[')
    ? registry.slice(0, registry.indexOf(']') + 1)
    : (registry.split(':')[0] ?? registry);
  return (
    host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '[::1]' || host.endsWith('.local')
  );
}
