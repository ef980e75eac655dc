import { describe, expect, it } from 'vitest';
import { mergePatch } from '../../src/k8s/client-side-apply.js';

type J = Parameters<typeof mergePatch>[1];

describe('mergePatch (client-side apply)', () => {
  const cases: { name: string; live: J; desired: J; last: J | undefined; patch: J | undefined }[] = [
    {
      name: 'nothing differs',
      live: { a: 1, b: { c: 2 } },
      desired: { a: 1, b: { c: 2 } },
      last: { a: 1 },
      patch: undefined,
    },
    { name: 'a changed scalar', live: { a: 1 }, desired: { a: 2 }, last: { a: 1 }, patch: { a: 2 } },
    {
      name: 'a new nested key',
      live: { m: { x: 1 } },
      desired: { m: { x: 1, y: 2 } },
      last: {},
      patch: { m: { y: 2 } },
    },
    {
      name: 'a key applied last time and no longer written is removed',
      live: { labels: { a: '1', b: '2' } },
      desired: { labels: { a: '1' } },
      last: { labels: { a: '1', b: '2' } },
      patch: { labels: { b: null } },
    },
    {
      name: 'a key someone else added is kept',
      live: { labels: { a: '1', theirs: 'x' } },
      desired: { labels: { a: '1' } },
      last: { labels: { a: '1' } },
      patch: undefined,
    },
    {
      name: 'lists are replaced whole when they differ',
      live: { l: [1, 2] },
      desired: { l: [1, 3] },
      last: {},
      patch: { l: [1, 3] },
    },
    {
      name: 'equal lists are left alone',
      live: { l: [{ a: 1 }] },
      desired: { l: [{ a: 1 }] },
      last: {},
      patch: undefined,
    },
    {
      name: 'no previous configuration',
      live: { a: 1, b: 2 },
      desired: { a: 1 },
      last: undefined,
      patch: undefined,
    },
  ];
  for (const c of cases) it(c.name, () => expect(mergePatch(c.live, c.desired, c.last)).toEqual(c.patch));
});
