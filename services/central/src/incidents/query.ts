/**
 * Listing incidents: the filter, its parsing from query-string text (every bad value is an
 * {@link InvalidFilter} naming the parameter), the keyset-paginated query, and its cursor.
 *
 * Orders (both descending, ties broken by id, so pages never repeat or skip rows):
 * - `lastSeen`: `(last_seen desc, id desc)` — index `incidents_last_seen_idx` (and per status / category);
 * - `sightings`: `(sighting_count desc, id desc)` — index `incidents_sightings_idx` (and per status / category).
 *
 * Filters map to index-friendly SQL: the category prefix is a byte range on the "C"-collated
 * column (`category >= 'dumping' and category < 'dumping/'`: '/' follows '.' in ASCII and no other
 * character a category may contain sorts between them); `bbox` is `point(lon, lat) <@ box(...)`
 * (GiST index); `near` is the bounding box of the circle in SQL, then the exact great-circle test
 * with the shared `haversineMetres` on the candidates (over-fetching batches until the page is full).
 */
import { CATEGORY_NAME_PATTERN, EARTH_MEAN_RADIUS_M, haversineMetres } from '@sightline/contracts';
import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { Database } from '../db/schema';
import type { IncidentRow, IncidentStatus } from '../db/schema-incidents';
import { INCIDENT_STATUSES } from './lifecycle';

/** Sort orders of the incident list. */
export const INCIDENT_SORTS = ['lastSeen', 'sightings'] as const;
export type IncidentSort = (typeof INCIDENT_SORTS)[number];

/** Largest `near` radius, metres. */
export const MAX_NEAR_RADIUS_M = 100_000;

/** What to list. Every field is optional; absent = no restriction. */
export interface IncidentFilter {
  /** Category or category prefix (`dumping` matches `dumping.furniture.couch`). */
  category?: string;
  statuses?: IncidentStatus[];
  bbox?: { minLon: number; minLat: number; maxLon: number; maxLat: number };
  near?: { lat: number; lon: number; radiusM: number };
  /** Last seen at or after `from`, before `to`. */
  from?: Date;
  to?: Date;
  /** Best score at least this. */
  minScore?: number;
}

/** A bad filter value; `parameter` names the query parameter. */
export class InvalidFilter extends Error {
  constructor(
    readonly parameter: string,
    readonly reason: string,
  ) {
    super(`${parameter}: ${reason}`);
    this.name = 'InvalidFilter';
  }
}

const CATEGORY = new RegExp(CATEGORY_NAME_PATTERN);
const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

/** A finite decimal number from text, or InvalidFilter naming `parameter`. */
function numberOf(parameter: string, text: string, what: string): number {
  const t = text.trim();
  if (!NUMBER.test(t)) throw new InvalidFilter(parameter, `${what} must be a decimal number, got "${text.slice(0, 40)}"`);
  return Number(t);
}

/** The raw query parameters of the incident list (all text, as received). */
export interface IncidentFilterText {
  category?: string;
  status?: string;
  bbox?: string;
  near?: string;
  radius?: string | number;
  from?: string;
  to?: string;
  minScore?: number;
}

/**
 * Parses the list filters from their query-string text.
 * @throws InvalidFilter naming the first bad parameter and what is expected.
 */
export function parseIncidentFilter(q: IncidentFilterText): IncidentFilter {
  const filter: IncidentFilter = {};
  if (q.category !== undefined) {
    if (!CATEGORY.test(q.category) || q.category.length > 128) {
      throw new InvalidFilter('category', 'must be a category or prefix: lower-case dot-separated levels of letters, digits and _ (e.g. dumping or dumping.furniture.couch)');
    }
    filter.category = q.category;
  }
  if (q.status !== undefined) {
    const statuses = q.status.split(',').map((s) => s.trim());
    const unknown = statuses.filter((s) => !(INCIDENT_STATUSES as readonly string[]).includes(s));
    if (unknown.length > 0 || statuses.length === 0) {
      throw new InvalidFilter('status', `must be one or a comma-separated list of ${INCIDENT_STATUSES.join(', ')}; got "${q.status.slice(0, 80)}"`);
    }
    filter.statuses = [...new Set(statuses)] as IncidentStatus[];
  }
  if (q.bbox !== undefined) {
    const parts = q.bbox.split(',');
    if (parts.length !== 4) throw new InvalidFilter('bbox', 'must be minLon,minLat,maxLon,maxLat (four numbers, WGS 84 degrees)');
    const [minLon, minLat, maxLon, maxLat] = parts.map((p) => numberOf('bbox', p, 'each corner value'));
    for (const [name, v, limit] of [['minLon', minLon, 180], ['maxLon', maxLon, 180], ['minLat', minLat, 90], ['maxLat', maxLat, 90]] as const) {
      if (Math.abs(v!) > limit) throw new InvalidFilter('bbox', `${name} must be within ±${limit}, got ${v}`);
    }
    if (minLon! > maxLon!) throw new InvalidFilter('bbox', 'minLon must not exceed maxLon (boxes across the antimeridian are not supported: ask for two boxes)');
    if (minLat! > maxLat!) throw new InvalidFilter('bbox', 'minLat must not exceed maxLat');
    filter.bbox = { minLon: minLon!, minLat: minLat!, maxLon: maxLon!, maxLat: maxLat! };
  }
  if (q.near !== undefined || q.radius !== undefined) {
    if (q.near === undefined) throw new InvalidFilter('near', 'is required with radius: near=lat,lon');
    if (q.radius === undefined) throw new InvalidFilter('radius', 'is required with near: radius in metres, e.g. radius=250');
    const parts = q.near.split(',');
    if (parts.length !== 2) throw new InvalidFilter('near', 'must be lat,lon (two numbers, WGS 84 degrees)');
    const lat = numberOf('near', parts[0]!, 'lat');
    const lon = numberOf('near', parts[1]!, 'lon');
    if (Math.abs(lat) > 90) throw new InvalidFilter('near', `lat must be within ±90, got ${lat}`);
    if (Math.abs(lon) > 180) throw new InvalidFilter('near', `lon must be within ±180, got ${lon}`);
    const radiusM = typeof q.radius === 'number' ? q.radius : numberOf('radius', q.radius, 'radius');
    if (!(radiusM > 0) || radiusM > MAX_NEAR_RADIUS_M) throw new InvalidFilter('radius', `must be more than 0 and at most ${MAX_NEAR_RADIUS_M} metres, got ${radiusM}`);
    filter.near = { lat, lon, radiusM };
  }
  if (q.from !== undefined) filter.from = timeOf('from', q.from);
  if (q.to !== undefined) filter.to = timeOf('to', q.to);
  if (filter.from && filter.to && filter.to < filter.from) throw new InvalidFilter('to', 'must not be before from; the range is from <= lastSeen < to');
  if (q.minScore !== undefined) filter.minScore = q.minScore;
  return filter;
}

function timeOf(parameter: string, text: string): Date {
  const date = new Date(text);
  if (!Number.isFinite(date.getTime())) throw new InvalidFilter(parameter, `"${text.slice(0, 40)}" is not a representable time`);
  return date;
}

/** Where a page ends: the sort key of its last row. */
export interface IncidentCursor {
  sort: IncidentSort;
  /** `last_seen` (ms since epoch) or `sighting_count` of the last row. */
  value: number;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** An opaque cursor: base64url of `[sort, value, id]`. */
export function encodeIncidentCursor(cursor: IncidentCursor): string {
  return Buffer.from(JSON.stringify([cursor.sort, cursor.value, cursor.id]), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor made by {@link encodeIncidentCursor} for `sort`.
 * @throws InvalidFilter naming `cursor` when it is not one, or was made for the other sort.
 */
export function decodeIncidentCursor(text: string, sort: IncidentSort): IncidentCursor {
  const bad = new InvalidFilter('cursor', 'is not a cursor this API returned; pass the nextCursor of the previous page (same sort) or omit it');
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(text)) throw bad;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw bad;
  }
  if (!Array.isArray(value) || value.length !== 3) throw bad;
  const [s, v, id] = value as unknown[];
  if (s !== sort) {
    if (s === 'lastSeen' || s === 'sightings') throw new InvalidFilter('cursor', `was made for sort=${s}, not sort=${sort}`);
    throw bad;
  }
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || typeof id !== 'string' || !UUID.test(id)) throw bad;
  if (sort === 'lastSeen' && !Number.isFinite(new Date(v).getTime())) throw bad;
  return { sort, value: v, id };
}

/** The sort key of a row. */
export function cursorOf(row: Pick<IncidentRow, 'id' | 'last_seen' | 'sighting_count'>, sort: IncidentSort): IncidentCursor {
  return { sort, value: sort === 'lastSeen' ? row.last_seen.getTime() : row.sighting_count, id: row.id };
}

/** Metres per degree of latitude on the mean sphere. */
const METRES_PER_DEGREE = (EARTH_MEAN_RADIUS_M * Math.PI) / 180;

/** A listed incident row plus whether its latest sighting has verified evidence. */
export type ListedIncident = IncidentRow & { has_evidence: boolean };

/**
 * The SQL of one page (or one over-fetch batch for `near`): filters, keyset condition, order,
 * `limit` rows. Exposed so the API benchmark can run the very same statement directly.
 */
export function incidentPageQuery(
  db: Kysely<Database>,
  filter: IncidentFilter,
  sort: IncidentSort,
  after: IncidentCursor | undefined,
  limit: number,
): SelectQueryBuilder<Database, 'incidents', ListedIncident> {
  let query = db.selectFrom('incidents').selectAll('incidents');
  if (filter.category !== undefined) {
    query = query.where('category', '>=', filter.category).where('category', '<', `${filter.category}/`);
  }
  if (filter.statuses !== undefined) query = query.where('status', 'in', filter.statuses);
  if (filter.bbox !== undefined) {
    const b = filter.bbox;
    query = query.where(sql<boolean>`point(lon, lat) <@ box(point(${b.minLon}, ${b.minLat}), point(${b.maxLon}, ${b.maxLat}))`);
  }
  if (filter.near !== undefined) {
    const n = filter.near;
    const dLat = n.radiusM / METRES_PER_DEGREE;
    const dLon = Math.min(180, dLat / Math.max(Math.cos((n.lat * Math.PI) / 180), 1e-6));
    const minLat = Math.max(-90, n.lat - dLat);
    const maxLat = Math.min(90, n.lat + dLat);
    query = query.where(sql<boolean>`point(lon, lat) <@ box(point(${n.lon - dLon}, ${minLat}), point(${n.lon + dLon}, ${maxLat}))`);
  }
  if (filter.from !== undefined) query = query.where('last_seen', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('last_seen', '<', filter.to);
  if (filter.minScore !== undefined) query = query.where('max_score', '>=', filter.minScore);
  if (sort === 'lastSeen') {
    if (after) query = query.where((eb) => eb(eb.refTuple('last_seen', 'id'), '<', eb.tuple(new Date(after.value), after.id)));
    query = query.orderBy('last_seen', 'desc').orderBy('id', 'desc');
  } else {
    if (after) query = query.where((eb) => eb(eb.refTuple('sighting_count', 'id'), '<', eb.tuple(after.value, after.id)));
    query = query.orderBy('sighting_count', 'desc').orderBy('id', 'desc');
  }
  // The evidence check runs on the page only (an outer query over the limited inner one): put
  // in the inner query, the planner may hash the whole evidence table to answer it for every row.
  const page = query.limit(limit).as('page');
  return db
    .selectFrom(page)
    .selectAll('page')
    .select(sql<boolean>`exists (select 1 from evidence e where e.observation_id = page.last_observation_id and e.verified)`.as('has_evidence'))
    .orderBy(sort === 'lastSeen' ? 'page.last_seen' : 'page.sighting_count', 'desc')
    .orderBy('page.id', 'desc') as unknown as SelectQueryBuilder<Database, 'incidents', ListedIncident>;
}

/** One page of incidents and the cursor of the next (null on the last page). */
export interface IncidentPage {
  rows: ListedIncident[];
  next: IncidentCursor | null;
}

/** Lists one page of incidents (see the module comment). */
export async function listIncidents(
  db: Kysely<Database>,
  filter: IncidentFilter,
  sort: IncidentSort,
  limit: number,
  after?: IncidentCursor,
): Promise<IncidentPage> {
  const near = filter.near;
  const matches: ListedIncident[] = [];
  let position = after;
  // Without `near` one query answers; with it, batches are fetched until the page is full (the
  // circle covers π/4 of its bounding box, so usually one batch of twice the page does).
  const batch = near ? Math.min(5000, (limit + 1) * 2) : limit + 1;
  for (;;) {
    const rows = await incidentPageQuery(db, filter, sort, position, batch).execute();
    for (const row of rows) {
      if (near && haversineMetres(row, near) > near.radiusM) continue;
      matches.push(row);
      if (matches.length > limit) break;
    }
    const last = rows[rows.length - 1];
    if (matches.length > limit || rows.length < batch || !last) break;
    position = cursorOf(last, sort);
  }
  const rows = matches.slice(0, limit);
  const last = rows[rows.length - 1];
  return { rows, next: matches.length > limit && last ? cursorOf(last, sort) : null };
}
