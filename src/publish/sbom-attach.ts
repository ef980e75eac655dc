/**
 * Attaches SBOMs in a registry the way ko does (cosign's convention: an
 * artifact tagged `sha256-<hex>.sbom` holding the SBOM as its one layer) and,
 * when the registry serves the OCI referrers API, also as an OCI referrer
 * whose `subject` is the image.
 */
import type { BuildResult } from '../build/builder.js';
import { canonicalJson, sha256Digest } from '../oci/digest.js';
import { memoryBlob } from '../oci/image.js';
import type { Descriptor } from '../oci/types.js';
import { MediaType } from '../oci/types.js';
import type { RegistryClient } from '../registry/client.js';
import type { RenderedSbom } from '../sbom/index.js';

const EMPTY_JSON = Buffer.from('{}');
const EMPTY_MEDIA_TYPE = 'application/vnd.oci.empty.v1+json';

/** Pushes every SBOM of a result next to the image or index it describes. */
export async function attachSboms(
  client: RegistryClient,
  repository: string,
  result: BuildResult,
  log: (m: string) => void,
): Promise<void> {
  const subjects = subjectsOf(result);
  let referrers: boolean | undefined;
  for (const [digest, sbom] of result.sboms) {
    const subject = subjects.get(digest);
    if (!subject) continue;
    await pushCosignSbom(client, repository, digest, sbom);
    referrers ??= await client.supportsReferrers(repository, digest);
    if (referrers) await pushReferrer(client, repository, subject, sbom);
  }
  if (result.sboms.size > 0)
    log(
      `Attached ${result.sboms.size} SBOM(s) to ${client.registry}/${repository}${referrers ? ' (also as OCI referrers)' : ''}`,
    );
}

function subjectsOf(result: BuildResult): Map<string, Descriptor> {
  const a = result.artifact;
  const out = new Map<string, Descriptor>();
  if (a.kind === 'image') {
    out.set(a.digest, {
      mediaType: a.manifest.mediaType ?? MediaType.ociManifest,
      digest: a.digest,
      size: a.manifestBytes.byteLength,
    });
  } else {
    out.set(a.digest, {
      mediaType: a.index.mediaType ?? MediaType.ociIndex,
      digest: a.digest,
      size: a.indexBytes.byteLength,
    });
    for (const c of a.children)
      out.set(c.image.digest, {
        mediaType: c.descriptor.mediaType,
        digest: c.image.digest,
        size: c.image.manifestBytes.byteLength,
      });
  }
  return out;
}

async function pushCosignSbom(
  client: RegistryClient,
  repository: string,
  subjectDigest: string,
  sbom: RenderedSbom,
): Promise<void> {
  const layer = memoryBlob(sbom.bytes);
  const configBytes = canonicalJson({
    architecture: '',
    os: '',
    config: {},
    rootfs: { type: 'layers', diff_ids: [layer.digest] },
  });
  const config = memoryBlob(configBytes);
  await client.pushBlob(repository, layer);
  await client.pushBlob(repository, config);
  const manifest = canonicalJson({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, size: config.size, digest: config.digest },
    layers: [{ mediaType: sbom.mediaType, size: layer.size, digest: layer.digest }],
  });
  await client.putManifest(
    repository,
    `${subjectDigest.replace(':', '-')}.sbom`,
    manifest,
    MediaType.ociManifest,
  );
}

async function pushReferrer(
  client: RegistryClient,
  repository: string,
  subject: Descriptor,
  sbom: RenderedSbom,
): Promise<void> {
  const layer = memoryBlob(sbom.bytes);
  const empty = memoryBlob(EMPTY_JSON);
  await client.pushBlob(repository, layer);
  await client.pushBlob(repository, empty);
  const manifest = canonicalJson({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType: sbom.mediaType,
    config: { mediaType: EMPTY_MEDIA_TYPE, size: empty.size, digest: empty.digest },
    layers: [{ mediaType: sbom.mediaType, size: layer.size, digest: layer.digest }],
    subject: { mediaType: subject.mediaType, size: subject.size, digest: subject.digest },
  });
  await client.putManifest(repository, sha256Digest(manifest), manifest, MediaType.ociManifest);
}
