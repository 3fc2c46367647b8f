/**
 * Test builders for incident work: observation messages carrying a category and a position
 * (optionally announcing evidence), and a small GPX track of a truck passing a point.
 */
import { createHash } from 'node:crypto';
import { destinationPoint, newId, type LatLon, type ObservationMessage } from '@sightline/contracts';

/** Where the test couches stand (Amsterdam, Damrak). */
export const DAMRAK: LatLon = { lat: 52.3759, lon: 4.8975 };

/** Options of {@link sightingMessage}. */
export interface SightingOptions {
  at: LatLon | null;
  capturedAt: Date;
  category?: string;
  label?: string;
  score?: number;
  /** JPEG bytes the observation announces as evidence. */
  evidence?: Buffer;
  observationId?: string;
}

/** An ObservationMessage with one categorised detection (default: a couch) seen from `at`. */
export function sightingMessage(deviceId: string, seq: number, options: SightingOptions): ObservationMessage {
  const evidence = options.evidence;
  return {
    schema: 'sightline/v1/observations',
    id: newId(),
    seq,
    deviceId,
    cameraId: 'rear',
    capturedAt: options.capturedAt.toISOString(),
    frame: { width: 1280, height: 720 },
    model: { id: 'yolox-nano' },
    ...(options.at ? { position: { lat: options.at.lat, lon: options.at.lon, accuracyM: 5, source: 'gps' as const } } : {}),
    observations: [
      {
        id: options.observationId ?? newId(),
        label: options.label ?? 'couch',
        classId: 57,
        score: options.score ?? 0.8,
        box: [100, 200, 400, 500],
        category: options.category ?? 'dumping.furniture.couch',
        ...(evidence
          ? {
              evidence: {
                contentType: 'image/jpeg' as const,
                bytes: evidence.byteLength,
                sha256: createHash('sha256').update(evidence).digest('hex'),
                width: 1280,
                height: 720,
                redacted: ['persons' as const, 'vehicle-lower-halves' as const],
              },
            }
          : {}),
      },
    ],
  };
}

/** A deterministic pseudo-random source (mulberry32), so jittered tracks are the same every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A GPX 1.1 track of a vehicle driving east past `centre` at `speedMps`, one fix a second from
 * `start`, `seconds` long and centred on the point; each fix is moved up to `jitterM` metres in a
 * random direction (GPS noise).
 */
export function passingTrackGpx(centre: LatLon, start: Date, seconds: number, speedMps: number, jitterM: number, random: () => number): string {
  const points: string[] = [];
  for (let s = 0; s <= seconds; s++) {
    const along = (s - seconds / 2) * speedMps;
    const onRoad = destinationPoint(centre, along >= 0 ? 90 : 270, Math.abs(along));
    const noisy = destinationPoint(onRoad, random() * 360, random() * jitterM);
    const time = new Date(start.getTime() + s * 1000).toISOString();
    points.push(`<trkpt lat="${noisy.lat.toFixed(7)}" lon="${noisy.lon.toFixed(7)}"><time>${time}</time><hdop>1.2</hdop></trkpt>`);
  }
  return `<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="sightline-test" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>
${points.join('\n')}
</trkseg></trk></gpx>`;
}
