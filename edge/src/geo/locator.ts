/**
 * Where was the camera when it took this frame? One place that answers it for the agent, from
 * the sources a camera is configured with.
 *
 * Precedence, most specific to the frame first:
 *   1. EXIF GPS tags of the frame itself (`exifGps`, on by default): the camera tagged this very
 *      image, so it beats anything matched from outside.
 *   2. A GPS track (`gps`: NMEA 0183 log, GPX file, or live gpsd) interpolated at the frame's
 *      capture time: a moving vehicle.
 *   3. The fixed `position` of the camera config: a pole camera.
 * A position is taken whole from one source (fields are not mixed). With none of them, or when
 * the capture time is outside the track, the frame has no position: its observations are
 * published without one, and the central side cannot merge them geographically.
 */
import { readFile } from 'node:fs/promises';
import Type from 'typebox';
import type { Position } from '@sightline/contracts';
import { exifPosition } from './exif';
import { GpsdFeed } from './gpsd';
import { parseGpx } from './gpx';
import { parseNmeaLog } from './nmea';
import { GpsTrack, type GpsTrackOptions } from './track';

const TrackTuning = {
  /** Seconds a capture time may lie outside the track and still get the nearest end fix. Default 2. */
  toleranceS: Type.Optional(Type.Number({ minimum: 0, maximum: 3600 })),
  /** Longest gap between fixes, seconds, interpolated across. Default 30. */
  maxGapS: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 86_400 })),
  /** Camera direction relative to the direction of travel, degrees clockwise (90 = looks right). Default 0. */
  headingOffsetDeg: Type.Optional(Type.Number({ minimum: -360, maximum: 360 })),
};

/**
 * The `gps` option of a camera: a recorded track file, or a live gpsd.
 *
 * ```json
 * "gps": { "type": "nmea", "file": "logs/truck-7.nmea" }
 * "gps": { "type": "gpx", "file": "logs/truck-7.gpx", "toleranceS": 5, "headingOffsetDeg": 90 }
 * "gps": { "type": "gpsd", "host": "127.0.0.1", "port": 2947 }
 * ```
 */
export const GpsSourceConfig = Type.Union([
  Type.Object(
    {
      type: Type.Union([Type.Literal('nmea'), Type.Literal('gpx')]),
      /** The log file, relative to the config file. */
      file: Type.String({ minLength: 1 }),
      ...TrackTuning,
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Literal('gpsd'),
      host: Type.String({ minLength: 1 }),
      port: Type.Integer({ minimum: 1, maximum: 65_535 }),
      ...TrackTuning,
    },
    { additionalProperties: false },
  ),
]);
export type GpsSourceConfig = Type.Static<typeof GpsSourceConfig>;

/** What a camera config says about position (see the module docs for the precedence). */
export interface LocatorConfig {
  /** Fixed camera position (WGS 84 degrees, metres, degrees from true north). */
  position?: Omit<Position, 'source'>;
  gps?: GpsSourceConfig;
  /** Read EXIF GPS tags of each frame. Default true. */
  exifGps?: boolean;
}

/** A frame's position, from its EXIF, a GPS track, or the fixed camera position. */
export interface FrameLocator {
  /**
   * @param frame its capture time (UTC ISO 8601) and, for still images, its encoded bytes (for
   *   EXIF; decoded video frames have none).
   * @returns the position by the precedence above, or `undefined`.
   */
  locate(frame: { capturedAt: string; image?: Buffer }): Promise<Position | undefined>;
  /** Stops a live feed (gpsd); a no-op otherwise. */
  close(): Promise<void>;
}

/** Options of {@link createFrameLocator}. */
export interface LocatorOptions {
  /** Told about unusable log lines and gpsd connection errors. */
  warn?: (message: string, details?: Record<string, unknown>) => void;
}

/**
 * Builds the locator for one camera: reads a NMEA/GPX file at once, or starts a gpsd feed.
 * @throws Error naming the file when a GPS log cannot be read or holds no usable fix.
 */
export async function createFrameLocator(config: LocatorConfig, options: LocatorOptions = {}): Promise<FrameLocator> {
  const fixed: Position | undefined = config.position ? { ...config.position, source: 'fixed' } : undefined;
  const useExif = config.exifGps ?? true;
  let track: { positionAt(time: string): Position | undefined } | undefined;
  let feed: GpsdFeed | undefined;
  const gps = config.gps;
  if (gps) {
    const tuning: GpsTrackOptions = {
      ...(gps.toleranceS !== undefined ? { toleranceMs: gps.toleranceS * 1000 } : {}),
      ...(gps.maxGapS !== undefined ? { maxGapMs: gps.maxGapS * 1000 } : {}),
      ...(gps.headingOffsetDeg !== undefined ? { headingOffsetDeg: gps.headingOffsetDeg } : {}),
    };
    if (gps.type === 'gpsd') {
      feed = new GpsdFeed({ host: gps.host, port: gps.port, ...tuning, onError: (err) => options.warn?.(err.message) });
      track = feed;
    } else {
      track = await loadGpsTrack(gps.type, gps.file, tuning, options.warn);
    }
  }
  return {
    async locate(frame) {
      if (useExif && frame.image) {
        const fromExif = await exifPosition(frame.image);
        if (fromExif) return fromExif;
      }
      const fromTrack = track?.positionAt(frame.capturedAt);
      if (fromTrack) return fromTrack;
      return fixed;
    },
    async close() {
      await feed?.close();
    },
  };
}

/**
 * Reads an NMEA 0183 log or a GPX file into a {@link GpsTrack}.
 * @throws Error naming the file when it cannot be read, is not GPX, or has no usable fix.
 */
export async function loadGpsTrack(
  type: 'nmea' | 'gpx',
  file: string,
  options: GpsTrackOptions = {},
  warn?: (message: string, details?: Record<string, unknown>) => void,
): Promise<GpsTrack> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read GPS ${type} log ${file}: ${(err as Error).message}`);
  }
  const parsed = type === 'nmea' ? parseNmeaLog(text) : parseGpx(text, file);
  const skipped = parsed.skipped.length;
  if (parsed.fixes.length === 0) {
    const why = parsed.skipped.slice(0, 3).map((s) => ('line' in s ? `line ${s.line}: ${s.reason}` : `point ${s.index}: ${s.reason}`));
    throw new Error(
      `GPS ${type} log ${file} has no usable fix` +
        (type === 'nmea' ? ' (expected RMC/GGA sentences with checksums)' : ' (expected <trk><trkseg><trkpt> with <time>)') +
        (why.length ? `; skipped ${skipped}: ${why.join('; ')}` : ''),
    );
  }
  if (skipped > 0) warn?.(`GPS ${type} log ${file}: ${skipped} entries skipped`, { file, skipped, first: parsed.skipped[0] });
  return new GpsTrack(parsed.fixes, options);
}
