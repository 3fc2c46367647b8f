import { describe, expect, it } from 'vitest';
import { haversineMetres } from '@sightline/contracts';
import { GpsTrack, nmeaChecksumOk, parseNmeaLog, UERE_M } from '../../src/geo';
import { nmeaLog, rmcBody, sentence, truePosition, ggaBody, type Drive } from './drive';

/** A garbage truck driving north-north-east through Westminster at 12 m/s (43 km/h) for a minute. */
const drive: Drive = {
  start: { lat: 51.4994, lon: -0.1273 },
  bearingDeg: 30,
  speedMps: 12,
  t0: Date.UTC(2026, 10, 29, 16, 38, 0, 0),
  fixes: 61,
};
const iso = (seconds: number) => new Date(drive.t0 + seconds * 1000).toISOString();

describe('NMEA 0183 checksum', () => {
  it('accepts the textbook sentences and rejects a changed character', () => {
    expect(nmeaChecksumOk('$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A')).toBe(true);
    expect(nmeaChecksumOk('$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47')).toBe(true);
    expect(nmeaChecksumOk('$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6B')).toBe(false);
    expect(nmeaChecksumOk('$GPRMC,123519,A,4807.039,N,01131.000,E,022.4,084.4,230394,003.1,W*6A')).toBe(false);
    expect(nmeaChecksumOk('$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W')).toBe(false);
  });
});

describe('parseNmeaLog', () => {
  it('reads the textbook RMC + GGA pair into one fix with date, course, speed and accuracy', () => {
    const { fixes, skipped } = parseNmeaLog(
      '$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n' +
        '$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n',
    );
    expect(skipped).toEqual([]);
    expect(fixes).toHaveLength(1);
    const fix = fixes[0]!;
    expect(new Date(fix.timeMs).toISOString()).toBe('1994-03-23T12:35:19.000Z');
    expect(fix.lat).toBeCloseTo(48 + 7.038 / 60, 9);
    expect(fix.lon).toBeCloseTo(11 + 31 / 60, 9);
    expect(fix.headingDeg).toBeCloseTo(84.4, 9);
    expect(fix.speedMps).toBeCloseTo(22.4 * 0.514444, 4);
    expect(fix.accuracyM).toBeCloseTo(0.9 * UERE_M, 9);
  });

  it('skips lines with a bad or missing checksum instead of trusting them', () => {
    const lines = nmeaLog(drive);
    // Line 2 + 3*10 is the RMC of second 10: move it 1° north but keep the old checksum.
    const i = 1 + 3 * 10;
    const original = lines[i]!;
    lines[i] = original.replace(/^\$GPRMC,([\d.]+),A,(\d{2})/, (_m, t: string, d: string) => `$GPRMC,${t},A,${String(Number(d) + 1).padStart(2, '0')}`);
    expect(lines[i]).not.toBe(original);
    lines[i + 1] = lines[i + 1]!.replace(/\*[0-9A-F]{2}$/, ''); // and drop the GGA's checksum
    const { fixes, skipped } = parseNmeaLog(lines.join('\r\n'));
    expect(skipped).toEqual([
      { line: i + 1, reason: 'bad checksum' },
      { line: i + 2, reason: 'no checksum' },
    ]);
    expect(fixes).toHaveLength(drive.fixes - 1);
    const track = new GpsTrack(fixes);
    // Second 10 is interpolated from seconds 9 and 11: still on the road, not 111 km north.
    const p = track.positionAt(iso(10))!;
    expect(haversineMetres(p, truePosition(drive, 10))).toBeLessThan(1);
  });

  it('skips no-fix sentences rather than reading empty fields as 0°N 0°E', () => {
    const t = '163800.000';
    const { fixes, skipped } = parseNmeaLog(
      [
        sentence(`GPRMC,${t},V,,,,,,,291126,,,N`),
        sentence(`GPGGA,${t},,,,,0,00,99.9,,M,,M,,`),
        sentence(`GPRMC,${t},A,,,,,0.0,,291126,,,A`),
      ].join('\n'),
    );
    expect(fixes).toEqual([]);
    expect(skipped.map((s) => s.reason)).toEqual([
      'RMC: no valid fix (status V or mode N)',
      'GGA: no fix (quality 0)',
      'RMC: missing or malformed position',
    ]);
  });

  it('dates GGA sentences from the RMC around them, across midnight', () => {
    const beforeMidnight = Date.UTC(2026, 11, 31, 23, 59, 59);
    const p = { lat: 40.4168, lon: -3.7038 };
    const { fixes, skipped } = parseNmeaLog(
      [
        sentence(ggaBody(beforeMidnight - 1000, p, 1)), // before any RMC: waits for one
        sentence(rmcBody(beforeMidnight, p, 0, '')),
        sentence(ggaBody(beforeMidnight + 1000, p, 1)), // 00:00:00 of the next day
        sentence(ggaBody(beforeMidnight + 2000, p, 1)),
      ].join('\n'),
    );
    expect(skipped).toEqual([]);
    expect(fixes.map((f) => new Date(f.timeMs).toISOString())).toEqual([
      '2026-12-31T23:59:58.000Z',
      '2026-12-31T23:59:59.000Z',
      '2027-01-01T00:00:00.000Z',
      '2027-01-01T00:00:01.000Z',
    ]);
  });
});

describe('GpsTrack from an NMEA log of a vehicle at known speed', () => {
  const track = new GpsTrack(parseNmeaLog(nmeaLog(drive).join('\r\n')).fixes);

  it('interpolates mid-way between fixes to within 1 m of the true position, with the RMC course', () => {
    expect(track.length).toBe(drive.fixes);
    for (const seconds of [0.5, 7.25, 30.5, 59.9]) {
      const p = track.positionAt(iso(seconds))!;
      expect(p.source).toBe('gps');
      expect(haversineMetres(p, truePosition(drive, seconds))).toBeLessThan(1);
      expect(p.headingDeg).toBeCloseTo(30, 0);
      expect(p.accuracyM).toBeCloseTo(0.8 * UERE_M, 6);
    }
  });

  it('moves 6 m in half a second at 12 m/s', () => {
    const a = track.positionAt(iso(20))!;
    const b = track.positionAt(iso(20.5))!;
    expect(haversineMetres(a, b)).toBeCloseTo(6, 1);
  });

  it('uses the bearing between fixes when the log has no course', () => {
    const noCourse = new GpsTrack(parseNmeaLog(nmeaLog(drive, { course: false }).join('\n')).fixes);
    const p = noCourse.positionAt(iso(12.5))!;
    expect(haversineMetres(p, truePosition(drive, 12.5))).toBeLessThan(1);
    expect(Math.abs(p.headingDeg! - 30)).toBeLessThan(0.1);
  });

  it('has no position outside the track beyond the tolerance, and the end fix within it', () => {
    expect(track.positionAt(iso(-5))).toBeUndefined();
    expect(track.positionAt(iso(65))).toBeUndefined();
    expect(track.positionAt('not a time')).toBeUndefined();
    const early = track.positionAt(iso(-1.5))!;
    expect(haversineMetres(early, drive.start)).toBeLessThan(0.1);
    const late = track.positionAt(iso(61.9))!;
    expect(haversineMetres(late, truePosition(drive, 60))).toBeLessThan(0.1);
    const strict = new GpsTrack(track.fixes(), { toleranceMs: 0 });
    expect(strict.positionAt(iso(-0.001))).toBeUndefined();
    expect(strict.positionAt(iso(0))).toBeDefined();
  });

  it('does not interpolate across a gap longer than maxGapMs', () => {
    const fixes = track.fixes().filter((f) => f.timeMs <= drive.t0 + 10_000 || f.timeMs >= drive.t0 + 50_000);
    const gappy = new GpsTrack(fixes, { maxGapMs: 30_000 });
    expect(gappy.positionAt(iso(30))).toBeUndefined();
    expect(haversineMetres(gappy.positionAt(iso(11))!, truePosition(drive, 10))).toBeLessThan(0.1);
    expect(haversineMetres(gappy.positionAt(iso(49))!, truePosition(drive, 50))).toBeLessThan(0.1);
    const lenient = new GpsTrack(fixes, { maxGapMs: 60_000 });
    expect(haversineMetres(lenient.positionAt(iso(30))!, truePosition(drive, 30))).toBeLessThan(1);
  });

  it('turns the heading by the camera mounting offset', () => {
    const sideways = new GpsTrack(track.fixes(), { headingOffsetDeg: 90 });
    expect(sideways.positionAt(iso(3.5))!.headingDeg).toBeCloseTo(120, 0);
    const rear = new GpsTrack(track.fixes(), { headingOffsetDeg: 180 });
    expect(rear.positionAt(iso(3.5))!.headingDeg).toBeCloseTo(210, 0);
  });
});

describe('GpsTrack heading', () => {
  it('interpolates courses the short way round north and ignores the course of a stopped vehicle', () => {
    const base = { lat: 51.5, lon: -0.12 };
    const turning = new GpsTrack([
      { timeMs: 0, ...base, headingDeg: 350, speedMps: 5 },
      { timeMs: 1000, lat: base.lat + 0.00004, lon: base.lon, headingDeg: 10, speedMps: 5 },
    ]);
    expect(turning.positionAt(500)!.headingDeg).toBeCloseTo(0, 6);
    const stopped = new GpsTrack([
      { timeMs: 0, ...base, headingDeg: 123, speedMps: 0 },
      { timeMs: 1000, ...base, headingDeg: 250, speedMps: 0.1 },
    ]);
    expect(stopped.positionAt(500)!.headingDeg).toBeUndefined();
  });
});
