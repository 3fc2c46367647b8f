/**
 * Traffic analyzer: one frame's detections → tracks → line crossings and zone events → per-line,
 * per-interval `TrafficCountDraft`s. The synchronous heart of the video pipeline, free of I/O, so
 * tests can feed it detections directly.
 *
 * ```
 *  detections ─▶ class filter ─▶ cross-class merge ─▶ ByteTracker ─▶ tracks ─┬─▶ LineCounter × lines ─▶ crossings ─▶ IntervalAggregator ─▶ drafts
 *   (frame px)    (`classes`)     (`mergeIou`)                               └─▶ PolygonZone × zones ─▶ occupancy, enter/exit (dwell)
 * ```
 *
 * **Cross-class merge.** The detector's NMS is class-aware (as YOLOX's), so one van often comes out
 * twice — as a `car` box and a `truck` box on the same pixels. The tracker associates boxes
 * regardless of class, and would start a second track on the duplicate and count the van twice.
 * Before tracking, boxes overlapping a higher-scoring box of *another* class with IoU >
 * `mergeIou` (default 0.7) are dropped; the class vote of the surviving track still sees the
 * object's other label over time.
 *
 * **First sighting = first detection.** ByteTracker reports a track only once confirmed
 * (`minHits` detections, 3 by default); by then a car may already be on the line or past it, and a
 * line counter would take that confirmed position as its first sighting and never count it. When
 * a track appears, the line counters first see it at its first detection's box (`Track.firstBox`),
 * then at its current box — so a crossing made while the track was tentative counts. At a low
 * detection rate (5 fps: 0.4 s between the first and the third hit) this matters most.
 *
 * Every box is in pixels of the frame the detector saw (the video's own size), and so are the
 * lines' and zones' coordinates. Times are the frames' capture times in ms since the epoch:
 * intervals are aligned to the UTC clock (see `IntervalAggregator`), and `update` flushes every
 * interval that closed before the current frame.
 *
 * @example
 * const analyzer = new TrafficAnalyzer({ lines: [{ id: 'north', start: [0, 80], end: [296, 80] }], classes: ['car', 'truck'] });
 * const { tracks, crossings, drafts } = analyzer.update(result.detections, Date.parse(frame.capturedAt));
 * // at the end of a file: analyzer.finish() → the last, partial interval
 */
import type { Detection } from '../vision/detector';
import { iou } from '../vision/nms';
import { ByteTracker, type ByteTrackerOptions, type Track } from '../tracking/index';
import {
  IntervalAggregator,
  LineCounter,
  PolygonZone,
  type CountingLine,
  type Crossing,
  type LineCounterOptions,
  type LineCounts,
  type PolygonZoneOptions,
  type TrackedObject,
  type TrafficCountDraft,
  type ZoneSpec,
  type ZoneUpdate,
} from '../analytics/index';

/**
 * Tracker settings the analyzer starts from (overridden by `options.tracker`): ByteTrack's, except
 * `trackThresh` 0.4 instead of 0.5 (so new tracks start from score 0.5 instead of 0.6).
 *
 * Why: ByteTrack's thresholds were set for YOLOX-X on MOT17. The default model here is
 * YOLOX-Nano, whose scores for real vehicles are lower: on the COCO street fixtures
 * (`fixtures/street`), a quarter of its true-positive car/truck/bus/motorcycle detections score
 * below 0.44 and 29% below 0.5 — with 0.5 / 0.6 such vehicles can keep a track but rarely start
 * one, and a car first seen partly hidden behind another is confirmed only after it crossed the
 * line. Lower-scoring boxes still only *continue* tracks (second association), as in ByteTrack.
 */
export const TRAFFIC_TRACKER_DEFAULTS: Readonly<ByteTrackerOptions> = { trackThresh: 0.4 };

/**
 * Line counter settings the analyzer starts from (overridden by `options.lineOptions`): the
 * counter's, plus `minFrames: 2` — a side change must be seen in two consecutive frames. A
 * detector now and then returns one box around two cars driving close together; for that frame the
 * rear car's track jumps to the merged box, whose bottom lies past the line, and back: a crossing
 * and a crossing back that never happened. Two frames filter that out at little cost (a track
 * must live one more frame past the line).
 */
export const TRAFFIC_LINE_DEFAULTS: Readonly<LineCounterOptions> = { minFrames: 2 };

/** Options of {@link TrafficAnalyzer}. */
export interface TrafficAnalyzerOptions {
  /** Counting lines (frame pixels); ids must be unique. */
  lines?: readonly CountingLine[];
  /** Zones (frame pixels); ids must be unique. */
  zones?: readonly ZoneSpec[];
  /** Labels to track and count (e.g. `['car', 'truck', 'bus']`); detections of others are ignored. Default: all. */
  classes?: readonly string[];
  /** ByteTrack options over {@link TRAFFIC_TRACKER_DEFAULTS} (set `frameRate` to the detection rate). */
  tracker?: ByteTrackerOptions;
  /** Options of every line counter (anchor, hysteresis, once per track) over {@link TRAFFIC_LINE_DEFAULTS}. */
  lineOptions?: LineCounterOptions;
  /** Options of every zone (anchor). */
  zoneOptions?: PolygonZoneOptions;
  /** Drop a box overlapping a higher-scoring box of another class by more than this IoU; default 0.7, 1 = off. */
  mergeIou?: number;
  /** Aggregation interval, ms; default 60 000. */
  intervalMs?: number;
  /** Time (ms since the epoch) from which intervals are emitted; default the first frame's. */
  startMs?: number;
}

/** What one frame produced. */
export interface AnalyzedFrame {
  /** Confirmed tracks, `'tracked'` and `'lost'` (predicted box), sorted by id. */
  tracks: Track[];
  /** Line crossings counted in this frame. */
  crossings: Crossing[];
  /** Per zone id: occupancy after this frame and its enter/exit events. */
  zones: Record<string, ZoneUpdate>;
  /** Intervals that closed before this frame, one draft per line, zeros included. */
  drafts: TrafficCountDraft[];
  /** Time spent in the tracker and in lines + zones + aggregation, ms. */
  timings: { trackMs: number; countMs: number };
}

/** Counts of one line since the start. */
export interface LineTotals extends LineCounts {
  id: string;
}

/** Tracker + lines + zones + aggregator for one camera; see the module documentation. */
export class TrafficAnalyzer {
  readonly tracker: ByteTracker;
  readonly counters: readonly LineCounter[];
  readonly zones: readonly PolygonZone[];
  readonly aggregator: IntervalAggregator;
  private readonly classes: ReadonlySet<string> | undefined;
  private readonly mergeIou: number;
  /** Track ids reported in the previous frame (tracks stay reported from confirmation to removal). */
  private known = new Set<number>();

  constructor(options: TrafficAnalyzerOptions = {}) {
    const lines = options.lines ?? [];
    const zones = options.zones ?? [];
    unique('line', lines.map((l) => l.id));
    unique('zone', zones.map((z) => z.id));
    this.tracker = new ByteTracker({ ...TRAFFIC_TRACKER_DEFAULTS, ...options.tracker });
    this.counters = lines.map((l) => new LineCounter(l, { ...TRAFFIC_LINE_DEFAULTS, ...options.lineOptions }));
    this.zones = zones.map((z) => new PolygonZone(z, options.zoneOptions));
    this.aggregator = new IntervalAggregator({
      lineIds: lines.map((l) => l.id),
      ...(options.intervalMs !== undefined ? { intervalMs: options.intervalMs } : {}),
      ...(options.startMs !== undefined ? { startMs: options.startMs } : {}),
    });
    this.classes = options.classes && options.classes.length > 0 ? new Set(options.classes) : undefined;
    this.mergeIou = options.mergeIou ?? 0.7;
    if (!(this.mergeIou > 0 && this.mergeIou <= 1)) throw new RangeError(`mergeIou ${options.mergeIou} must be in (0, 1]`);
  }

  /**
   * Feeds one frame.
   * @param detections the frame's detections (frame pixels), any classes (filtered here).
   * @param frameTimeMs the frame's capture time, ms since the epoch.
   */
  update(detections: readonly Detection[], frameTimeMs: number): AnalyzedFrame {
    const t0 = performance.now();
    const wanted = this.classes ? detections.filter((d) => this.classes!.has(d.label)) : detections;
    const tracks = this.tracker.update(mergeAcrossClasses(wanted, this.mergeIou), frameTimeMs);
    const t1 = performance.now();
    const crossings: Crossing[] = [];
    const fresh = tracks.filter((t) => !this.known.has(t.id) && t.state === 'tracked' && t.firstBox);
    if (fresh.length > 0 && this.counters.length > 0) {
      // New tracks at their first detection; the others held ('lost' neither moves nor crosses).
      const freshIds = new Set(fresh.map((t) => t.id));
      const primer: TrackedObject[] = tracks.map((t) =>
        freshIds.has(t.id) ? { id: t.id, box: t.firstBox!, label: t.label, state: 'tracked' } : { id: t.id, box: t.box, label: t.label, state: 'lost' },
      );
      for (const counter of this.counters) counter.update(primer, frameTimeMs);
    }
    this.known = new Set(tracks.map((t) => t.id));
    for (const counter of this.counters) crossings.push(...counter.update(tracks, frameTimeMs));
    const zones: Record<string, ZoneUpdate> = {};
    for (const zone of this.zones) zones[zone.id] = zone.update(tracks, frameTimeMs);
    this.aggregator.add(crossings);
    const drafts = this.aggregator.flush(frameTimeMs);
    const t2 = performance.now();
    return { tracks, crossings, zones, drafts, timings: { trackMs: t1 - t0, countMs: t2 - t1 } };
  }

  /** Emits every remaining interval, including the one still open (end of a file, shutdown). */
  finish(): TrafficCountDraft[] {
    return this.aggregator.flushAll();
  }

  /** Counts per line since the start, by direction and label. */
  totals(): LineTotals[] {
    return this.counters.map((c) => ({ id: c.line.id, ...c.counts() }));
  }
}

/**
 * Greedy, by descending score: drops a detection whose IoU with an already kept detection of a
 * different class exceeds `threshold` (same-class duplicates were handled by the detector's NMS).
 */
export function mergeAcrossClasses(detections: readonly Detection[], threshold: number): Detection[] {
  if (threshold >= 1 || detections.length < 2) return detections.slice();
  const kept: Detection[] = [];
  for (const d of detections.slice().sort((a, b) => b.score - a.score)) {
    if (kept.some((k) => k.classId !== d.classId && iou(k.box, d.box) > threshold)) continue;
    kept.push(d);
  }
  return kept;
}

function unique(kind: string, ids: readonly string[]): void {
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) throw new Error(`${kind} id "${id}" is used twice; every ${kind} needs its own id`);
    seen.add(id);
  }
}
