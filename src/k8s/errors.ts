/** Turns API server refusals into one-line user errors that name the object and say what to do. */
import { UserError } from '../errors.js';
import { KubeApiError } from './client.js';
import { type ManifestObject, objectName } from './objects.js';

/** Describes why the server refused `o`, or rethrows what is not an API error. */
export function refusal(
  err: unknown,
  o: ManifestObject,
  namespace: string | undefined,
  verb: string,
): UserError {
  if (!(err instanceof KubeApiError)) {
    if (err instanceof UserError) return err;
    throw err;
  }
  const what = `${objectName(o.object)}${namespace ? ` in namespace ${namespace}` : ''} (${o.where})`;
  const causes = (err.status.details?.causes ?? [])
    .map((c) => [c.field, c.message].filter(Boolean).join(': '))
    .filter(Boolean);
  const detail = causes.length ? causes.join('; ') : err.message;
  switch (err.reason) {
    case 'Forbidden':
      return new UserError(`cannot ${verb} ${what}: forbidden: ${err.message}`, {
        hint: 'your credentials lack the RBAC permission; ask a cluster admin for a Role granting it, or pick another --context',
        cause: err,
      });
    case 'Unauthorized':
      return new UserError(`cannot ${verb} ${what}: the API server rejected the credentials`, {
        hint: 'refresh your kubeconfig credentials (token or certificate expired?)',
        cause: err,
      });
    case 'Invalid':
      return new UserError(`${what} is invalid: ${detail}`, { hint: 'fix the manifest', cause: err });
    case 'AlreadyExists':
      return new UserError(`${what} already exists`, {
        hint: 'kodev create only makes new objects; use kodev apply to update existing ones',
        cause: err,
      });
    case 'Conflict':
      return new UserError(`cannot ${verb} ${what}: ${err.message}`, {
        hint: 'another field manager owns these fields; rerun with --force-conflicts to take them over',
        cause: err,
      });
    case 'NotFound':
      return new UserError(`cannot ${verb} ${what}: ${err.message}`, {
        hint: 'create the namespace first, or include it in the manifests',
        cause: err,
      });
    default:
      return new UserError(`cannot ${verb} ${what}: ${detail} (HTTP ${err.statusCode})`, {
        hint: 'fix the manifest or the cluster and run again',
        cause: err,
      });
  }
}
