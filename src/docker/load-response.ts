/**
 * The body of `POST /images/load`: JSON lines. The daemon has already sent
 * 200 when it starts loading, so a failure arrives as a line of the body
 * (`{"errorDetail":{...},"error":"..."}`), never as a status.
 */

/** What a load response says: what was loaded and what went wrong. */
export interface LoadOutcome {
  /** `Loaded image: <tag>` and `Loaded image ID: <id>` values, in order. */
  loaded: string[];
  errors: string[];
}

/** Parses a load response body; a line that is not JSON counts as an error. */
export function parseLoadResponse(text: string): LoadOutcome {
  const loaded: string[] = [];
  const errors: string[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let msg: { stream?: string; error?: string; errorDetail?: { message?: string } };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      errors.push(line.trim());
      continue;
    }
    if (msg.error !== undefined || msg.errorDetail !== undefined)
      errors.push(msg.errorDetail?.message || msg.error || 'unknown error');
    for (const m of (msg.stream ?? '').matchAll(/^Loaded image(?: ID)?: (.+)$/gm))
      if (m[1]) loaded.push(m[1].trim());
  }
  return { loaded, errors };
}
