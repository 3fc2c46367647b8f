import { describe, expect, it } from 'vitest';
import type { Detection } from '../../src/vision/detector';
import { ByteTracker } from '../../src/tracking/index';
import { IntervalAggregator, LineCounter, PolygonZone, type Crossing } from '../../src/analytics/index';

describe('tracking → analytics', () => {
  it('turns detections of two lanes into per-minute counts per class and direction', () => {
    // 10 fps around a minute boundary. Line across the road at y = 400, drawn left → right:
    // vehicles moving up the image are IN, down the image OUT.
    const t0 = Date.UTC(2024, 5, 10, 12, 0, 58);
    const tracker = new ByteTracker({ frameRate: 10 });
    const line = new LineCounter({ id: 'main-st', start: [0, 400], end: [1000, 400] });
    const zone = new PolygonZone({ id: 'stop', polygon: [[600, 100], [900, 100], [900, 300], [600, 300]] });
    const agg = new IntervalAggregator({ lineIds: ['main-st'] });
    const crossings: Crossing[] = [];
    const bottomAt = (x: number, y: number, w = 80, h = 60): [number, number, number, number] => [x - w / 2, y - h, x + w / 2, y];
    for (let k = 0; k < 40; k++) {
      const t = t0 + k * 100;
      const dets: Detection[] = [
        // car going up (IN): on the line at k = 20, counted on the first frame past it, k = 21
        { label: 'car', classId: 2, score: 0.9, box: bottomAt(200, 600 - 10 * k) },
        // truck going down (OUT): on the line at k = 10, counted at k = 11, the one frame the detector called it a 'bus'
        { label: k === 11 ? 'bus' : 'truck', classId: k === 11 ? 5 : 7, score: 0.85, box: bottomAt(500, 300 + 10 * k, 120, 100) },
        // parked van in the zone, never crosses
        { label: 'van', classId: 8, score: 0.7, box: bottomAt(750, 250) },
      ];
      const tracks = tracker.update(dets, t);
      crossings.push(...line.update(tracks, t));
      zone.update(tracks, t);
      agg.add(crossings.filter((c) => c.timeMs === t));
    }
    expect(crossings.map((c) => [c.label, c.direction, new Date(c.timeMs).toISOString().slice(11, 23)])).toEqual([
      ['truck', 'out', '12:00:59.100'],
      ['car', 'in', '12:01:00.100'],
    ]);
    expect(zone.occupancy()).toEqual({ total: 1, byLabel: { van: 1 } });
    expect(agg.flush(t0 + 62_000)).toEqual([
      { lineId: 'main-st', intervalStart: '2024-06-10T12:00:00.000Z', intervalEnd: '2024-06-10T12:01:00.000Z', counts: [{ label: 'truck', direction: 'out', count: 1 }] },
      { lineId: 'main-st', intervalStart: '2024-06-10T12:01:00.000Z', intervalEnd: '2024-06-10T12:02:00.000Z', counts: [{ label: 'car', direction: 'in', count: 1 }] },
    ]);
  });
});
