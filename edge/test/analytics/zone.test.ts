import { describe, expect, it } from 'vitest';
import { PolygonZone, pointInPolygon } from '../../src/analytics/zone';
import type { TrackedObject } from '../../src/analytics/tracked-object';

function at(id: number, x: number, y: number, label = 'car', state: 'tracked' | 'lost' = 'tracked'): TrackedObject {
  return { id, box: [x - 10, y - 20, x + 10, y], label, state };
}

const square: Array<[number, number]> = [
  [100, 100],
  [300, 100],
  [300, 300],
  [100, 300],
];

describe('pointInPolygon (ray casting)', () => {
  it('classifies points of a square and of a concave L-shape', () => {
    expect(pointInPolygon([200, 200], square)).toBe(true);
    expect(pointInPolygon([50, 200], square)).toBe(false);
    expect(pointInPolygon([200, 350], square)).toBe(false);
    const l: Array<[number, number]> = [[0, 0], [100, 0], [100, 40], [40, 40], [40, 100], [0, 100]];
    expect(pointInPolygon([20, 80], l)).toBe(true);
    expect(pointInPolygon([80, 20], l)).toBe(true);
    expect(pointInPolygon([80, 80], l)).toBe(false); // the notch
  });
});

describe('PolygonZone', () => {
  it('emits enter and exit with the dwell time of a track passing through a square', () => {
    const zone = new PolygonZone({ id: 'z', polygon: square });
    const events = [];
    // anchor x = 60, 110, …, 360 at t = 0, 1 s, …, 6 s: inside for x = 110..260
    for (let k = 0; k <= 6; k++) events.push(...zone.update([at(1, 60 + 50 * k, 200)], 10_000 + 1000 * k).events);
    expect(events).toEqual([
      { zoneId: 'z', trackId: 1, label: 'car', type: 'enter', timeMs: 11_000 },
      { zoneId: 'z', trackId: 1, label: 'car', type: 'exit', timeMs: 15_000, dwellMs: 4000, reason: 'left' },
    ]);
    expect(zone.occupancy()).toEqual({ total: 0, byLabel: {} });
  });

  it('counts occupancy by class, holding lost tracks', () => {
    const zone = new PolygonZone({ id: 'z', polygon: square });
    const r1 = zone.update([at(1, 150, 150), at(2, 250, 250, 'person'), at(3, 250, 150, 'person'), at(4, 50, 50)], 0);
    expect(r1.occupancy).toEqual({ total: 3, byLabel: { car: 1, person: 2 } });
    expect(r1.events.map((e) => [e.trackId, e.type])).toEqual([
      [1, 'enter'],
      [2, 'enter'],
      [3, 'enter'],
    ]);
    const r2 = zone.update([at(1, 150, 150, 'car', 'lost'), at(2, 250, 250, 'person'), at(3, 350, 150, 'person'), at(4, 50, 50)], 100);
    expect(r2.occupancy).toEqual({ total: 2, byLabel: { car: 1, person: 1 } });
    expect(r2.events).toEqual([{ zoneId: 'z', trackId: 3, label: 'person', type: 'exit', timeMs: 100, dwellMs: 100, reason: 'left' }]);
    expect(zone.present().map((m) => m.trackId)).toEqual([1, 2]);
  });

  it('ends the stay of a track that disappears at the last time it was seen inside', () => {
    const zone = new PolygonZone({ id: 'z', polygon: square });
    zone.update([at(1, 150, 150)], 1000);
    zone.update([at(1, 160, 150)], 2000);
    zone.update([at(1, 170, 150, 'car', 'lost')], 3000);
    const r = zone.update([], 4000);
    expect(r.events).toEqual([{ zoneId: 'z', trackId: 1, label: 'car', type: 'exit', timeMs: 2000, dwellMs: 1000, reason: 'disappeared' }]);
    expect(r.occupancy.total).toBe(0);
  });

  it('rejects a polygon with fewer than 3 points', () => {
    expect(() => new PolygonZone({ id: 'tiny', polygon: [[0, 0], [1, 1]] })).toThrow(/"tiny".*at least 3/);
  });
});
