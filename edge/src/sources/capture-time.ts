import exifr from 'exifr';

/**
 * Capture time of an encoded image from its EXIF tags, as UTC ISO 8601.
 *
 * Uses `DateTimeOriginal` (EXIF 2.32 §4.6.5, "YYYY:MM:DD HH:MM:SS", local camera time) with
 * `OffsetTimeOriginal` ("+01:00") when present; without an offset tag the camera clock is taken
 * as `defaultOffset` (default `Z`, i.e. UTC — set the camera's offset in its config otherwise).
 *
 * @returns `undefined` when the image has no readable EXIF capture time (never throws).
 */
export async function exifCaptureTime(image: Buffer, defaultOffset = 'Z'): Promise<string | undefined> {
  let tags: { DateTimeOriginal?: unknown; OffsetTimeOriginal?: unknown } | undefined;
  try {
    tags = await exifr.parse(image, { pick: ['DateTimeOriginal', 'OffsetTimeOriginal'], reviveValues: false });
  } catch {
    return undefined;
  }
  const raw = tags?.DateTimeOriginal;
  if (typeof raw !== 'string') return undefined;
  const match = /^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(raw.trim());
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match;
  const offset = typeof tags?.OffsetTimeOriginal === 'string' && /^[+-]\d{2}:\d{2}$/.test(tags.OffsetTimeOriginal.trim())
    ? tags.OffsetTimeOriginal.trim()
    : defaultOffset;
  const time = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${offset}`);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
}
