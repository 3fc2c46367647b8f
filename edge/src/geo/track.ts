/**
 * A GPS track: time-stamped fixes of a moving camera, and the camera's position at any capture
 * time by interpolation between the two fixes around it.
 *
 * Fixes come from an NMEA 0183 log (`./nmea`), a GPX 1.1 file (`./gpx`) or a live gpsd feed
 * (`./gpsd`); frames are matched to them by capture time (UTC), so the camera's clock and the
 * receiver's must agree (GPS time is exact; set the camera's clock by NTP or from the receiver).
 */
import { haversineMetres, initialBearingDeg, normalizeDegrees, type Position } from '@sightline/contracts';

/** One GPS fix: where the receiver was at one instant. */
export interface GpsFix {
  /** Fix time, milliseconds since the Unix epoch (UTC). */
  timeMs: number;
  /** WGS 84 latitude, degrees. */
  lat: number;
  /** WGS 84 longitude, degrees. */
  lon: number;
  /** Horizontal accuracy estimate, metres (e.g. HDOP × UERE, gpsd `eph`). */
  accuracyM?: number;
  /** Course over ground, degrees clockwise from true north (RMC field 8, gpsd `track`). */
  headingDeg?: number;
  /** Speed over ground, metres per second. */
  speedMps?: number;
}

/** Options of {@link GpsTrack}. */
export interface GpsTrackOptions {
  /**
   * How far (ms) before the first fix or after the last one a capture time may lie and still get
   * the nearest end fix's position (no extrapolation). Further out: no position. Default 2000.
   */
  toleranceMs?: number;
  /**
   * Longest gap (ms) between two fixes that is interpolated across. Inside a longer gap (receiver
   * lost the sky, logger paused) only times within `toleranceMs` of a fix get a position.
   * Default 30 000.
   */
  maxGapMs?: number;
  /**
   * Direction the camera looks relative to the direction of travel, degrees clockwise
   * (0 = forward, 90 = right side, 180 = rear). Added to the course. Default 0.
   */
  headingOffsetDeg?: number;
}

/** Below this speed a receiver's course over ground is noise; the fix's heading is not used. */
export const MIN_SPEED_FOR_COURSE_MPS = 0.5;

/** Two fixes closer than this give no bearing between them (GPS noise dominates). */
export const MIN_DISTANCE_FOR_BEARING_M = 1;

/**
 * A time-ordered list of fixes and the position at any time within it.
 *
 * Interpolation: between the fixes `a` and `b` bracketing time `t`, with `f = (t - a.t) / (b.t - a.t)`,
 * latitude and longitude are linear in `f` (for fixes seconds apart, metres apart, the difference to
 * the great circle is far below GPS noise); longitude takes the short way across the antimeridian.
 * Heading: the fixes' own course (interpolated the short way round the circle) when both have one
 * and were moving; else the great-circle bearing from `a` to `b` when they are at least
 * {@link MIN_DISTANCE_FOR_BEARING_M} apart; else none. Accuracy: the larger of the two fixes'.
 *
 * @example
 * const track = new GpsTrack(parseNmeaLog(text).fixes);
 * track.positionAt('2026-11-29T16:38:09.500Z'); // { lat, lon, headingDeg, accuracyM, source: 'gps' }
 */
export class GpsTrack {
  readonly #fixes: GpsFix[];
  readonly #toleranceMs: number;
  readonly #maxGapMs: number;
  readonly #headingOffsetDeg: number;

  /** @param fixes in any order; fixes with the same time are merged (later fields win where set). */
  constructor(fixes: readonly GpsFix[], options: GpsTrackOptions = {}) {
    this.#toleranceMs = options.toleranceMs ?? 2000;
    this.#maxGapMs = options.maxGapMs ?? 30_000;
    this.#headingOffsetDeg = options.headingOffsetDeg ?? 0;
    this.#fixes = [];
    for (const fix of [...fixes].sort((a, b) => a.timeMs - b.timeMs)) this.#append(fix);
  }

  /** Number of fixes. */
  get length(): number {
    return this.#fixes.length;
  }

  /** Time of the first and the last fix (ms since the epoch), or `undefined` for an empty track. */
  get span(): { startMs: number; endMs: number } | undefined {
    const first = this.#fixes[0];
    const last = this.#fixes.at(-1);
    return first && last ? { startMs: first.timeMs, endMs: last.timeMs } : undefined;
  }

  /** The fixes, time-ordered. */
  fixes(): readonly GpsFix[] {
    return this.#fixes;
  }

  /**
   * Adds a fix at the end (a live feed). A fix older than the last one is inserted in order.
   * Fixes older than `keepAfterMs` (ms since the epoch), when given, are dropped.
   */
  add(fix: GpsFix, keepAfterMs?: number): void {
    const last = this.#fixes.at(-1);
    if (!last || fix.timeMs >= last.timeMs) this.#append(fix);
    else {
      const i = this.#upperBound(fix.timeMs);
      const previous = this.#fixes[i - 1];
      if (previous && previous.timeMs === fix.timeMs) this.#fixes[i - 1] = mergeFixes(previous, fix);
      else this.#fixes.splice(i, 0, fix);
    }
    if (keepAfterMs !== undefined) {
      let drop = 0;
      while (drop < this.#fixes.length - 1 && this.#fixes[drop]!.timeMs < keepAfterMs) drop += 1;
      if (drop > 0) this.#fixes.splice(0, drop);
    }
  }

  /**
   * The camera position at `time` (ISO 8601 string, `Date`, or ms since the epoch), `source: 'gps'`.
   * @returns `undefined` when the track is empty, `time` is more than `toleranceMs` outside the
   *   track, or falls inside a gap longer than `maxGapMs` and more than `toleranceMs` from its ends.
   */
  positionAt(time: string | Date | number): Position | undefined {
    const t = typeof time === 'number' ? time : typeof time === 'string' ? Date.parse(time) : time.getTime();
    if (!Number.isFinite(t) || this.#fixes.length === 0) return undefined;
    const first = this.#fixes[0]!;
    const last = this.#fixes.at(-1)!;
    if (t < first.timeMs) return first.timeMs - t <= this.#toleranceMs ? this.#atFix(0) : undefined;
    if (t > last.timeMs) return t - last.timeMs <= this.#toleranceMs ? this.#atFix(this.#fixes.length - 1) : undefined;

    const j = this.#upperBound(t); // first fix after t; t >= fixes[j - 1].timeMs
    const i = j - 1;
    const a = this.#fixes[i]!;
    if (a.timeMs === t || j >= this.#fixes.length) return this.#atFix(i);
    const b = this.#fixes[j]!;
    const gap = b.timeMs - a.timeMs;
    if (gap > this.#maxGapMs) {
      if (t - a.timeMs <= this.#toleranceMs && t - a.timeMs <= b.timeMs - t) return this.#atFix(i);
      if (b.timeMs - t <= this.#toleranceMs) return this.#atFix(j);
      return undefined;
    }
    const f = (t - a.timeMs) / gap;
    const dLon = shortLonDelta(a.lon, b.lon);
    const lat = a.lat + f * (b.lat - a.lat);
    const lon = wrapLon(a.lon + f * dLon);
    const heading = interpolatedHeading(a, b, f);
    const accuracy = maxDefined(a.accuracyM, b.accuracyM);
    return this.#position(lat, lon, heading, accuracy);
  }

  /** Position of fix `i` itself; its heading from its own course, else the bearing along the track. */
  #atFix(i: number): Position {
    const fix = this.#fixes[i]!;
    let heading = courseOf(fix);
    if (heading === undefined) {
      const prev = this.#fixes[i - 1];
      const next = this.#fixes[i + 1];
      const [from, to] = next && next.timeMs - fix.timeMs <= this.#maxGapMs ? [fix, next] : prev && fix.timeMs - prev.timeMs <= this.#maxGapMs ? [prev, fix] : [];
      if (from && to && haversineMetres(from, to) >= MIN_DISTANCE_FOR_BEARING_M) heading = initialBearingDeg(from, to);
    }
    return this.#position(fix.lat, fix.lon, heading, fix.accuracyM);
  }

  #position(lat: number, lon: number, heading: number | undefined, accuracy: number | undefined): Position {
    return {
      lat: round(lat, 1e7),
      lon: round(lon, 1e7),
      ...(accuracy !== undefined ? { accuracyM: round(accuracy, 10) } : {}),
      ...(heading !== undefined ? { headingDeg: normalizeDegrees(round(normalizeDegrees(heading + this.#headingOffsetDeg), 10)) } : {}),
      source: 'gps',
    };
  }

  #append(fix: GpsFix): void {
    const last = this.#fixes.at(-1);
    if (last && last.timeMs === fix.timeMs) this.#fixes[this.#fixes.length - 1] = mergeFixes(last, fix);
    else this.#fixes.push(fix);
  }

  /** Index of the first fix with `timeMs > t` (binary search). */
  #upperBound(t: number): number {
    let lo = 0;
    let hi = this.#fixes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#fixes[mid]!.timeMs <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** A fix's course over ground, when it has one and was moving fast enough for it to mean something. */
function courseOf(fix: GpsFix): number | undefined {
  if (fix.headingDeg === undefined || !Number.isFinite(fix.headingDeg)) return undefined;
  if (fix.speedMps !== undefined && fix.speedMps < MIN_SPEED_FOR_COURSE_MPS) return undefined;
  return fix.headingDeg;
}

function interpolatedHeading(a: GpsFix, b: GpsFix, f: number): number | undefined {
  const ca = courseOf(a);
  const cb = courseOf(b);
  if (ca !== undefined && cb !== undefined) {
    const delta = ((((cb - ca) % 360) + 540) % 360) - 180; // short way round, -180..180
    return normalizeDegrees(ca + f * delta);
  }
  if (haversineMetres(a, b) >= MIN_DISTANCE_FOR_BEARING_M) return initialBearingDeg(a, b);
  return ca ?? cb;
}

/** `b - a` in longitude, taking the short way across the antimeridian. */
function shortLonDelta(a: number, b: number): number {
  let d = b - a;
  if (d > 180) d -= 360;
  else if (d < -180) d += 360;
  return d;
}

function wrapLon(lon: number): number {
  return lon >= 180 ? lon - 360 : lon < -180 ? lon + 360 : lon;
}

function maxDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

function mergeFixes(older: GpsFix, newer: GpsFix): GpsFix {
  const merged: GpsFix = { ...older };
  for (const [key, value] of Object.entries(newer) as Array<[keyof GpsFix, number | undefined]>) {
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}

function round(value: number, scale: number): number {
  return Math.round(value * scale) / scale;
}
