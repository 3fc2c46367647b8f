/**
 * Polygon zone: which tracked objects are inside an area of the image, when they entered, when
 * they left and how long they stayed (dwell time) — e.g. a bus stop, a crossing, a loading bay.
 * Modelled on supervision's `PolygonZone` (https://github.com/roboflow/supervision,
 * `supervision/detection/tools/polygon_zone.py`), with enter/exit events and dwell added.
 *
 * A zone is `{ id, polygon }`, the polygon a list of `[x, y]` vertices in pixels of the original
 * frame (any orientation, closed implicitly, not self-intersecting for a meaningful result). A
 * track is inside when its anchor point (default BOTTOM_CENTER, where it touches the ground) is
 * inside the polygon by the even–odd ray-casting test ({@link pointInPolygon}).
 *
 * ```
 *      (100,100) ●───────────● (300,100)
 *                │   zone    │        track 7 anchor: outside → inside   → 'enter' at t0
 *                │     ●     │                        inside  → outside  → 'exit'  at t1,
 *                │           │                                              dwellMs = t1 − t0
 *      (100,300) ●───────────● (300,300)
 * ```
 *
 * Per {@link PolygonZone.update} (one frame):
 * - `enter` when a track's anchor is inside and was not (including a track first seen inside);
 *   `timeMs` = this frame.
 * - `exit` with `reason: 'left'` when its anchor is outside again: `timeMs` = the first frame seen
 *   outside, `dwellMs` = `timeMs − enter time`. Resolution: one processed frame.
 * - `exit` with `reason: 'disappeared'` when the track is no longer in the tracker's output
 *   (removed): `timeMs` = the last frame it was seen inside, `dwellMs` up to then.
 * - A `'lost'` track keeps its membership (and is counted in the occupancy): a car occluded by a
 *   bus for a few frames has not left the zone.
 * - Occupancy = the members now, by their current label.
 *
 * Sharp edges: an anchor that jitters on the polygon's edge produces enter/exit pairs — draw the
 * zone so objects do not stop on its border. Points exactly on an edge are inside for some edges
 * and outside for others (the ray-casting rule; adjacent zones sharing an edge never both claim a
 * point).
 *
 * @example
 * const stop = new PolygonZone({ id: 'bus-stop', polygon: [[100, 100], [300, 100], [300, 300], [100, 300]] });
 * const { occupancy, events } = stop.update(tracks, frameTimeMs);
 * // occupancy: { total: 2, byLabel: { person: 2 } }
 * // events: [{ zoneId: 'bus-stop', trackId: 4, label: 'bus', type: 'exit', timeMs, dwellMs: 41000, reason: 'left' }]
 */
import { Anchor, DEFAULT_ANCHOR, anchorPoint, type Point } from './anchor';
import type { TrackedObject } from './tracked-object';

/** A zone: a polygon in pixels of the original frame. */
export interface ZoneSpec {
  /** Stable id, carried by every event. */
  id: string;
  /** At least 3 `[x, y]` vertices, in order (clockwise or not). */
  polygon: Point[];
}

export interface ZoneEvent {
  zoneId: string;
  trackId: number;
  /** The track's label at the time of the event. */
  label: string;
  type: 'enter' | 'exit';
  /** When it happened (see the module docs for which frame). */
  timeMs: number;
  /** Time inside, ms; on `exit` only. */
  dwellMs?: number;
  /** On `exit` only: `'left'` the zone, or `'disappeared'` from the tracker's output. */
  reason?: 'left' | 'disappeared';
}

export interface ZoneOccupancy {
  /** Tracks inside now. */
  total: number;
  /** Tracks inside now, by label. */
  byLabel: Record<string, number>;
}

export interface ZoneUpdate {
  occupancy: ZoneOccupancy;
  events: ZoneEvent[];
}

export interface PolygonZoneOptions {
  /** Point of the box that must be inside; default BOTTOM_CENTER. */
  anchor?: Anchor;
}

/** A track currently inside. */
export interface ZoneMember {
  trackId: number;
  label: string;
  enteredMs: number;
  /** Last frame the track was seen (tracked) inside. */
  lastInsideMs: number;
}

/**
 * Even–odd ray casting: cast a ray from `point` towards +x and count how many polygon edges it
 * crosses; odd = inside. W. Randolph Franklin's PNPOLY
 * (https://wrfranklin.org/Research/Short_Notes/pnpoly.html); also Haines, "Point in Polygon
 * Strategies", Graphics Gems IV (1994). Edges are half-open in y, so a vertex is never counted twice.
 */
export function pointInPolygon(point: Readonly<Point>, polygon: readonly Readonly<Point>[]): boolean {
  const [x, y] = point;
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Occupancy and enter/exit/dwell of one polygon zone; see the module documentation. */
export class PolygonZone {
  readonly id: string;
  readonly polygon: readonly Point[];
  readonly anchor: Anchor;
  private readonly members = new Map<number, ZoneMember>();

  constructor(zone: ZoneSpec, options: PolygonZoneOptions = {}) {
    const where = `zone ${JSON.stringify(zone?.id)}`;
    if (typeof zone?.id !== 'string' || zone.id === '') throw new TypeError(`${where}: id must be a non-empty string`);
    const ok = (p: unknown) => Array.isArray(p) && p.length === 2 && p.every((v) => Number.isFinite(v));
    if (!Array.isArray(zone.polygon) || zone.polygon.length < 3 || !zone.polygon.every(ok)) {
      throw new TypeError(`${where}: polygon must be at least 3 [x, y] pixel points, got ${JSON.stringify(zone.polygon)}`);
    }
    this.id = zone.id;
    this.polygon = zone.polygon.map(([x, y]) => [x, y] as Point);
    this.anchor = options.anchor ?? DEFAULT_ANCHOR;
  }

  /** Is this point (px) inside the zone? */
  contains(point: Readonly<Point>): boolean {
    return pointInPolygon(point, this.polygon);
  }

  /**
   * Feed one frame's tracks.
   *
   * @param tracks every track of the frame, lost ones included (see {@link TrackedObject}).
   * @param frameTimeMs capture time of the frame, ms since the epoch (UTC).
   */
  update(tracks: readonly TrackedObject[], frameTimeMs: number): ZoneUpdate {
    if (!Number.isFinite(frameTimeMs)) throw new RangeError(`zone ${this.id}: frameTimeMs ${frameTimeMs} must be a finite time in ms`);
    const events: ZoneEvent[] = [];
    const seen = new Set<number>();
    for (const track of tracks) {
      seen.add(track.id);
      const member = this.members.get(track.id);
      if (member) member.label = track.label;
      if (track.state === 'lost') continue;
      const inside = this.contains(anchorPoint(track.box, this.anchor));
      if (inside && !member) {
        this.members.set(track.id, { trackId: track.id, label: track.label, enteredMs: frameTimeMs, lastInsideMs: frameTimeMs });
        events.push({ zoneId: this.id, trackId: track.id, label: track.label, type: 'enter', timeMs: frameTimeMs });
      } else if (inside && member) {
        member.lastInsideMs = frameTimeMs;
      } else if (!inside && member) {
        this.members.delete(track.id);
        events.push(this.exit(member, frameTimeMs, 'left'));
      }
    }
    for (const [id, member] of this.members) {
      if (seen.has(id)) continue;
      this.members.delete(id);
      events.push(this.exit(member, member.lastInsideMs, 'disappeared'));
    }
    return { occupancy: this.occupancy(), events };
  }

  /** Tracks inside after the last update, by label. */
  occupancy(): ZoneOccupancy {
    const byLabel: Record<string, number> = {};
    for (const m of this.members.values()) byLabel[m.label] = (byLabel[m.label] ?? 0) + 1;
    return { total: this.members.size, byLabel };
  }

  /** The tracks inside now, with their enter times. */
  present(): ZoneMember[] {
    return [...this.members.values()].map((m) => ({ ...m }));
  }

  private exit(member: ZoneMember, timeMs: number, reason: 'left' | 'disappeared'): ZoneEvent {
    return {
      zoneId: this.id,
      trackId: member.trackId,
      label: member.label,
      type: 'exit',
      timeMs,
      dwellMs: timeMs - member.enteredMs,
      reason,
    };
  }
}
