/**
 * Bucket widths for the traffic series: what is accepted, why the rest is refused, alignment.
 */
import { describe, expect, it } from 'vitest';
import { bucketCount, bucketStart, parseBucket } from '../src/traffic/buckets';

describe('parseBucket', () => {
  it.each([
    ['1m', 60],
    ['15m', 900],
    ['90m', 5400],
    ['1h', 3600],
    ['8h', 28_800],
    ['1d', 86_400],
    ['900s', 900],
  ])('accepts %s', (text, seconds) => {
    expect(parseBucket(text)).toEqual({ ok: true, seconds });
  });

  it.each([
    ['7m', /does not divide 24h/],
    ['5h', /does not divide 24h/],
    ['90s', /does not divide 24h into whole minutes/],
    ['30s', /outside 1m..1d/],
    ['2d', /outside 1m..1d/],
    ['0m', /outside/],
    ['15 m', /is not a width/],
    ['m', /is not a width/],
  ])('refuses %s', (text, reason) => {
    const parsed = parseBucket(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });
});

describe('bucket alignment', () => {
  it('aligns buckets to multiples of the width since the epoch (UTC)', () => {
    expect(bucketStart(new Date('2025-05-01T08:14:59.999Z'), 900).toISOString()).toBe('2025-05-01T08:00:00.000Z');
    expect(bucketStart(new Date('2025-05-01T23:59:00Z'), 86_400).toISOString()).toBe('2025-05-01T00:00:00.000Z');
  });

  it('counts the buckets a half-open range touches', () => {
    expect(bucketCount(new Date('2025-05-01T08:00:00Z'), new Date('2025-05-01T09:00:00Z'), 900)).toBe(4);
    expect(bucketCount(new Date('2025-05-01T08:10:00Z'), new Date('2025-05-01T08:20:00Z'), 900)).toBe(2);
    expect(bucketCount(new Date('2025-05-01T08:00:00Z'), new Date('2025-05-01T08:00:00Z'), 900)).toBe(0);
  });
});
