import { describe, expect, it } from 'vitest';
import { IntervalAggregator, intervalStartOf } from '../../src/analytics/interval-aggregator';
import type { Crossing } from '../../src/analytics/line-counter';

const T = (hh: number, mm: number, ss: number, ms = 0) => Date.UTC(2024, 5, 10, hh, mm, ss, ms);
const crossing = (lineId: string, timeMs: number, label = 'car', direction: 'in' | 'out' = 'in'): Crossing => ({
  lineId,
  trackId: 1,
  label,
  direction,
  timeMs,
});

describe('IntervalAggregator', () => {
  it('aligns intervals to the UTC clock', () => {
    expect(intervalStartOf(T(12, 0, 59, 900), 60_000)).toBe(T(12, 0, 0));
    expect(intervalStartOf(T(12, 1, 0, 100), 60_000)).toBe(T(12, 1, 0));
    expect(intervalStartOf(T(12, 7, 31), 300_000)).toBe(T(12, 5, 0));
  });

  it('puts 12:00:59.9 and 12:01:00.1 in different intervals and counts by label and direction', () => {
    const agg = new IntervalAggregator({ lineIds: ['L1', 'L2'] });
    expect(agg.flush(T(12, 0, 30))).toEqual([]); // starts the clock: first interval 12:00
    agg.add([
      crossing('L1', T(12, 0, 59, 900)),
      crossing('L1', T(12, 1, 0, 100)),
      crossing('L1', T(12, 1, 10), 'bus', 'out'),
      crossing('L1', T(12, 1, 20)),
      crossing('L1', T(12, 1, 30), 'bus', 'in'),
    ]);
    expect(agg.flush(T(12, 0, 59, 999))).toEqual([]);
    expect(agg.flush(T(12, 1, 0, 500))).toEqual([
      { lineId: 'L1', intervalStart: '2024-06-10T12:00:00.000Z', intervalEnd: '2024-06-10T12:01:00.000Z', counts: [{ label: 'car', direction: 'in', count: 1 }] },
      { lineId: 'L2', intervalStart: '2024-06-10T12:00:00.000Z', intervalEnd: '2024-06-10T12:01:00.000Z', counts: [] },
    ]);
    expect(agg.flush(T(12, 2, 0))).toEqual([
      {
        lineId: 'L1',
        intervalStart: '2024-06-10T12:01:00.000Z',
        intervalEnd: '2024-06-10T12:02:00.000Z',
        counts: [
          { label: 'bus', direction: 'in', count: 1 },
          { label: 'bus', direction: 'out', count: 1 },
          { label: 'car', direction: 'in', count: 2 },
        ],
      },
      { lineId: 'L2', intervalStart: '2024-06-10T12:01:00.000Z', intervalEnd: '2024-06-10T12:02:00.000Z', counts: [] },
    ]);
  });

  it('emits zero intervals for every line through a quiet period', () => {
    const agg = new IntervalAggregator({ lineIds: ['L1'], startMs: T(12, 0, 10) });
    const drafts = agg.flush(T(12, 3, 5));
    expect(drafts.map((d) => [d.intervalStart.slice(11, 19), d.counts.length])).toEqual([
      ['12:00:00', 0],
      ['12:01:00', 0],
      ['12:02:00', 0],
    ]);
    expect(agg.flush(T(12, 3, 59))).toEqual([]);
  });

  it('starts a line first seen in a crossing at that crossing’s interval', () => {
    const agg = new IntervalAggregator({ lineIds: ['L1'], startMs: T(12, 0, 0) });
    agg.add(crossing('new', T(12, 2, 30)));
    expect(agg.flush(T(12, 3, 0)).map((d) => [d.lineId, d.intervalStart.slice(11, 16), d.counts.length])).toEqual([
      ['L1', '12:00', 0],
      ['L1', '12:01', 0],
      ['L1', '12:02', 0],
      ['new', '12:02', 1],
    ]);
  });

  it('emits a late crossing as an extra draft for its (already emitted) interval', () => {
    const agg = new IntervalAggregator({ lineIds: ['L1'], startMs: T(12, 0, 0) });
    expect(agg.flush(T(12, 1, 0))[0]!.counts).toEqual([]);
    agg.add(crossing('L1', T(12, 0, 45), 'truck', 'out'));
    expect(agg.flush(T(12, 1, 30))).toEqual([
      { lineId: 'L1', intervalStart: '2024-06-10T12:00:00.000Z', intervalEnd: '2024-06-10T12:01:00.000Z', counts: [{ label: 'truck', direction: 'out', count: 1 }] },
    ]);
  });

  it('flushAll closes the open interval', () => {
    const agg = new IntervalAggregator({ lineIds: ['L1'] });
    expect(agg.flushAll()).toEqual([]);
    agg.add(crossing('L1', T(12, 0, 20)));
    agg.flush(T(12, 0, 40));
    expect(agg.flushAll()).toEqual([
      { lineId: 'L1', intervalStart: '2024-06-10T12:00:00.000Z', intervalEnd: '2024-06-10T12:01:00.000Z', counts: [{ label: 'car', direction: 'in', count: 1 }] },
    ]);
    expect(agg.flushAll()).toEqual([]);
  });

  it('skips the empty gap of a clock jump (device booted at 1970, then NTP)', () => {
    const agg = new IntervalAggregator({ lineIds: ['L1'], startMs: 30_000 });
    agg.add(crossing('L1', 40_000));
    const drafts = agg.flush(T(12, 0, 30));
    expect(drafts.map((d) => [d.intervalStart, d.counts.length])).toEqual([['1970-01-01T00:00:00.000Z', 1]]);
    expect(agg.flush(T(12, 1, 0)).map((d) => d.intervalStart)).toEqual(['2024-06-10T12:00:00.000Z']);
  });

  it('uses other interval widths', () => {
    const agg = new IntervalAggregator({ lineIds: ['L1'], intervalMs: 15 * 60_000, startMs: T(12, 7, 0) });
    expect(agg.flush(T(12, 30, 0)).map((d) => [d.intervalStart.slice(11, 16), d.intervalEnd.slice(11, 16)])).toEqual([
      ['12:00', '12:15'],
      ['12:15', '12:30'],
    ]);
    expect(() => new IntervalAggregator({ intervalMs: 0 })).toThrow(/intervalMs/);
  });
});
