import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { imageName, validateRepository, validateTag } from '../../src/publish/naming.js';

// md5 computed independently by coreutils: printf %s example.com/app/cmd/server | md5sum
const MD5_SERVER = '961d4f7e2040039f268e0cc4cb46e0c9';

describe('imageName', () => {
  it('md5 naming matches coreutils md5sum of the lowercased import path', () => {
    expect(createHash('md5').update('example.com/app/cmd/server').digest('hex')).toBe(MD5_SERVER);
    expect(imageName('reg.io/me', 'example.com/App/cmd/Server', 'md5')).toBe(
      `reg.io/me/server-${MD5_SERVER}`,
    );
  });
  it.each([
    ['base', 'reg.io/me/server'],
    ['preserve', 'reg.io/me/example.com/app/cmd/server'],
    ['bare', 'reg.io/me'],
  ] as const)('%s naming gives %s', (strategy, want) => {
    expect(imageName('reg.io/me', 'example.com/App/cmd/Server', strategy)).toBe(want);
  });
});

describe('validateRepository', () => {
  it.each(['ko.local', 'localhost:5000/me', 'reg.io/me/app', 'ghcr.io/org/a_b/c-d', '127.0.0.1:5000/x'])(
    '%s is valid',
    (r) => {
      expect(() => validateRepository(r, 'KO_DOCKER_REPO')).not.toThrow();
    },
  );
  it.each(['reg.io/Me', 'reg.io/me/', 'reg io/me', 'reg.io/-me'])('%s is rejected naming the source', (r) => {
    expect(() => validateRepository(r, 'KO_DOCKER_REPO')).toThrow(
      /^KO_DOCKER_REPO: .* is not a valid repository/,
    );
  });
});

describe('validateTag', () => {
  it.each(['latest', 'v1.2.3', 'a_b-c.d'])('%s is valid', (t) => expect(() => validateTag(t)).not.toThrow());
  it.each(['-x', '.x', 'a/b', 'x'.repeat(129)])('%s is rejected', (t) =>
    expect(() => validateTag(t)).toThrow(/is not valid/),
  );
});
