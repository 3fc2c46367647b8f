/**
 * Traffic time series: the stored per-interval counts re-bucketed to a requested width and
 * grouped by the requested dimensions.
 *
 * A bucket appears in a series when at least one interval reported inside it (a stored traffic
 * message of the series' device/camera/line, zero crossings included): `count: 0` means "the
 * line was watched and nothing crossed", a missing bucket means "no data". An interval belongs
 * to the bucket that contains its start.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema';

/** Dimensions a series can be grouped by (query parameter names). */
export const GROUP_DIMENSIONS = ['device', 'camera', 'line', 'class', 'direction'] as const;
export type GroupDimension = (typeof GROUP_DIMENSIONS)[number];

/** Dimensions that say where counting happened (traffic messages have them; classes do not). */
const LOCATION_DIMENSIONS = ['device', 'camera', 'line'] as const satisfies readonly GroupDimension[];

const COLUMN = {
  device: 'device_id',
  camera: 'camera_id',
  line: 'line_id',
  class: 'label',
  direction: 'direction',
} as const satisfies Record<GroupDimension, string>;

/** Which counts to read. `from <= intervalStart < to`. */
export interface TrafficFilter {
  device?: string;
  camera?: string;
  line?: string;
  from: Date;
  to: Date;
  /** Bucket width in seconds (see `buckets.ts`). */
  bucketSeconds: number;
}

/** One bucket of a series. */
export interface SeriesPoint {
  /** Bucket start and end, UTC ISO 8601. */
  start: string;
  end: string;
  /** Crossings in the bucket. */
  count: number;
  /** Reported intervals (traffic messages' distinct interval starts per line) inside the bucket. */
  intervals: number;
}

/** One series: the counts of one combination of the grouped dimensions. */
export interface Series {
  /** Value of each grouped dimension, e.g. `{ class: 'car', direction: 'in' }`; `{}` when ungrouped. */
  key: Partial<Record<GroupDimension, string>>;
  /** Sum of the points' counts. */
  total: number;
  /** Covered buckets, oldest first. */
  points: SeriesPoint[];
}

/** A row of the per-bucket aggregates, with the grouped columns. */
type AggregateRow = { bucket: Date; count: number } & Partial<Record<string, unknown>>;

/**
 * Reads the series for `filter`, grouped by `groupBy` (any subset of {@link GROUP_DIMENSIONS},
 * in that order in the keys). Series are sorted by key.
 */
export async function trafficSeries(db: Kysely<Database>, filter: TrafficFilter, groupBy: readonly GroupDimension[]): Promise<Series[]> {
  const dims = GROUP_DIMENSIONS.filter((d) => groupBy.includes(d));
  const locationDims = LOCATION_DIMENSIONS.filter((d) => dims.includes(d));
  const width = `${filter.bucketSeconds} seconds`;
  const bucket = (column: 'traffic_counts.interval_start' | 'traffic_messages.interval_start') =>
    sql<Date>`date_bin(${width}::interval, ${sql.ref(column)}, ${'1970-01-01T00:00:00Z'}::timestamptz)`.as('bucket');

  let counts = db
    .selectFrom('traffic_counts')
    .select([bucket('traffic_counts.interval_start'), sql<number>`sum(traffic_counts.count)::bigint`.as('count')])
    .select(dims.map((d) => sql.ref(`traffic_counts.${COLUMN[d]}`).as(d)))
    .where('interval_start', '>=', filter.from)
    .where('interval_start', '<', filter.to);
  let coverage = db
    .selectFrom('traffic_messages')
    .select([bucket('traffic_messages.interval_start'), sql<number>`count(distinct (device_id, camera_id, line_id, interval_start))::bigint`.as('count')])
    .select(locationDims.map((d) => sql.ref(`traffic_messages.${COLUMN[d]}`).as(d)))
    .where('interval_start', '>=', filter.from)
    .where('interval_start', '<', filter.to);
  for (const d of LOCATION_DIMENSIONS) {
    const value = filter[d];
    if (value === undefined) continue;
    counts = counts.where(COLUMN[d], '=', value);
    coverage = coverage.where(COLUMN[d], '=', value);
  }
  const [countRows, coverageRows] = await Promise.all([
    counts.groupBy([sql.ref('bucket'), ...dims.map((d) => sql.ref(d))]).execute() as Promise<AggregateRow[]>,
    coverage.groupBy([sql.ref('bucket'), ...locationDims.map((d) => sql.ref(d))]).execute() as Promise<AggregateRow[]>,
  ]);

  // Covered buckets (and their reported intervals) per location key.
  const keyOf = (row: Partial<Record<string, unknown>>, of: readonly GroupDimension[]) => JSON.stringify(of.map((d) => String(row[d])));
  const covered = new Map<string, Map<number, number>>();
  for (const row of coverageRows) {
    const key = keyOf(row, locationDims);
    const buckets = covered.get(key) ?? new Map<number, number>();
    buckets.set(row.bucket.getTime(), (buckets.get(row.bucket.getTime()) ?? 0) + Number(row.count));
    covered.set(key, buckets);
  }

  // One series per grouped key seen in the counts, plus location-only keys that reported zeros.
  const series = new Map<string, { key: Partial<Record<GroupDimension, string>>; counts: Map<number, number> }>();
  const seriesFor = (row: Partial<Record<string, unknown>>) => {
    const id = keyOf(row, dims);
    let entry = series.get(id);
    if (!entry) {
      entry = { key: Object.fromEntries(dims.map((d) => [d, String(row[d])])), counts: new Map() };
      series.set(id, entry);
    }
    return entry;
  };
  for (const row of countRows) {
    const entry = seriesFor(row);
    entry.counts.set(row.bucket.getTime(), (entry.counts.get(row.bucket.getTime()) ?? 0) + Number(row.count));
  }
  if (dims.length === locationDims.length) for (const row of coverageRows) seriesFor(row);

  const widthMs = filter.bucketSeconds * 1000;
  const result: Series[] = [];
  for (const [, entry] of [...series.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const buckets = covered.get(keyOf(entry.key, locationDims)) ?? new Map<number, number>();
    const starts = [...new Set([...buckets.keys(), ...entry.counts.keys()])].sort((a, b) => a - b);
    const points = starts.map((start) => ({
      start: new Date(start).toISOString(),
      end: new Date(start + widthMs).toISOString(),
      count: entry.counts.get(start) ?? 0,
      intervals: buckets.get(start) ?? 0,
    }));
    result.push({ key: entry.key, total: points.reduce((sum, p) => sum + p.count, 0), points });
  }
  return result;
}
