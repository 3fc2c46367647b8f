import { describe, expect, it } from 'vitest';
import { haversineMetres } from '@sightline/contracts';
import { GpsTrack, parseGpx, UERE_M } from '../../src/geo';
import { gpxDocument, truePosition, type Drive } from './drive';

/** A street sweeper heading south-west along a street in Lyon at 4 m/s (14 km/h). */
const drive: Drive = {
  start: { lat: 45.7640, lon: 4.8357 },
  bearingDeg: 225,
  speedMps: 4,
  t0: Date.UTC(2026, 4, 12, 6, 0, 0),
  fixes: 40,
};
const iso = (seconds: number) => new Date(drive.t0 + seconds * 1000).toISOString();

describe('parseGpx (GPX 1.1)', () => {
  it('reads the track points with time and HDOP', () => {
    const { fixes, skipped } = parseGpx(gpxDocument(drive, { hdop: 1.2 }));
    expect(skipped).toEqual([]);
    expect(fixes).toHaveLength(40);
    expect(fixes[0]).toEqual({ timeMs: drive.t0, lat: 45.764, lon: 4.8357, accuracyM: 1.2 * UERE_M });
  });

  it('interpolates mid-times within 1 m, heading from the bearing between points', () => {
    const track = new GpsTrack(parseGpx(gpxDocument(drive)).fixes);
    for (const seconds of [0.5, 10.5, 22.75, 38.5]) {
      const p = track.positionAt(iso(seconds))!;
      expect(haversineMetres(p, truePosition(drive, seconds))).toBeLessThan(1);
      expect(Math.abs(p.headingDeg! - 225)).toBeLessThan(0.1);
    }
    expect(track.positionAt(iso(-10))).toBeUndefined();
    expect(track.positionAt(iso(50))).toBeUndefined();
  });

  it('reads a course from GPX 1.0 elements or Garmin extensions, and UTC when the time has no offset', () => {
    const doc = `<?xml version="1.0"?>
      <gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"
           xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v2">
        <trk><trkseg>
          <trkpt lat="45.1" lon="4.1"><time>2026-05-12T06:00:00</time>
            <extensions><gpxtpx:TrackPointExtension><gpxtpx:speed>3.5</gpxtpx:speed><gpxtpx:course>271.5</gpxtpx:course></gpxtpx:TrackPointExtension></extensions>
          </trkpt>
          <trkpt lat="45.1" lon="4.0999"><time>2026-05-12T08:00:01+02:00</time><course>272</course><speed>3.6</speed></trkpt>
        </trkseg></trk>
      </gpx>`;
    const { fixes } = parseGpx(doc);
    expect(fixes).toEqual([
      { timeMs: Date.UTC(2026, 4, 12, 6, 0, 0), lat: 45.1, lon: 4.1, headingDeg: 271.5, speedMps: 3.5 },
      { timeMs: Date.UTC(2026, 4, 12, 6, 0, 1), lat: 45.1, lon: 4.0999, headingDeg: 272, speedMps: 3.6 },
    ]);
  });

  it('skips points without time, with bad coordinates or without a fix, across segments', () => {
    const doc = `<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">
      <wpt lat="1" lon="1"><time>2026-05-12T06:00:00Z</time></wpt>
      <trk><trkseg>
        <trkpt lat="45.1" lon="4.1"/>
        <trkpt lat="95" lon="4.1"><time>2026-05-12T06:00:01Z</time></trkpt>
      </trkseg><trkseg>
        <trkpt lat="45.1" lon="4.1"><time>2026-05-12T06:00:02Z</time><fix>none</fix></trkpt>
        <trkpt lat="45.1" lon="4.1"><time>yesterday</time></trkpt>
        <trkpt lat="45.2" lon="4.2"><time>2026-05-12T06:00:03Z</time><fix>3d</fix></trkpt>
      </trkseg></trk></gpx>`;
    const { fixes, skipped } = parseGpx(doc);
    expect(fixes).toEqual([{ timeMs: Date.UTC(2026, 4, 12, 6, 0, 3), lat: 45.2, lon: 4.2 }]);
    expect(skipped).toEqual([
      { index: 0, reason: 'no <time>' },
      { index: 1, reason: 'lat/lon missing or out of range' },
      { index: 2, reason: '<fix>none</fix>' },
      { index: 3, reason: 'bad <time> "yesterday"' },
    ]);
  });

  it('names the file when it is not well-formed XML or not GPX', () => {
    expect(() => parseGpx('<gpx><trk></gpx>', 'round3.gpx')).toThrow(/GPX round3\.gpx: not well-formed XML at line 1/);
    expect(() => parseGpx('<kml><Document/></kml>', 'round3.kml')).toThrow(/GPX round3\.kml: no <gpx> root element/);
  });
});
