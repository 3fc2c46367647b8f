/**
 * TrafficAnalyzer on hand-made detections: the class filter, the cross-class merge of duplicate
 * boxes, the first-sighting rule (a track counts from its first detection, not its confirmation),
 * and interval drafts.
 */
import { describe, expect, it } from 'vitest';
import type { Detection } from '../../src/vision/detector';
import { mergeAcrossClasses, TrafficAnalyzer } from '../../src/pipeline/index';

const T0 = Date.UTC(2024, 5, 10, 12, 0, 50);
/** A box whose bottom centre is (x, y). */
const bottomAt = (x: number, y: number, w = 40, h = 30): [number, number, number, number] => [x - w / 2, y - h, x + w / 2, y];
const det = (label: string, classId: number, score: number, box: [number, number, number, number]): Detection => ({ label, classId, score, box });

describe('mergeAcrossClasses', () => {
  it('drops the lower-scoring box of another class on the same pixels, keeps same-class and separate boxes', () => {
    const car = det('car', 2, 0.8, [10, 10, 50, 40]);
    const truck = det('truck', 7, 0.5, [11, 10, 51, 41]);
    const other = det('car', 2, 0.6, [100, 10, 140, 40]);
    const sameClass = det('car', 2, 0.4, [12, 10, 52, 40]);
    expect(mergeAcrossClasses([truck, car, other, sameClass], 0.7)).toEqual([car, other, sameClass]);
    expect(mergeAcrossClasses([truck, car], 1)).toEqual([truck, car]);
  });
});

describe('TrafficAnalyzer', () => {
  it('counts a van detected as both car and truck once', () => {
    const a = new TrafficAnalyzer({ lines: [{ id: 'l', start: [0, 100], end: [400, 100] }], tracker: { frameRate: 10 } });
    for (let k = 0; k < 20; k++) {
      const box = bottomAt(200, 160 - 6 * k); // moving up through y = 100 at k = 10
      a.update([det('car', 2, 0.8, box), det('truck', 7, 0.7, [box[0] + 1, box[1], box[2] + 1, box[3]])], T0 + k * 100);
    }
    expect(a.totals()).toEqual([{ id: 'l', in: { car: 1 }, out: {} }]);
  });

  it('ignores classes not listed', () => {
    const a = new TrafficAnalyzer({ lines: [{ id: 'l', start: [0, 100], end: [400, 100] }], classes: ['car'], tracker: { frameRate: 10 } });
    for (let k = 0; k < 20; k++) a.update([det('person', 0, 0.9, bottomAt(200, 160 - 6 * k, 10, 30))], T0 + k * 100);
    expect(a.totals()).toEqual([{ id: 'l', in: {}, out: {} }]);
  });

  it('counts a car whose track is confirmed only after it crossed: its first detection was before the line', () => {
    // First seen 4 px below the line (y = 104); 3 hits to confirm, by then above the band.
    const a = new TrafficAnalyzer({ lines: [{ id: 'l', start: [0, 100], end: [400, 100] }], tracker: { frameRate: 10, minHits: 3 } });
    const ys = [104, 97, 90, 83, 76, 69];
    const crossings = ys.flatMap((y, k) => a.update([det('car', 2, 0.9, bottomAt(200, y))], T0 + k * 100).crossings);
    expect(crossings.map((c) => [c.direction, c.label])).toEqual([['in', 'car']]);
  });

  it('does not count a car first seen past the line', () => {
    const a = new TrafficAnalyzer({ lines: [{ id: 'l', start: [0, 100], end: [400, 100] }], tracker: { frameRate: 10 } });
    const ys = [95, 88, 81, 74, 67];
    expect(ys.flatMap((y, k) => a.update([det('car', 2, 0.9, bottomAt(200, y))], T0 + k * 100).crossings)).toEqual([]);
  });

  it('emits clock-aligned drafts per line as intervals close, and the open one at finish()', () => {
    const a = new TrafficAnalyzer({
      lines: [
        { id: 'a', start: [0, 100], end: [400, 100] },
        { id: 'b', start: [0, 300], end: [400, 300] },
      ],
      intervalMs: 5_000,
      tracker: { frameRate: 10 },
    });
    const drafts = [];
    for (let k = 0; k < 80; k++) drafts.push(...a.update([det('car', 2, 0.9, bottomAt(200, 200 - 3 * k))], T0 + k * 100).drafts);
    // T0 = 12:00:50; frames to 12:00:57.9: interval 12:00:50–55 closed; the car crossed line a (y = 100) at k ≈ 34 (12:00:53.4).
    expect(drafts).toEqual([
      { lineId: 'a', intervalStart: '2024-06-10T12:00:50.000Z', intervalEnd: '2024-06-10T12:00:55.000Z', counts: [{ label: 'car', direction: 'in', count: 1 }] },
      { lineId: 'b', intervalStart: '2024-06-10T12:00:50.000Z', intervalEnd: '2024-06-10T12:00:55.000Z', counts: [] },
    ]);
    expect(a.finish().map((d) => [d.lineId, d.intervalStart, d.counts.length])).toEqual([
      ['a', '2024-06-10T12:00:55.000Z', 0],
      ['b', '2024-06-10T12:00:55.000Z', 0],
    ]);
  });

  it('refuses two lines with the same id', () => {
    expect(() => new TrafficAnalyzer({ lines: [{ id: 'x', start: [0, 0], end: [1, 1] }, { id: 'x', start: [0, 5], end: [1, 5] }] })).toThrow(/line id "x" is used twice/);
  });
});
