/** Flags that say where images go, and the rules that combine them with KO_DOCKER_REPO. */
import type { Command } from 'commander';
import { UsageError, UserError } from '../errors.js';
import { type NamingStrategy, validateRepository, validateTag } from '../publish/naming.js';
import type { Env } from '../system/env.js';
import { collectList, parseBool } from './build-options.js';

/** Publish flags as parsed from the command line. */
export interface PublishFlags {
  tags: string[];
  tagOnly: boolean;
  baseImportPaths: boolean;
  preserveImportPaths: boolean;
  bare: boolean;
  push: boolean;
  local: boolean;
  insecureRegistry: boolean;
  ociLayoutPath?: string;
  tarball?: string;
  imageRefs?: string;
}

/** Where and how to publish, after validation. */
export interface PublishOptions {
  /** Repository images are named under. */
  repo: string;
  naming: NamingStrategy;
  tags: string[];
  /** True when the user gave -t (so references show the tag). */
  explicitTags: boolean;
  tagOnly: boolean;
  push: boolean;
  /** Where pushed images go; undefined with --push=false. */
  target?: PublishTarget;
  /** Allow plain http to every registry, not only loopback and *.local. */
  insecureRegistry: boolean;
  ociLayoutPath?: string;
  tarball?: string;
  imageRefs?: string;
}

/** The domain ko uses for the local Docker daemon. */
export const LOCAL_DOMAIN = 'ko.local';
/** The domain ko uses for loading straight into kind nodes. */
export const KIND_DOMAIN = 'kind.local';

/** Where a push goes: a registry, the local Docker daemon (ko.local) or kind nodes (kind.local). */
export type PublishTarget = 'registry' | 'daemon' | 'kind';

/** Adds the publish flags to a command. */
export function bindPublishFlags(cmd: Command): Command {
  return cmd
    .option('-t, --tags <tags>', 'tags to publish, comma-separated (default "latest")', collectList)
    .option('--tag-only', 'publish by tag only, without the digest in the reference', false)
    .option('-B, --base-import-paths', 'name images <repo>/<last path element>', false)
    .option('-P, --preserve-import-paths', 'name images <repo>/<full import path>', false)
    .option('--bare', 'name images <repo> alone', false)
    .option('--push [bool]', 'push images to KO_DOCKER_REPO (--push=false to only build)', parseBool, true)
    .option('-L, --local', 'load images into the local Docker daemon (ko.local)', false)
    .option(
      '--insecure-registry',
      'allow plain http to registries (always allowed for loopback and *.local)',
      false,
    )
    .option('--oci-layout-path <dir>', 'also write images into this OCI image layout directory')
    .option('--tarball <file>', 'also write images into this docker-loadable tarball')
    .option('--image-refs <file>', 'also write the image references to this file, one per line');
}

/** Validates publish flags against the environment. */
export function resolvePublishOptions(flags: PublishFlags, env: Env): PublishOptions {
  const namingFlags = [
    flags.baseImportPaths && '-B',
    flags.preserveImportPaths && '-P',
    flags.bare && '--bare',
  ].filter(Boolean);
  if (namingFlags.length > 1)
    throw new UsageError(`${namingFlags.join(' and ')} cannot be combined`, { hint: 'pick one naming flag' });
  const naming: NamingStrategy = flags.bare
    ? 'bare'
    : flags.baseImportPaths
      ? 'base'
      : flags.preserveImportPaths
        ? 'preserve'
        : 'md5';
  const explicitTags = flags.tags !== undefined && flags.tags.length > 0;
  const tags = explicitTags ? flags.tags : ['latest'];
  for (const t of tags) validateTag(t);
  if (flags.tagOnly && !explicitTags)
    throw new UsageError('--tag-only needs --tags', { hint: 'e.g. --tag-only -t v1.2.3' });
  let repo = env.KO_DOCKER_REPO ?? '';
  if (flags.local && !repo.startsWith(LOCAL_DOMAIN)) repo = LOCAL_DOMAIN;
  const local = repo === LOCAL_DOMAIN || repo.startsWith(`${LOCAL_DOMAIN}/`);
  const kind = repo === KIND_DOMAIN || repo.startsWith(`${KIND_DOMAIN}/`);
  if (flags.push && repo === '') {
    throw new UserError('KO_DOCKER_REPO is unset, so there is nowhere to push', {
      hint: 'set KO_DOCKER_REPO=registry/repository (or ko.local, or kind.local), or pass --push=false (with --oci-layout-path DIR or --tarball FILE to keep the images)',
    });
  }
  const target: PublishTarget | undefined = !flags.push
    ? undefined
    : local
      ? 'daemon'
      : kind
        ? 'kind'
        : 'registry';
  if (repo === '') repo = LOCAL_DOMAIN;
  validateRepository(repo, env.KO_DOCKER_REPO ? 'KO_DOCKER_REPO' : 'repository');
  return {
    repo,
    naming,
    tags,
    explicitTags,
    tagOnly: flags.tagOnly,
    push: flags.push,
    ...(target ? { target } : {}),
    insecureRegistry: flags.insecureRegistry,
    ...(flags.ociLayoutPath ? { ociLayoutPath: flags.ociLayoutPath } : {}),
    ...(flags.tarball ? { tarball: flags.tarball } : {}),
    ...(flags.imageRefs ? { imageRefs: flags.imageRefs } : {}),
  };
}
