/**
 * A test vehicle: drives from a start point along a constant initial bearing at constant speed,
 * and writes what its GPS receiver would have logged (NMEA 0183 RMC + GGA, or GPX 1.1).
 */
import { destinationPoint, type LatLon } from '@sightline/contracts';
import { nmeaChecksum } from '../../src/geo/nmea';

export interface Drive {
  start: LatLon;
  /** Degrees clockwise from true north. */
  bearingDeg: number;
  /** Metres per second. */
  speedMps: number;
  /** Time of the first fix, ms since the epoch. */
  t0: number;
  /** Number of fixes, one per second. */
  fixes: number;
}

/** Where the vehicle is `seconds` after t0 (exact, great circle). */
export function truePosition(drive: Drive, seconds: number): LatLon {
  return destinationPoint(drive.start, drive.bearingDeg, drive.speedMps * seconds);
}

/** `$body*hh` with the NMEA 0183 checksum. */
export function sentence(body: string): string {
  return `$${body}*${nmeaChecksum(body).toString(16).toUpperCase().padStart(2, '0')}`;
}

function dm(value: number, degreeDigits: number): string {
  const abs = Math.abs(value);
  const degrees = Math.floor(abs);
  const minutes = (abs - degrees) * 60;
  return `${String(degrees).padStart(degreeDigits, '0')}${minutes.toFixed(6).padStart(9, '0')}`;
}

function hhmmss(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}.${String(d.getUTCMilliseconds()).padStart(3, '0')}`;
}

function ddmmyy(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}${p(d.getUTCMonth() + 1)}${p(d.getUTCFullYear() % 100)}`;
}

/** RMC body (without `$` and checksum) for a position at `ms`. `course` '' leaves the field empty. */
export function rmcBody(ms: number, p: LatLon, speedMps: number, course: number | ''): string {
  const knots = (speedMps / (1852 / 3600)).toFixed(2);
  return [
    'GPRMC', hhmmss(ms), 'A',
    dm(p.lat, 2), p.lat >= 0 ? 'N' : 'S',
    dm(p.lon, 3), p.lon >= 0 ? 'E' : 'W',
    knots, course === '' ? '' : course.toFixed(1), ddmmyy(ms), '', '', 'A',
  ].join(',');
}

/** GGA body for a position at `ms` with the given HDOP. */
export function ggaBody(ms: number, p: LatLon, hdop: number): string {
  return [
    'GNGGA', hhmmss(ms),
    dm(p.lat, 2), p.lat >= 0 ? 'N' : 'S',
    dm(p.lon, 3), p.lon >= 0 ? 'E' : 'W',
    '1', '09', hdop.toFixed(1), '35.2', 'M', '47.0', 'M', '', '',
  ].join(',');
}

/** The receiver's log: per second one GSV-like noise line, RMC and GGA (CRLF line ends). */
export function nmeaLog(drive: Drive, options: { course?: boolean; hdop?: number } = {}): string[] {
  const lines: string[] = [];
  for (let i = 0; i < drive.fixes; i += 1) {
    const ms = drive.t0 + i * 1000;
    const p = truePosition(drive, i);
    lines.push(sentence('GPGSV,3,1,11,03,03,111,00,04,15,270,00,06,01,010,00,13,06,292,00'));
    lines.push(sentence(rmcBody(ms, p, drive.speedMps, options.course === false ? '' : drive.bearingDeg)));
    lines.push(sentence(ggaBody(ms, p, options.hdop ?? 0.8)));
  }
  return lines;
}

/** The same drive as a GPX 1.1 track (no course: GPX 1.1 has none). */
export function gpxDocument(drive: Drive, options: { hdop?: number } = {}): string {
  const points: string[] = [];
  for (let i = 0; i < drive.fixes; i += 1) {
    const p = truePosition(drive, i);
    points.push(
      `      <trkpt lat="${p.lat.toFixed(8)}" lon="${p.lon.toFixed(8)}"><ele>35.2</ele>` +
        `<time>${new Date(drive.t0 + i * 1000).toISOString()}</time><hdop>${options.hdop ?? 0.8}</hdop></trkpt>`,
    );
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<gpx version="1.1" creator="sightline-test" xmlns="http://www.topografix.com/GPX/1/1"',
    '     xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
    '     xsi:schemaLocation="http://www.topografix.com/GPX/1/1 http://www.topografix.com/GPX/1/1/gpx.xsd">',
    '  <metadata><name>garbage truck 7 &amp; crew</name></metadata>',
    '  <trk><name>round 3</name>',
    '    <trkseg>',
    ...points,
    '    </trkseg>',
    '  </trk>',
    '</gpx>',
  ].join('\n');
}
