/**
 * Image names from import paths, as ko makes them: `<base>-<md5>` by default,
 * `-B` base only, `-P` the whole path, `--bare` the repository alone.
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';
import { COMPONENT, TAG } from '../registry/reference.js';

/** How to name images. */
export type NamingStrategy = 'md5' | 'base' | 'preserve' | 'bare';

/** Returns `<repo>/<name>` for an import path (lowercased, like ko). */
export function imageName(repo: string, importPath: string, strategy: NamingStrategy): string {
  const ip = importPath.toLowerCase();
  const base = ip.split('/').pop() ?? ip;
  switch (strategy) {
    case 'bare':
      return repo;
    case 'preserve':
      return `${repo}/${ip}`;
    case 'base':
      return `${repo}/${base}`;
    case 'md5':
      return `${repo}/${base}-${createHash('md5').update(ip).digest('hex')}`;
  }
}

const DOMAIN =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$/;

/** Checks a repository (`KO_DOCKER_REPO`) against the reference grammar. */
export function validateRepository(repo: string, source: string): void {
  const [first = '', ...rest] = repo.split('/');
  const domainLike = rest.length > 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const comps = domainLike ? rest : [first, ...rest];
  const ok = (!domainLike || DOMAIN.test(first)) && comps.every((c) => COMPONENT.test(c));
  if (!ok) {
    throw new UsageError(`${source}: ${JSON.stringify(repo)} is not a valid repository`, {
      hint: 'use registry/path with lowercase letters, digits and . _ - separators, e.g. ghcr.io/me/app',
    });
  }
}

/** Checks a tag against the reference grammar. */
export function validateTag(tag: string): void {
  if (!TAG.test(tag)) {
    throw new UsageError(`tag ${JSON.stringify(tag)} is not valid`, {
      hint: 'tags are up to 128 of [A-Za-z0-9_.-], not starting with . or -',
    });
  }
}
