import { describe, expect, it } from 'vitest';
import { LineCounter, signedDistance, type CountingLine } from '../../src/analytics/line-counter';
import type { TrackedObject } from '../../src/analytics/tracked-object';
import { ByteTracker } from '../../src/tracking/byte-tracker';

/** A track whose BOTTOM_CENTER anchor is at (x, y). */
function at(id: number, x: number, y: number, label = 'car', state: 'tracked' | 'lost' = 'tracked'): TrackedObject {
  return { id, box: [x - 10, y - 20, x + 10, y], label, state };
}

/** Feed one track along a path of anchor points, frame k at time 1000 + 100·k. */
function walk(counter: LineCounter, path: Array<[number, number]>, id = 1, label = 'car') {
  return path.flatMap(([x, y], k) => counter.update([at(id, x, y, label)], 1000 + 100 * k));
}

// Horizontal line drawn left → right at y = 100, from x = 0 to x = 200.
const horizontal: CountingLine = { id: 'h', start: [0, 100], end: [200, 100] };

describe('LineCounter direction convention', () => {
  it('signed distance: positive on the right of start→end (below a left-to-right line, y down)', () => {
    expect(signedDistance(horizontal, [50, 120])).toBe(20);
    expect(signedDistance(horizontal, [50, 80])).toBe(-20);
  });

  it('moving up across a left-to-right line is IN (right side → left side)', () => {
    const c = new LineCounter(horizontal);
    const crossings = walk(c, [[100, 130], [100, 115], [100, 105], [100, 95], [100, 80]]);
    expect(crossings).toEqual([{ lineId: 'h', trackId: 1, label: 'car', direction: 'in', timeMs: 1300 }]);
    expect(c.counts()).toEqual({ in: { car: 1 }, out: {} });
  });

  it('moving down across it is OUT', () => {
    const c = new LineCounter(horizontal);
    expect(walk(c, [[100, 80], [100, 95], [100, 105], [100, 130]]).map((x) => [x.direction, x.timeMs])).toEqual([['out', 1200]]);
  });

  it('moving right across a top-to-bottom line is IN', () => {
    const c = new LineCounter({ id: 'v', start: [100, 0], end: [100, 200] });
    expect(walk(c, [[80, 150], [95, 150], [105, 150], [120, 150]]).map((x) => x.direction)).toEqual(['in']);
    expect(walk(c, [[120, 50], [80, 50]], 2).map((x) => x.direction)).toEqual(['out']);
  });
});

describe('LineCounter', () => {
  it('does not count a crossing beyond the end of the segment', () => {
    const c = new LineCounter(horizontal);
    expect(walk(c, [[250, 130], [250, 80]], 1)).toEqual([]); // past the end
    expect(walk(c, [[-10, 130], [-10, 80]], 2)).toEqual([]); // before the start
    expect(walk(c, [[190, 110], [215, 90]], 3)).toEqual([]); // diagonal: meets y = 100 at x = 202.5
    expect(walk(c, [[199, 130], [199, 80]], 4)).toHaveLength(1); // just inside
    expect(c.totals()).toEqual({ in: 1, out: 0 });
  });

  it('counts an anchor jittering ±1 px on the line once', () => {
    const ys = [130, 120, 110, 101, 99, 101, 99, 100, 101, 99, 101, 90, 80];
    const path = ys.map((y) => [100, y] as [number, number]);
    const c = new LineCounter(horizontal); // minDistance 2 px
    expect(walk(c, path).map((x) => [x.direction, x.timeMs])).toEqual([['in', 1000 + 100 * 11]]);
    expect(c.counts()).toEqual({ in: { car: 1 }, out: {} });
    // Without hysteresis the same jitter is read as in, out, in, … (once per direction per track).
    const raw = new LineCounter(horizontal, { minDistance: 0 });
    expect(walk(raw, path).map((x) => x.direction)).toEqual(['in', 'out']);
  });

  it('counts a track crossing back once per direction, or only once with countOncePerTrack', () => {
    const path: Array<[number, number]> = [[100, 130], [100, 80], [100, 130], [100, 80], [100, 130]];
    const c = new LineCounter(horizontal);
    expect(walk(c, path).map((x) => x.direction)).toEqual(['in', 'out']);
    expect(c.counts()).toEqual({ in: { car: 1 }, out: { car: 1 } });
    const once = new LineCounter(horizontal, { countOncePerTrack: true });
    expect(walk(once, path).map((x) => x.direction)).toEqual(['in']);
  });

  it('does not count a track that first appears on the far side or on the line', () => {
    const c = new LineCounter(horizontal);
    expect(walk(c, [[100, 80], [100, 60], [100, 40]], 1)).toEqual([]);
    expect(walk(c, [[100, 100.5], [100, 90], [100, 70]], 2)).toEqual([]);
    expect(c.totals()).toEqual({ in: 0, out: 0 });
  });

  it('counts under the label at crossing time and keeps it when the label changes later', () => {
    const c = new LineCounter(horizontal);
    c.update([at(1, 100, 130, 'car')], 0);
    c.update([at(1, 100, 80, 'car')], 100);
    c.update([at(1, 100, 60, 'truck')], 200);
    expect(c.counts()).toEqual({ in: { car: 1 }, out: {} });
  });

  it('counts a class-flipping track under its majority class (with ByteTracker)', () => {
    const tracker = new ByteTracker();
    const c = new LineCounter(horizontal);
    const crossings = [];
    // A car driving up the image, bottom-centre from y = 140 to y = 60; detected as a truck on
    // the very frame it crosses the line.
    for (let k = 0; k <= 8; k++) {
      const y = 140 - 10 * k;
      const label = k === 5 ? 'truck' : 'car';
      const dets = [{ label, classId: label === 'car' ? 2 : 7, score: 0.9, box: [90, y - 40, 130, y] as [number, number, number, number] }];
      crossings.push(...c.update(tracker.update(dets, k * 100), k * 100));
    }
    expect(crossings).toEqual([{ lineId: 'h', trackId: 1, label: 'car', direction: 'in', timeMs: 500 }]);
  });

  it('holds a lost track and counts it when it reappears on the other side', () => {
    const c = new LineCounter(horizontal);
    c.update([at(1, 100, 130)], 0);
    c.update([at(1, 100, 110)], 100);
    expect(c.update([at(1, 100, 100, 'car', 'lost')], 200)).toEqual([]);
    expect(c.update([at(1, 100, 90, 'car', 'lost')], 300)).toEqual([]);
    expect(c.update([at(1, 100, 80)], 400)).toEqual([{ lineId: 'h', trackId: 1, label: 'car', direction: 'in', timeMs: 400 }]);
  });

  it('forgets a track that is missing from an update', () => {
    const c = new LineCounter(horizontal);
    c.update([at(1, 100, 130)], 0);
    c.update([], 100);
    expect(c.update([at(1, 100, 80)], 200)).toEqual([]);
  });

  it('counts several tracks and classes independently', () => {
    const c = new LineCounter(horizontal);
    c.update([at(1, 50, 130), at(2, 150, 70, 'bus'), at(3, 100, 120, 'bicycle')], 0);
    const crossings = c.update([at(1, 50, 70), at(2, 150, 130, 'bus'), at(3, 100, 110, 'bicycle')], 100);
    expect(crossings.map((x) => [x.trackId, x.direction])).toEqual([
      [1, 'in'],
      [2, 'out'],
    ]);
    expect(c.counts()).toEqual({ in: { car: 1 }, out: { bus: 1 } });
  });

  it('rejects a degenerate line with a message naming it', () => {
    expect(() => new LineCounter({ id: 'bad', start: [5, 5], end: [5, 5] })).toThrow(/"bad".*same point/);
    expect(() => new LineCounter({ id: 'bad2', start: [5, NaN], end: [5, 5] })).toThrow(/"bad2"/);
  });
});

describe('LineCounter minFrames (temporal hysteresis)', () => {
  it('ignores a one-frame glitch across the line, counts a real crossing with the time of its first frame', () => {
    const c = new LineCounter(horizontal, { minFrames: 2 });
    // Above the line, one frame below (a merged box), back above: nothing.
    expect(walk(c, [[100, 80], [100, 85], [100, 112], [100, 86], [100, 84]])).toEqual([]);
    // Then really down: first frame past the line at k = 1 (t = 1100), confirmed at k = 2.
    const down = walk(c, [[100, 84], [100, 104], [100, 112], [100, 125]]);
    expect(down).toEqual([{ lineId: 'h', trackId: 1, label: 'car', direction: 'out', timeMs: 1100 }]);
  });

  it('frames inside the band do not break the run', () => {
    const c = new LineCounter(horizontal, { minFrames: 2, minDistance: 2 });
    expect(walk(c, [[100, 80], [100, 105], [100, 101], [100, 106]]).map((x) => [x.direction, x.timeMs])).toEqual([['out', 1100]]);
  });

  it('with minFrames 1 (default) the glitch counts, as before', () => {
    const c = new LineCounter(horizontal);
    expect(walk(c, [[100, 80], [100, 112], [100, 86]]).map((x) => x.direction)).toEqual(['out', 'in']);
  });

  it('rejects a minFrames that is not a positive integer', () => {
    expect(() => new LineCounter(horizontal, { minFrames: 0 })).toThrow(/minFrames 0 must be an integer ≥ 1/);
  });
});
