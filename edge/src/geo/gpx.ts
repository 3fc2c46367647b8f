/**
 * GPS fixes from a GPX file (GPX 1.1, topografix.com/GPX/1/1; GPX 1.0 read the same way): the
 * track points of every `<trk>/<trkseg>`, in time order.
 *
 * ```xml
 * <gpx version="1.1" creator="logger" xmlns="http://www.topografix.com/GPX/1/1">
 *   <trk><trkseg>
 *     <trkpt lat="51.5115" lon="-0.1160"><time>2026-11-29T16:38:09Z</time><hdop>0.9</hdop></trkpt>
 *   </trkseg></trk>
 * </gpx>
 * ```
 *
 * Per point: `lat`/`lon` attributes (WGS 84 degrees, required), `<time>` (xsd:dateTime, UTC per
 * the schema; a time without offset is read as UTC; points without a time cannot be matched to
 * frames and are skipped), `<hdop>` → accuracy `HDOP × UERE`, `<fix>none</fix>` → skipped.
 * GPX 1.1 has no course or speed; `<course>` (degrees true) and `<speed>` (m/s) are read when
 * present as GPX 1.0 elements or inside `<extensions>` (e.g. Garmin TrackPointExtension v2), in
 * any namespace. Routes (`<rte>`) and waypoints (`<wpt>`) are planned, not driven: ignored.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { UERE_M } from './nmea';
import type { GpsFix } from './track';

/** What {@link parseGpx} found. */
export interface GpxTrackPoints {
  /** Fixes of all track segments, time-ordered. */
  fixes: GpsFix[];
  /** Track points not used, with the reason (no time, bad coordinate, `fix` none). */
  skipped: Array<{ index: number; reason: string }>;
}

const ARRAY_TAGS = new Set(['trk', 'trkseg', 'trkpt']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  // Only numbers and times are read: no entity expansion (and no DOCTYPE entity tricks).
  processEntities: false,
  isArray: (name) => ARRAY_TAGS.has(name),
});

type XmlNode = Record<string, unknown>;

/**
 * Reads the track points of a GPX document.
 * @param source names the input in errors (file path).
 * @throws Error naming `source` when the text is not well-formed XML or has no `<gpx>` root.
 */
export function parseGpx(text: string, source = '<gpx>'): GpxTrackPoints {
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw new Error(`GPX ${source}: not well-formed XML at line ${valid.err.line}: ${valid.err.msg}`);
  }
  const doc = parser.parse(text) as XmlNode;
  const gpx = doc.gpx as XmlNode | undefined;
  if (!gpx || typeof gpx !== 'object') throw new Error(`GPX ${source}: no <gpx> root element (is it a GPX file?)`);

  const fixes: GpsFix[] = [];
  const skipped: GpxTrackPoints['skipped'] = [];
  let index = 0;
  for (const trk of asNodes(gpx.trk)) {
    for (const seg of asNodes(trk.trkseg)) {
      for (const pt of asNodes(seg.trkpt)) {
        const i = index++;
        const lat = Number(pt['@_lat']);
        const lon = Number(pt['@_lon']);
        if (!Number.isFinite(lat) || !Number.isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) {
          skipped.push({ index: i, reason: 'lat/lon missing or out of range' });
          continue;
        }
        const timeText = text_(pt.time);
        const timeMs = timeText === undefined ? Number.NaN : parseUtc(timeText);
        if (!Number.isFinite(timeMs)) {
          skipped.push({ index: i, reason: timeText === undefined ? 'no <time>' : `bad <time> "${timeText}"` });
          continue;
        }
        if (text_(pt.fix) === 'none') {
          skipped.push({ index: i, reason: '<fix>none</fix>' });
          continue;
        }
        const hdop = num(text_(pt.hdop));
        const course = num(text_(pt.course) ?? findInExtensions(pt.extensions, 'course'));
        const speed = num(text_(pt.speed) ?? findInExtensions(pt.extensions, 'speed'));
        fixes.push({
          timeMs,
          lat,
          lon,
          ...(hdop !== undefined && hdop > 0 ? { accuracyM: hdop * UERE_M } : {}),
          ...(course !== undefined && course >= 0 && course <= 360 ? { headingDeg: course % 360 } : {}),
          ...(speed !== undefined && speed >= 0 ? { speedMps: speed } : {}),
        });
      }
    }
  }
  fixes.sort((a, b) => a.timeMs - b.timeMs);
  return { fixes, skipped };
}

/** xsd:dateTime → ms; without an offset the time is UTC (GPX: "not local time"). */
function parseUtc(value: string): number {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/.test(value)) return Number.NaN;
  return Date.parse(/(Z|[+-]\d{2}:\d{2})$/.test(value) ? value : `${value}Z`);
}

function asNodes(value: unknown): XmlNode[] {
  if (Array.isArray(value)) return value.filter((v): v is XmlNode => typeof v === 'object' && v !== null);
  return typeof value === 'object' && value !== null ? [value as XmlNode] : [];
}

/** Text content of an element (string, or `#text` of an element with attributes). */
function text_(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return text_(value[0]);
  if (typeof value === 'object' && value !== null && '#text' in value) return text_((value as XmlNode)['#text']);
  return undefined;
}

function num(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** Depth-first search of `<extensions>` for an element named `name` (namespace prefix removed). */
function findInExtensions(node: unknown, name: string, depth = 0): string | undefined {
  if (depth > 4 || typeof node !== 'object' || node === null) return undefined;
  for (const [key, value] of Object.entries(node as XmlNode)) {
    if (key === name) return text_(value);
    const found = findInExtensions(Array.isArray(value) ? value[0] : value, name, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}
