import { describe, expect, it } from 'vitest';
import {
  bar,
  cellWidth,
  colorFor,
  fit,
  fitParts,
  PREFIX_PALETTE,
  seconds,
  shortDigest,
  truncate,
} from '../../components/format.js';

describe('format helpers', () => {
  it.each([
    [
      'a digest keeps its first 6 hex digits',
      shortDigest(`sha256:3f1c9a${'b'.repeat(58)}`),
      'sha256:3f1c9a…',
    ],
    ['no digest is empty', shortDigest(undefined), ''],
    ['truncate leaves short text alone', truncate('abc', 5), 'abc'],
    ['truncate ends in an ellipsis', truncate('abcdef', 4), 'abc…'],
    ['truncate counts wide characters as two cells', truncate('日本語テキスト', 5), '日本…'],
    ['fit pads to the width', fit('ab', 4), 'ab  '],
    ['fit cuts to the width', fit('abcdef', 4), 'abc…'],
    ['a bar of 2.5 cells', bar(2.5), '██▌'],
    ['a tiny positive bar is still visible', bar(0.01), '▏'],
    ['a zero bar is empty', bar(0), ''],
    ['seconds of 800 ms', seconds(800), '0.8'],
    ['seconds of 50 ms', seconds(50), '0.05'],
    ['seconds of 12.3 s', seconds(12_300), '12'],
  ])('%s', (_case, actual, expected) => {
    expect(actual).toBe(expected);
  });

  it('fitParts drops the lowest priority parts first and keeps order', () => {
    const parts = [
      { segments: [{ text: 'aaaa' }], priority: 3 },
      { segments: [{ text: 'bbbb' }], priority: 1 },
      { segments: [{ text: 'cccc' }], priority: 2 },
    ];
    const text = (w: number) =>
      fitParts(parts, w)
        .map((s) => s.text)
        .join('');
    expect(text(20)).toBe('aaaa  bbbb  cccc');
    expect(text(10)).toBe('aaaa  cccc');
    expect(text(4)).toBe('aaaa');
    expect(cellWidth(text(3))).toBeLessThanOrEqual(3);
  });

  it('colorFor is stable and stays in the palette', () => {
    const keys = ['api-1/api', 'worker-2/worker', 'web-3/web', 'x', ''];
    for (const k of keys) {
      expect(colorFor(k)).toBe(colorFor(k));
      expect(PREFIX_PALETTE).toContain(colorFor(k));
    }
    expect(new Set(Array.from({ length: 50 }, (_, i) => colorFor(`pod-${i}/c`))).size).toBeGreaterThan(3);
  });
});
