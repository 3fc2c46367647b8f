import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { haversineMetres } from '@sightline/contracts';
import { createFrameLocator, exifPosition, UERE_M } from '../../src/geo';
import { fixture } from '../../../tests/support/fixtures';
import { nmeaLog, truePosition, type Drive } from './drive';

/** EXIF GPS rational triplet `d/1 m/1 s*100/100` for decimal degrees. */
function dms(value: number): string {
  const abs = Math.abs(value);
  const d = Math.floor(abs);
  const m = Math.floor((abs - d) * 60);
  const s = Math.round(((abs - d) * 60 - m) * 60 * 10_000);
  return `${d}/1 ${m}/1 ${s}/10000`;
}

/** A JPEG carrying GPS IFD tags (sharp writes IFD3 = the GPS IFD). */
async function jpegWithGps(gps: Record<string, string>, base?: Buffer): Promise<Buffer> {
  const image = base ? sharp(base) : sharp({ create: { width: 64, height: 48, channels: 3, background: '#7a8a9a' } });
  return image.jpeg({ quality: 90 }).withExif({ IFD0: { Make: 'Sightline test' }, IFD3: gps }).toBuffer();
}

const here = { lat: 40.416775, lon: -3.70379 }; // Puerta del Sol, Madrid

describe('exifPosition', () => {
  it('reads latitude, longitude, image direction and positioning error written into a JPEG', async () => {
    const jpeg = await jpegWithGps({
      GPSLatitudeRef: 'N',
      GPSLatitude: dms(here.lat),
      GPSLongitudeRef: 'W',
      GPSLongitude: dms(here.lon),
      GPSImgDirectionRef: 'T',
      GPSImgDirection: '13525/100',
      GPSHPositioningError: '35/10',
    });
    const p = (await exifPosition(jpeg))!;
    expect(p.source).toBe('exif');
    expect(haversineMetres(p, here)).toBeLessThan(0.01);
    expect(p.headingDeg).toBeCloseTo(135.3, 1);
    expect(p.accuracyM).toBe(3.5);
  });

  it('falls back to GPSTrack for heading and GPSDOP for accuracy; ignores magnetic directions', async () => {
    const jpeg = await jpegWithGps({
      GPSLatitudeRef: 'S',
      GPSLatitude: dms(33.8568),
      GPSLongitudeRef: 'E',
      GPSLongitude: dms(151.2153),
      GPSImgDirectionRef: 'M',
      GPSImgDirection: '90/1',
      GPSTrackRef: 'T',
      GPSTrack: '2705/10',
      GPSDOP: '12/10',
    });
    const p = (await exifPosition(jpeg))!;
    expect(haversineMetres(p, { lat: -33.8568, lon: 151.2153 })).toBeLessThan(0.01);
    expect(p.headingDeg).toBeCloseTo(270.5, 6);
    expect(p.accuracyM).toBeCloseTo(1.2 * UERE_M, 6);
  });

  it('reads the iPhone GPS tags of the real bus photo (Madrid, 2019)', async () => {
    // demo/bus.jpg: iPhone XS, GPSLatitude 40° 24' 41" N, GPSLongitude 3° 42' 26.51" W,
    // GPSImgDirection 122.74 T, GPSHPositioningError 61.3 m.
    expect(await exifPosition(await readFile(fixture('demo/bus.jpg')))).toEqual({
      lat: 40.4113889,
      lon: -3.7073639,
      accuracyM: 61.3,
      headingDeg: 122.7,
      source: 'exif',
    });
  });

  it('gives no position for a photo without GPS tags, for 0°N 0°E, and for non-images', async () => {
    expect(await exifPosition(await readFile(fixture('demo/dog.jpg')))).toBeUndefined();
    expect(await exifPosition(await readFile(fixture('street/images/coco_val2017_000000001584.jpg')))).toBeUndefined();
    expect(await exifPosition(await jpegWithGps({ GPSLatitudeRef: 'N', GPSLatitude: '0/1 0/1 0/1', GPSLongitudeRef: 'E', GPSLongitude: '0/1 0/1 0/1' }))).toBeUndefined();
    expect(await exifPosition(Buffer.from('not an image'))).toBeUndefined();
  });

  it('reads tags written into a real street photo', async () => {
    const jpeg = await jpegWithGps(
      { GPSLatitudeRef: 'N', GPSLatitude: dms(here.lat), GPSLongitudeRef: 'W', GPSLongitude: dms(here.lon) },
      await readFile(fixture('street/images/coco_val2017_000000001584.jpg')),
    );
    const p = (await exifPosition(jpeg))!;
    expect(haversineMetres(p, here)).toBeLessThan(0.01);
    expect(p.headingDeg).toBeUndefined();
  });
});

describe('createFrameLocator precedence: EXIF > GPS track > fixed', () => {
  const drive: Drive = { start: { lat: 40.4168, lon: -3.7038 }, bearingDeg: 90, speedMps: 10, t0: Date.UTC(2026, 2, 3, 9, 0, 0), fixes: 30 };
  const fixed = { lat: 40.42, lon: -3.7, headingDeg: 180 };

  it('uses the frame EXIF first, then the track at the capture time, then the fixed position', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'locator-'));
    const log = join(dir, 'truck.nmea');
    await writeFile(log, nmeaLog(drive).join('\r\n'));
    const locator = await createFrameLocator({ position: fixed, gps: { type: 'nmea', file: log } });
    const plain = await readFile(fixture('street/images/coco_val2017_000000001584.jpg')); // no GPS tags
    const tagged = await jpegWithGps({ GPSLatitudeRef: 'N', GPSLatitude: dms(here.lat), GPSLongitudeRef: 'W', GPSLongitude: dms(here.lon) });
    const inTrack = new Date(drive.t0 + 12_500).toISOString();
    const outside = new Date(drive.t0 + 3_600_000).toISOString();

    expect((await locator.locate({ capturedAt: inTrack, image: tagged }))?.source).toBe('exif');
    const fromTrack = (await locator.locate({ capturedAt: inTrack, image: plain }))!;
    expect(fromTrack.source).toBe('gps');
    expect(haversineMetres(fromTrack, truePosition(drive, 12.5))).toBeLessThan(1);
    expect(await locator.locate({ capturedAt: outside, image: plain })).toEqual({ ...fixed, source: 'fixed' });
    // Decoded video frames have no bytes to read EXIF from.
    expect((await locator.locate({ capturedAt: inTrack }))?.source).toBe('gps');
    await locator.close();

    const noFixed = await createFrameLocator({ gps: { type: 'nmea', file: log }, exifGps: false });
    expect(await noFixed.locate({ capturedAt: outside, image: plain })).toBeUndefined();
    expect((await noFixed.locate({ capturedAt: inTrack, image: tagged }))?.source).toBe('gps');
  });

  it('names a GPS log that is missing or has no usable fix', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'locator-'));
    await expect(createFrameLocator({ gps: { type: 'gpx', file: join(dir, 'none.gpx') } })).rejects.toThrow(/cannot read GPS gpx log .*none\.gpx/);
    const bad = join(dir, 'bad.nmea');
    await writeFile(bad, '$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*00\n');
    await expect(createFrameLocator({ gps: { type: 'nmea', file: bad } })).rejects.toThrow(/GPS nmea log .*bad\.nmea has no usable fix.*line 1: bad checksum/);
  });
});
