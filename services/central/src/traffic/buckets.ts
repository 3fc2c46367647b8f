/**
 * Time buckets for traffic series: a width such as `15m`, and the aligned buckets of a range.
 *
 * Buckets are aligned to multiples of their width since 1970-01-01T00:00:00Z (so `1h` buckets
 * start on the hour and `1d` buckets at midnight UTC). A width must be a whole number of minutes
 * from 1 minute to 1 day that divides a day evenly (1m, 2m, 3m, 4m, 5m, 6m, 10m, 12m, 15m, 20m,
 * 30m, 1h, 2h, 3h, 4h, 6h, 8h, 12h, 1d, ...), so buckets never straddle midnight UTC.
 */

/** Seconds in a day, the widest bucket. */
export const DAY_SECONDS = 86_400;

/** Most buckets one request may span (range / width). */
export const MAX_BUCKETS = 10_000;

/**
 * Parses a bucket width: `<n>m`, `<n>h` or `<n>d` (also `<n>s` for whole minutes, e.g. `900s`).
 * @returns the width in seconds, or a reason it is not acceptable.
 */
export function parseBucket(text: string): { ok: true; seconds: number } | { ok: false; reason: string } {
  const match = /^(\d{1,6})(s|m|h|d)$/.exec(text);
  const expected = 'a width like 15m, 1h or 1d: whole minutes from 1m to 1d that divide 24h evenly';
  if (!match) return { ok: false, reason: `"${text}" is not ${expected}` };
  const seconds = Number(match[1]) * { s: 1, m: 60, h: 3600, d: DAY_SECONDS }[match[2] as 's' | 'm' | 'h' | 'd'];
  if (seconds < 60 || seconds > DAY_SECONDS) return { ok: false, reason: `"${text}" is outside 1m..1d; expected ${expected}` };
  if (seconds % 60 !== 0 || DAY_SECONDS % seconds !== 0) return { ok: false, reason: `"${text}" does not divide 24h into whole minutes; expected ${expected}` };
  return { ok: true, seconds };
}

/** Start of the bucket of width `seconds` that contains `time`. */
export function bucketStart(time: Date, seconds: number): Date {
  const ms = seconds * 1000;
  return new Date(Math.floor(time.getTime() / ms) * ms);
}

/** Number of buckets of width `seconds` that the range `[from, to)` touches. */
export function bucketCount(from: Date, to: Date, seconds: number): number {
  if (to <= from) return 0;
  const first = bucketStart(from, seconds).getTime();
  const last = bucketStart(new Date(to.getTime() - 1), seconds).getTime();
  return (last - first) / (seconds * 1000) + 1;
}
