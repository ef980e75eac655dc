/** A pass-through stream that fails at the end when the bytes do not match their digest and size. */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { UserError } from '../errors.js';

/** Error raised by `verifyingStream` when content does not match: corrupt or altered content, reported to the user. */
export class DigestMismatchError extends UserError {
  override name = 'DigestMismatchError';
  constructor(message: string) {
    super(message, {
      hint: 'the content was altered or cut short in storage or in transit; fetch or copy it again',
    });
  }
}

/** Returns a Transform that hashes what passes through and errors on a digest or size mismatch. */
export function verifyingStream(
  expectedDigest: string,
  expectedSize: number | undefined,
  where: string,
): Transform {
  const hash = createHash('sha256');
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
    flush(cb: TransformCallback) {
      const got = `sha256:${hash.digest('hex')}`;
      if (got !== expectedDigest)
        cb(new DigestMismatchError(`${where}: content has digest ${got}, expected ${expectedDigest}`));
      else if (expectedSize !== undefined && size !== expectedSize)
        cb(new DigestMismatchError(`${where}: content has ${size} bytes, expected ${expectedSize}`));
      else cb();
    },
  });
}
