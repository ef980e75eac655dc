import { describe, expect, it } from 'vitest';
import { mergeScopes, parseChallenge } from '../../src/registry/challenge.js';
import { allowsHttp, formatReference, parseReference } from '../../src/registry/reference.js';

describe('parseReference (Docker defaults)', () => {
  it.each([
    ['alpine', 'index.docker.io/library/alpine:latest'],
    ['docker.io/me/app:v1', 'index.docker.io/me/app:v1'],
    ['localhost:5000/a/b', 'localhost:5000/a/b:latest'],
    ['127.0.0.1:5000/a@sha256:' + 'a'.repeat(64), `127.0.0.1:5000/a@sha256:${'a'.repeat(64)}`],
    ['ghcr.io/o/r:1.2@sha256:' + 'b'.repeat(64), `ghcr.io/o/r:1.2@sha256:${'b'.repeat(64)}`],
  ])('%s -> %s', (input, want) => {
    expect(formatReference(parseReference(input))).toBe(want);
  });

  it.each([
    ['ghcr.io/Me/app', /repository path components must be lowercase/],
    ['ghcr.io/me/app:-bad', /tag "-bad" is not valid/],
    ['ghcr.io/me/app@sha256:123', /digest "sha256:123" is not sha256/],
  ])('%s is rejected', (input, message) => {
    expect(() => parseReference(input, 'base image')).toThrow(message);
  });
});

describe('allowsHttp', () => {
  it.each([
    ['127.0.0.1:5000', false, true],
    ['localhost:5000', false, true],
    ['registry.local', false, true],
    ['[::1]:5000', false, true],
    ['ghcr.io', false, false],
    ['10.0.0.5:5000', false, false],
    ['ghcr.io', true, true],
  ])('%s (insecure=%s) -> %s', (host, insecure, want) => {
    expect(allowsHttp(host, insecure)).toBe(want);
  });
});

describe('WWW-Authenticate challenges and scopes', () => {
  it('parses a Bearer challenge with quoted values and an error', () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.io/token",service="reg.io",scope="repository:a/b:pull,push",error="insufficient_scope"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.io/token',
        service: 'reg.io',
        scope: 'repository:a/b:pull,push',
        error: 'insufficient_scope',
      },
    });
  });
  it('parses a Basic challenge', () => {
    expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({
      scheme: 'basic',
      params: { realm: 'Registry Realm' },
    });
  });
  it('merges scopes per resource, unioning actions', () => {
    expect(mergeScopes(['repository:a:pull'], ['repository:a:push repository:b:pull'])).toEqual([
      'repository:a:pull,push',
      'repository:b:pull',
    ]);
  });
});
