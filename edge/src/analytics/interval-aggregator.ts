/**
 * Interval aggregator: turns the stream of line crossings into one traffic count per line per
 * fixed, clock-aligned interval — the `TrafficCount` published on `sightline/v1/{deviceId}/traffic`
 * and stored in `traffic_counts` (device, camera, line, bucket, class, direction → count).
 *
 * Intervals are aligned to the UTC clock, not to when the agent started: with the default width of
 * 60 s, `intervalStart = floor(t / 60000) · 60000`, so every device's buckets line up
 * (12:00:00–12:01:00, 12:01:00–12:02:00, …) and the central side can sum them. Start is inclusive,
 * end exclusive: a crossing at 12:00:59.900 is in 12:00, one at 12:01:00.100 in 12:01.
 *
 * ```
 *  crossings ──add()──▶ [line × interval → {label, direction} → count]
 *                                   │ flush(nowMs): every interval with end ≤ nowMs, for every line
 *                                   ▼
 *               TrafficCountDraft { lineId, intervalStart, intervalEnd, counts[] }
 * ```
 *
 * **Zeros are sent.** For every known line, every interval from the first time the aggregator saw
 * (its first `add`/`flush`, or `startMs`) is emitted, with `counts: []` when nothing crossed, so the
 * central side can tell "0 vehicles" from "no data". Lines given to the constructor (or
 * {@link IntervalAggregator.addLine}) get zero intervals from the start; a line first seen in a
 * crossing only from that crossing's interval.
 *
 * Sharp edges:
 * - Call `flush` with the **time up to which frames were processed** (the last frame's capture
 *   time), not the wall clock: if the camera stalls, no zero counts are invented for time that was
 *   not observed. The first interval is partial (it starts when the agent started).
 * - A crossing older than an interval already emitted (late) is emitted at the next `flush` as an
 *   extra draft for that interval holding only the late counts; the central side adds counts on
 *   upsert, so totals stay right.
 * - A jump of the clock by more than `maxCatchUpIntervals` (default 1440 = one day of minutes; e.g.
 *   an edge device booting at 1970 and then syncing NTP) skips the gap instead of emitting
 *   millions of empty intervals.
 * - Drafts carry no device/camera/message ids: the publisher adds those.
 *
 * @example
 * const agg = new IntervalAggregator({ lineIds: ['north-lane'] });
 * agg.add(counter.update(tracks, t));
 * for (const draft of agg.flush(t)) publisher.publishTraffic(draft);
 * // { lineId: 'north-lane', intervalStart: '2024-06-10T12:00:00.000Z',
 * //   intervalEnd: '2024-06-10T12:01:00.000Z', counts: [{ label: 'car', direction: 'in', count: 7 }] }
 * // at shutdown: agg.flushAll()
 */
import type { Crossing, CrossingDirection } from './line-counter';

/** One line's counts for one interval, ready to become a `TrafficCount` message. */
export interface TrafficCountDraft {
  lineId: string;
  /** ISO 8601 UTC, inclusive, e.g. `2024-06-10T12:00:00.000Z`. */
  intervalStart: string;
  /** ISO 8601 UTC, exclusive. */
  intervalEnd: string;
  /** Non-zero counts, sorted by label then direction; empty when nothing crossed. */
  counts: Array<{ label: string; direction: CrossingDirection; count: number }>;
}

export interface IntervalAggregatorOptions {
  /** Lines that get an interval (zero or not) from the start. */
  lineIds?: readonly string[];
  /** Interval width in ms; default 60 000. Must divide into the clock evenly to align (any positive integer works). */
  intervalMs?: number;
  /** Time (ms since the epoch) from which intervals are emitted; default the first add/flush. */
  startMs?: number;
  /** Largest gap, in intervals, filled with zero intervals; default 1440. */
  maxCatchUpIntervals?: number;
}

/** Start of the interval containing `timeMs`: `floor(timeMs / widthMs) · widthMs`. */
export function intervalStartOf(timeMs: number, widthMs: number): number {
  return Math.floor(timeMs / widthMs) * widthMs;
}

type Bucket = Map<string, number>; // `${label}\u0000${direction}` → count

/** Per-line, per-interval crossing counts; see the module documentation. */
export class IntervalAggregator {
  readonly intervalMs: number;
  private readonly maxCatchUp: number;
  /** Per line: start of the next interval to emit (undefined until the clock is known). */
  private readonly cursors = new Map<string, number | undefined>();
  /** Per line: interval start → counts. */
  private readonly buckets = new Map<string, Map<number, Bucket>>();
  private latestMs: number | undefined;

  constructor(options: IntervalAggregatorOptions = {}) {
    this.intervalMs = options.intervalMs ?? 60_000;
    this.maxCatchUp = options.maxCatchUpIntervals ?? 1440;
    if (!(Number.isInteger(this.intervalMs) && this.intervalMs > 0)) {
      throw new RangeError(`IntervalAggregator: intervalMs ${options.intervalMs} must be a positive integer number of ms (e.g. 60000)`);
    }
    if (options.startMs !== undefined) this.observe(options.startMs);
    for (const id of options.lineIds ?? []) this.addLine(id);
  }

  /** Register a line so that it gets zero intervals; from `fromMs` (default: the known clock). */
  addLine(lineId: string, fromMs?: number): void {
    if (this.cursors.has(lineId)) return;
    const from = fromMs ?? this.latestMs;
    this.cursors.set(lineId, from === undefined ? undefined : intervalStartOf(from, this.intervalMs));
    this.buckets.set(lineId, new Map());
  }

  /** Count crossings (one or many, any lines, any order). */
  add(crossings: Crossing | readonly Crossing[]): void {
    const list: readonly Crossing[] = Array.isArray(crossings) ? crossings : [crossings as Crossing];
    for (const c of list) {
      if (!Number.isFinite(c.timeMs)) throw new RangeError(`IntervalAggregator: crossing of track ${c.trackId} on line ${c.lineId} has no finite timeMs`);
      this.observe(c.timeMs);
      this.addLine(c.lineId, c.timeMs);
      const start = intervalStartOf(c.timeMs, this.intervalMs);
      const byStart = this.buckets.get(c.lineId)!;
      let bucket = byStart.get(start);
      if (!bucket) byStart.set(start, (bucket = new Map()));
      const key = `${c.label}\u0000${c.direction}`;
      bucket.set(key, (bucket.get(key) ?? 0) + 1);
    }
  }

  /**
   * Emit every interval that has closed by `nowMs` (end ≤ nowMs), for every line, zeros included,
   * plus late counts for intervals already emitted. Sorted by interval start, then line id.
   */
  flush(nowMs: number): TrafficCountDraft[] {
    if (!Number.isFinite(nowMs)) throw new RangeError(`IntervalAggregator: flush(${nowMs}) needs a finite time in ms`);
    this.observe(nowMs);
    return this.emitUntil(nowMs);
  }

  /**
   * Emit everything, including the interval still open at the latest time seen (shutdown). That
   * interval is then closed: later crossings in it are emitted as late drafts.
   */
  flushAll(): TrafficCountDraft[] {
    if (this.latestMs === undefined) return [];
    return this.emitUntil(intervalStartOf(this.latestMs, this.intervalMs) + this.intervalMs);
  }

  private observe(timeMs: number): void {
    if (this.latestMs === undefined) {
      this.latestMs = timeMs;
      for (const [id, cursor] of this.cursors) if (cursor === undefined) this.cursors.set(id, intervalStartOf(timeMs, this.intervalMs));
    } else if (timeMs > this.latestMs) {
      this.latestMs = timeMs;
    }
  }

  private emitUntil(endMs: number): TrafficCountDraft[] {
    const out: Array<{ start: number; draft: TrafficCountDraft }> = [];
    const w = this.intervalMs;
    for (const [lineId, cursor] of this.cursors) {
      if (cursor === undefined) continue;
      const byStart = this.buckets.get(lineId)!;
      // late counts for intervals already emitted
      for (const [start, bucket] of byStart) {
        if (start < cursor) {
          out.push({ start, draft: this.draft(lineId, start, bucket) });
          byStart.delete(start);
        }
      }
      let next = cursor;
      if ((endMs - next) / w > this.maxCatchUp) {
        // Clock jump: emit the intervals of the gap that hold counts, skip the empty ones.
        const resume = intervalStartOf(endMs, w);
        for (const [start, bucket] of [...byStart].sort((a, b) => a[0] - b[0])) {
          if (start >= resume) break;
          out.push({ start, draft: this.draft(lineId, start, bucket) });
          byStart.delete(start);
        }
        next = Math.max(next, resume);
      }
      while (next + w <= endMs) {
        out.push({ start: next, draft: this.draft(lineId, next, byStart.get(next)) });
        byStart.delete(next);
        next += w;
      }
      this.cursors.set(lineId, next);
    }
    out.sort((a, b) => a.start - b.start || (a.draft.lineId < b.draft.lineId ? -1 : a.draft.lineId > b.draft.lineId ? 1 : 0));
    return out.map((o) => o.draft);
  }

  private draft(lineId: string, start: number, bucket: Bucket | undefined): TrafficCountDraft {
    const counts = [...(bucket ?? new Map<string, number>())]
      .map(([key, count]) => {
        const [label, direction] = key.split('\u0000') as [string, CrossingDirection];
        return { label, direction, count };
      })
      .sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : a.direction < b.direction ? -1 : a.direction > b.direction ? 1 : 0));
    return {
      lineId,
      intervalStart: new Date(start).toISOString(),
      intervalEnd: new Date(start + this.intervalMs).toISOString(),
      counts,
    };
  }
}
