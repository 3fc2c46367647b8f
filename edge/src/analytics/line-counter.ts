/**
 * Line counter: counts tracked objects crossing a line segment, per class and per direction — the
 * "virtual tripwire" of traffic counting (supervision's `LineZone`, https://github.com/roboflow/supervision,
 * `supervision/detection/line_zone.py`, uses the same direction convention).
 *
 * A line is a **segment** `{ id, start, end }` in pixels of the original frame. Its direction
 * (start → end) defines two sides and so the meaning of IN and OUT, as seen on screen (y down):
 *
 * ```
 *                 LEFT side of start→end     (signed distance < 0)
 *                          ▲
 *                          │  IN : from the right side to the left side
 *     start ●──────────────┼──────────────▶● end
 *                          │  OUT: from the left side to the right side
 *                          ▼
 *                 RIGHT side of start→end    (signed distance > 0)
 *
 *   e.g. start = [0, 500], end = [1920, 500] (drawn left to right): moving UP the image is IN.
 *        start = [960, 0], end = [960, 1080] (drawn downwards):    moving RIGHT in the image is IN.
 *        To swap IN and OUT, swap start and end.
 * ```
 *
 * How a crossing is decided, per track, from its anchor point (default BOTTOM_CENTER):
 * 1. **Hysteresis.** The anchor's side only changes once it is at least `minDistance` px away from
 *    the (infinite) line. Inside that band the previous side is kept, so an anchor jittering ±1 px
 *    on the line is not a crossing, let alone several. With `minFrames` > 1 the new side must also
 *    be seen in that many consecutive updates (frames inside the band do not break the run), so a
 *    box that glitches across the line for a frame — two cars merged into one detection, a
 *    shadow — is not a crossing either.
 * 2. **Within the segment.** When the side flips, the movement from the last point on the old side
 *    to the first point on the new side must intersect the segment itself, not its extension: a
 *    car driving past the end of a line drawn across one lane is not counted.
 * 3. **First sighting is not a crossing.** A track first seen on either side (or in the band) only
 *    sets its side: objects that appear on the far side were not seen crossing.
 * 4. **Once per direction per track** (default): a track that crosses in, back out and in again
 *    counts one IN and one OUT. With `countOncePerTrack: true` only its first crossing counts.
 * 5. **Class at crossing time.** The crossing is counted under the track's `label` at that frame
 *    (ByteTracker: its score-weighted majority so far). If the vote changes later, the count is
 *    not moved.
 * 6. **Lost tracks hold.** A track with `state: 'lost'` (predicted box) neither moves nor crosses;
 *    if it reappears on the other side, the crossing is counted then (step 2 uses its last seen
 *    point). A track absent from an update is forgotten.
 *
 * Sharp edges: choose `minDistance` at least the anchor's frame-to-frame jitter (a few px at
 * 1080p) but well below the distance an object moves between processed frames, or fast objects
 * will jump the band in one step (still counted: a jump across the band is a side change). The
 * crossing's `timeMs` is the time of the first frame seen on the new side (with `minFrames` > 1
 * it is reported `minFrames − 1` updates later, carrying that earlier time). Keep `minFrames` small
 * at low frame rates: a track must live that many frames past the line to count.
 *
 * @example
 * const counter = new LineCounter({ id: 'north-lane', start: [100, 600], end: [900, 600] });
 * const crossings = counter.update(tracker.update(detections, t), t);
 * // [{ lineId: 'north-lane', trackId: 7, label: 'car', direction: 'in', timeMs: 1718000000000 }]
 * counter.counts(); // { in: { car: 12, bus: 1 }, out: { car: 9 } }
 */
import { Anchor, DEFAULT_ANCHOR, anchorPoint, type Point } from './anchor';
import type { TrackedObject } from './tracked-object';

/** IN / OUT in one sentence; see the picture in the module docs. */
export const LINE_DIRECTION_CONVENTION =
  "'in' = the anchor moves from the right side to the left side of the vector start→end, as seen " +
  "in the image (x right, y down); 'out' = from left to right. A line drawn left to right counts " +
  "upward movement as 'in'. Swap start and end to swap the directions.";

/** A counting line: a segment in pixels of the original frame. */
export interface CountingLine {
  /** Stable id, carried by every {@link Crossing} and traffic count. */
  id: string;
  start: Point;
  end: Point;
}

export type CrossingDirection = 'in' | 'out';

/** One counted crossing. */
export interface Crossing {
  lineId: string;
  trackId: number;
  /** The track's label when it crossed. */
  label: string;
  direction: CrossingDirection;
  /** `frameTimeMs` of the frame in which the crossing was seen. */
  timeMs: number;
}

/** Counts by direction, then by label. */
export interface LineCounts {
  in: Record<string, number>;
  out: Record<string, number>;
}

export interface LineCounterOptions {
  /** Point of the box that must cross; default BOTTOM_CENTER. */
  anchor?: Anchor;
  /** Hysteresis: distance from the line (px) before a side counts; default 2. */
  minDistance?: number;
  /** Count only a track's first crossing; default false (once per direction). */
  countOncePerTrack?: boolean;
  /** Consecutive updates a track must be seen on the new side before its side changes; default 1. */
  minFrames?: number;
}

const LEFT = -1;
const RIGHT = 1;
type Side = -1 | 0 | 1;

interface TrackSide {
  /** Last committed side (0 = not decided yet: only seen inside the band). */
  side: Side;
  /** Last anchor point seen on `side`. */
  point: Point | null;
  countedIn: boolean;
  countedOut: boolean;
  /** A side change being confirmed (`minFrames` > 1): the side, its first point and time, updates seen. */
  pending: { side: Side; point: Point; timeMs: number; seen: number } | null;
}

/**
 * Signed distance (px) from the infinite line through `line.start` → `line.end` to `point`:
 * positive on the RIGHT side, negative on the LEFT side (image coordinates, y down).
 */
export function signedDistance(line: CountingLine, point: Readonly<Point>): number {
  const vx = line.end[0] - line.start[0];
  const vy = line.end[1] - line.start[1];
  const wx = point[0] - line.start[0];
  const wy = point[1] - line.start[1];
  return (vx * wy - vy * wx) / Math.hypot(vx, vy);
}

/** Counts tracks crossing one line segment; see the module documentation. */
export class LineCounter {
  readonly line: CountingLine;
  readonly anchor: Anchor;
  readonly minDistance: number;
  readonly countOncePerTrack: boolean;
  readonly minFrames: number;
  private readonly sides = new Map<number, TrackSide>();
  private tally: LineCounts = { in: {}, out: {} };

  constructor(line: CountingLine, options: LineCounterOptions = {}) {
    validateLine(line);
    this.line = { id: line.id, start: [line.start[0], line.start[1]], end: [line.end[0], line.end[1]] };
    this.anchor = options.anchor ?? DEFAULT_ANCHOR;
    this.minDistance = options.minDistance ?? 2;
    this.countOncePerTrack = options.countOncePerTrack ?? false;
    this.minFrames = options.minFrames ?? 1;
    if (!(Number.isInteger(this.minFrames) && this.minFrames >= 1)) {
      throw new RangeError(`LineCounter ${line.id}: minFrames ${options.minFrames} must be an integer ≥ 1`);
    }
    if (!(this.minDistance >= 0 && Number.isFinite(this.minDistance))) {
      throw new RangeError(`LineCounter ${line.id}: minDistance ${options.minDistance} must be a finite number of pixels ≥ 0`);
    }
  }

  /**
   * Feed one frame's tracks.
   *
   * @param tracks every track of the frame, lost ones included (see {@link TrackedObject}).
   * @param frameTimeMs capture time of the frame, ms since the epoch (UTC).
   * @returns the crossings counted in this frame.
   */
  update(tracks: readonly TrackedObject[], frameTimeMs: number): Crossing[] {
    if (!Number.isFinite(frameTimeMs)) throw new RangeError(`LineCounter ${this.line.id}: frameTimeMs ${frameTimeMs} must be a finite time in ms`);
    const crossings: Crossing[] = [];
    const seen = new Set<number>();
    for (const track of tracks) {
      seen.add(track.id);
      if (track.state === 'lost') continue;
      const p = anchorPoint(track.box, this.anchor);
      const d = signedDistance(this.line, p);
      const side: Side = d > 0 && d >= this.minDistance ? RIGHT : d < 0 && -d >= this.minDistance ? LEFT : 0;
      let st = this.sides.get(track.id);
      if (!st) {
        st = { side: 0, point: null, countedIn: false, countedOut: false, pending: null };
        this.sides.set(track.id, st);
      }
      if (side === 0) continue;
      if (st.side === 0 || st.side === side) {
        st.side = side;
        st.point = p;
        st.pending = null;
        continue;
      }
      if (st.pending?.side !== side) st.pending = { side, point: p, timeMs: frameTimeMs, seen: 0 };
      st.pending.seen += 1;
      if (st.pending.seen < this.minFrames) continue;
      const from = st.side;
      const previous = st.point!;
      const first = st.pending;
      st.side = side;
      st.point = p;
      st.pending = null;
      if (!this.crossesSegment(previous, first.point)) continue;
      const direction: CrossingDirection = from === RIGHT ? 'in' : 'out';
      const already = this.countOncePerTrack ? st.countedIn || st.countedOut : direction === 'in' ? st.countedIn : st.countedOut;
      if (already) continue;
      if (direction === 'in') st.countedIn = true;
      else st.countedOut = true;
      const byLabel = this.tally[direction];
      byLabel[track.label] = (byLabel[track.label] ?? 0) + 1;
      crossings.push({ lineId: this.line.id, trackId: track.id, label: track.label, direction, timeMs: first.timeMs });
    }
    for (const id of this.sides.keys()) if (!seen.has(id)) this.sides.delete(id);
    return crossings;
  }

  /** Counts since construction (or {@link reset}): `{ in: { car: 3 }, out: { car: 1, bus: 1 } }`. */
  counts(): LineCounts {
    return { in: { ...this.tally.in }, out: { ...this.tally.out } };
  }

  /** Total crossings per direction, all labels. */
  totals(): { in: number; out: number } {
    const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
    return { in: sum(this.tally.in), out: sum(this.tally.out) };
  }

  /** Zero the counts and forget every track. */
  reset(): void {
    this.tally = { in: {}, out: {} };
    this.sides.clear();
  }

  /**
   * Does the movement p0 → p1 (on opposite sides of the infinite line) cross the segment itself?
   * The intersection with the infinite line is at p0 + (p1 − p0)·d0/(d0 − d1); it must project
   * onto start → end with a parameter in [0, 1].
   */
  private crossesSegment(p0: Point, p1: Point): boolean {
    const d0 = signedDistance(this.line, p0);
    const d1 = signedDistance(this.line, p1);
    const f = d0 / (d0 - d1);
    const x = p0[0] + (p1[0] - p0[0]) * f;
    const y = p0[1] + (p1[1] - p0[1]) * f;
    const vx = this.line.end[0] - this.line.start[0];
    const vy = this.line.end[1] - this.line.start[1];
    const t = ((x - this.line.start[0]) * vx + (y - this.line.start[1]) * vy) / (vx * vx + vy * vy);
    return t >= 0 && t <= 1;
  }
}

function validateLine(line: CountingLine): void {
  const where = `counting line ${JSON.stringify(line?.id)}`;
  if (typeof line?.id !== 'string' || line.id === '') throw new TypeError(`${where}: id must be a non-empty string`);
  const ok = (p: unknown): p is Point => Array.isArray(p) && p.length === 2 && p.every((v) => Number.isFinite(v));
  if (!ok(line.start) || !ok(line.end)) {
    throw new TypeError(`${where}: start and end must be [x, y] pixel points, got ${JSON.stringify([line.start, line.end])}`);
  }
  if (line.start[0] === line.end[0] && line.start[1] === line.end[1]) {
    throw new RangeError(`${where}: start and end are the same point ${JSON.stringify(line.start)}; a line needs two distinct points`);
  }
}
