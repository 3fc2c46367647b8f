/**
 * IoU and class-aware greedy NMS.
 */
import { describe, expect, it } from 'vitest';
import { iou, nms, type Box } from '../src/index';

const item = (box: Box, score: number, classId: number) => ({ box, score, classId });

describe('iou', () => {
  it('is intersection over union in continuous pixels', () => {
    expect(iou([0, 0, 10, 10], [5, 0, 15, 10])).toBeCloseTo(50 / 150, 12);
    expect(iou([0, 0, 10, 10], [0, 0, 10, 10])).toBe(1);
    expect(iou([0, 0, 10, 10], [10, 0, 20, 10])).toBe(0); // touching edges
    expect(iou([0, 0, 0, 10], [0, 0, 10, 10])).toBe(0); // no area
  });
});

describe('nms', () => {
  it('suppresses an overlapping box of the same class and keeps the higher score', () => {
    const a = item([0, 0, 100, 100], 0.6, 0);
    const b = item([5, 5, 105, 105], 0.9, 0); // IoU ≈ 0.82 with a
    expect(nms([a, b], 0.45)).toEqual([b]);
  });

  it('never lets boxes of different classes suppress each other', () => {
    const car = item([0, 0, 100, 100], 0.9, 2);
    const truck = item([0, 0, 100, 100], 0.8, 7);
    expect(nms([truck, car], 0.45)).toEqual([car, truck]);
  });

  it('keeps same-class boxes whose IoU is not above the threshold', () => {
    const a = item([0, 0, 10, 10], 0.9, 0);
    const b = item([5, 0, 15, 10], 0.8, 0); // IoU 1/3
    expect(nms([a, b], 0.45)).toHaveLength(2);
    expect(nms([a, b], 0.3)).toEqual([a]);
  });

  it('is greedy: a box suppressed by a kept one cannot suppress a third', () => {
    const a = item([0, 0, 10, 10], 0.9, 0);
    const b = item([4, 0, 14, 10], 0.8, 0); // IoU(a, b) = 60/140 ≈ 0.43 > 0.4: suppressed by a
    const c = item([8, 0, 18, 10], 0.7, 0); // IoU(a, c) ≈ 0.11; IoU(b, c) ≈ 0.43 but b was not kept
    expect(nms([c, b, a], 0.4)).toEqual([a, c]);
  });

  it('returns results sorted by score and honours maxKeep', () => {
    const boxes = [item([0, 0, 1, 1], 0.2, 0), item([10, 10, 11, 11], 0.7, 0), item([20, 20, 21, 21], 0.5, 1)];
    expect(nms(boxes, 0.45).map((b) => b.score)).toEqual([0.7, 0.5, 0.2]);
    expect(nms(boxes, 0.45, 2).map((b) => b.score)).toEqual([0.7, 0.5]);
  });
});
