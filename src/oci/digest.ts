/** Content digests (sha256) as used throughout OCI. */
import { createHash } from 'node:crypto';

/** Returns `sha256:<hex>` of the bytes. */
export function sha256Digest(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Returns the hex part of a `sha256:<hex>` digest, rejecting anything else. */
export function digestHex(digest: string): string {
  const m = /^sha256:([a-f0-9]{64})$/.exec(digest);
  if (!m?.[1]) throw new Error(`unsupported digest ${JSON.stringify(digest)}`);
  return m[1];
}

/** Serializes JSON the way kodev writes every manifest and config: compact, key order as built. */
export function canonicalJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}
