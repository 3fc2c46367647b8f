/**
 * Camera position from a frame's own EXIF GPS tags (EXIF 2.32 §4.6.6, the GPS IFD), as phones,
 * action cameras and many dashcams write them.
 */
import exifr from 'exifr';
import type { Position } from '@sightline/contracts';
import { UERE_M } from './nmea';

/** The GPS tags read (exifr names). */
const GPS_TAGS = [
  'GPSLatitude',
  'GPSLatitudeRef',
  'GPSLongitude',
  'GPSLongitudeRef',
  'GPSImgDirection',
  'GPSImgDirectionRef',
  'GPSTrack',
  'GPSTrackRef',
  'GPSHPositioningError',
  'GPSDOP',
] as const;

type GpsTags = Partial<Record<(typeof GPS_TAGS)[number], unknown>> & { latitude?: unknown; longitude?: unknown };

/**
 * The position in an image's EXIF GPS tags, `source: 'exif'`.
 *
 * - lat/lon: `GPSLatitude`/`GPSLongitude` (degrees, minutes, seconds rationals) with their `Ref`
 *   (N/S, E/W), converted by exifr to signed decimal degrees. `0, 0` is treated as "no fix" (cameras
 *   write zeros before they have one).
 * - heading: `GPSImgDirection` (where the lens points) when its ref is `T` (true north) or absent;
 *   else `GPSTrack` (direction of travel) under the same condition. Magnetic (`M`) directions are
 *   not used: converting needs the local declination.
 * - accuracy: `GPSHPositioningError` (metres, EXIF 2.31+), else `GPSDOP × UERE`.
 *
 * @returns `undefined` when the image has no (usable) GPS position; never throws.
 */
export async function exifPosition(image: Buffer): Promise<Position | undefined> {
  let tags: GpsTags | undefined;
  try {
    tags = (await exifr.parse(image, { gps: true, tiff: true, exif: false, ifd1: false, interop: false, xmp: false, icc: false, iptc: false, jfif: false, ihdr: false, pick: [...GPS_TAGS] })) as GpsTags | undefined;
  } catch {
    return undefined;
  }
  if (!tags) return undefined;
  const lat = tags.latitude;
  const lon = tags.longitude;
  if (typeof lat !== 'number' || typeof lon !== 'number' || !Number.isFinite(lat) || !Number.isFinite(lon)) return undefined;
  if (Math.abs(lat) > 90 || Math.abs(lon) > 180 || (lat === 0 && lon === 0)) return undefined;

  const trueDirection = (value: unknown, ref: unknown): number | undefined =>
    typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 360 && (ref === undefined || ref === 'T')
      ? value % 360
      : undefined;
  const heading = trueDirection(tags.GPSImgDirection, tags.GPSImgDirectionRef) ?? trueDirection(tags.GPSTrack, tags.GPSTrackRef);
  const hpe = tags.GPSHPositioningError;
  const dop = tags.GPSDOP;
  const accuracy =
    typeof hpe === 'number' && Number.isFinite(hpe) && hpe >= 0
      ? hpe
      : typeof dop === 'number' && Number.isFinite(dop) && dop > 0
        ? dop * UERE_M
        : undefined;
  return {
    lat: Math.round(lat * 1e7) / 1e7,
    lon: Math.round(lon * 1e7) / 1e7,
    ...(accuracy !== undefined ? { accuracyM: Math.round(accuracy * 10) / 10 } : {}),
    ...(heading !== undefined ? { headingDeg: Math.round(heading * 10) / 10 % 360 } : {}),
    source: 'exif',
  };
}
