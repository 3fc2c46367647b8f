import { describe, expect, it } from 'vitest';
import { Anchor, anchorPoint } from '../../src/analytics/anchor';

describe('anchorPoint', () => {
  const box: [number, number, number, number] = [100, 50, 140, 130];
  it('defaults to the bottom centre (ground contact)', () => {
    expect(anchorPoint(box)).toEqual([120, 130]);
  });
  it.each([
    [Anchor.CENTER, [120, 90]],
    [Anchor.CENTER_LEFT, [100, 90]],
    [Anchor.CENTER_RIGHT, [140, 90]],
    [Anchor.TOP_CENTER, [120, 50]],
    [Anchor.TOP_LEFT, [100, 50]],
    [Anchor.TOP_RIGHT, [140, 50]],
    [Anchor.BOTTOM_LEFT, [100, 130]],
    [Anchor.BOTTOM_CENTER, [120, 130]],
    [Anchor.BOTTOM_RIGHT, [140, 130]],
  ])('%s', (anchor, point) => {
    expect(anchorPoint(box, anchor)).toEqual(point);
  });
  it('names the valid anchors when given an unknown one', () => {
    expect(() => anchorPoint(box, 'MIDDLE' as Anchor)).toThrow(/BOTTOM_CENTER/);
  });
});
