/** Parsing `POST /images/load` bodies, as the daemon writes them. */
import { describe, expect, it } from 'vitest';
import { parseLoadResponse } from '../../src/docker/load-response.js';

describe('parseLoadResponse', () => {
  it.each([
    ['an empty body', '', { loaded: [], errors: [] }],
    [
      'a tagged image',
      '{"stream":"Loaded image: ko.local/app:v1\\n"}\n',
      { loaded: ['ko.local/app:v1'], errors: [] },
    ],
    [
      'an untagged image and a tagged one',
      '{"stream":"Loaded image ID: sha256:abc\\n"}\r\n{"stream":"Loaded image: a:b\\n"}\n',
      { loaded: ['sha256:abc', 'a:b'], errors: [] },
    ],
    [
      'an error inside the 200 body',
      '{"errorDetail":{"message":"open /x/missing.tar: no such file"},"error":"open /x/missing.tar: no such file"}\n',
      { loaded: [], errors: ['open /x/missing.tar: no such file'] },
    ],
    ['a line that is not JSON', 'unexpected EOF\n', { loaded: [], errors: ['unexpected EOF'] }],
  ])('%s', (_case, body, want) => {
    expect(parseLoadResponse(body)).toEqual(want);
  });
});
