/**
 * Incident merging: every sighting (an observation whose category raises incidents) joins the
 * nearest incident of its category within the category's merge radius, or creates one.
 *
 * ```
 * sighting (category, lat/lon, time, score)
 *   ── lock the category (transaction-scoped advisory lock) ──▶ candidates: same category, centre
 *      inside the radius' bounding box (index), exact distance by haversineMetres
 *   ── nearest open/acknowledged within the radius ─────────────▶ join it
 *   ── else nearest resolved, if the category reopens ──────────▶ join it and reopen (event by `system`)
 *   ── else nearest dismissed ──────────────────────────────────▶ join it, stays dismissed (a dismissed
 *                                                                 incident never reopens by itself)
 *   ── else ────────────────────────────────────────────────────▶ create an open incident (event `created`)
 * ```
 *
 * **Concurrency.** Several ingest workers may hold sightings of the same couch at the same moment.
 * Each batch takes `pg_advisory_xact_lock` on a key derived from the category (in sorted category
 * order, so two batches never wait on each other crosswise) before it searches and writes, in the
 * same transaction; the lock is held until that transaction commits, so the second worker's search
 * sees the first worker's incident. The decision is made in the database, not in process memory,
 * and it works on PGlite too (one connection: the lock is never contended there).
 *
 * **Idempotency.** An observation joins at most one incident (`incident_observations` is keyed by
 * observation id). A re-delivered observation — already linked, by this or another worker — is
 * skipped; the check runs under the lock, after the other worker committed.
 *
 * **Position.** An incident's position is the running mean of its sightings' positions (the
 * camera's position when the frame was taken), so an object passed by a moving vehicle is centred
 * between the points it was seen from. A sighting without a position is not merged (the
 * observation is still stored). Longitudes are averaged arithmetically: incidents straddling the
 * antimeridian are not supported.
 *
 * **Events.** `created` and the system reopen are recorded in `incident_events`; a plain sighting
 * is not an event (it is a row in `incident_observations` and moves `sighting_count`/`last_seen`).
 */
import { EARTH_MEAN_RADIUS_M, haversineMetres, newId } from '@sightline/contracts';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema';
import type { IncidentStatus } from '../db/schema-incidents';
import type { CategoryRules, IncidentRule } from './rules';

/** Actor recorded for changes the ingest makes. */
export const SYSTEM_ACTOR = 'system';

/** One observation that may become a sighting of an incident. */
export interface Sighting {
  observationId: string;
  category: string;
  lat: number;
  lon: number;
  capturedAt: Date;
  score: number;
}

/** What {@link mergeSightings} did. */
export interface MergeOutcome {
  /** Incidents created. */
  created: number;
  /** Sightings that joined an existing incident (open, acknowledged, resolved or dismissed). */
  joined: number;
  /** Resolved incidents reopened by a sighting. */
  reopened: number;
  /** Sightings skipped: no rule, the category raises no incidents, or already linked (re-delivery). */
  skipped: number;
}

/** Metres per degree of latitude on the mean sphere. */
const METRES_PER_DEGREE = (EARTH_MEAN_RADIUS_M * Math.PI) / 180;

/** Key space prefix of the advisory locks, so they do not collide with other users of hashtext locks. */
const LOCK_PREFIX = 'sightline.incidents:';

/**
 * Merges `sightings` into incidents (see the module comment). Run it inside the ingest batch's
 * transaction, after the observations are inserted: the locks it takes are held to the commit.
 */
export async function mergeSightings(db: Kysely<Database>, sightings: readonly Sighting[], rules: CategoryRules): Promise<MergeOutcome> {
  const outcome: MergeOutcome = { created: 0, joined: 0, reopened: 0, skipped: 0 };
  const byCategory = new Map<string, { rule: IncidentRule; sightings: Sighting[] }>();
  for (const s of sightings) {
    const rule = rules.rule(s.category);
    if (!rule?.raisesIncident || !Number.isFinite(s.lat) || !Number.isFinite(s.lon)) {
      outcome.skipped += 1;
      continue;
    }
    let group = byCategory.get(s.category);
    if (!group) byCategory.set(s.category, (group = { rule, sightings: [] }));
    group.sightings.push(s);
  }

  for (const category of [...byCategory.keys()].sort()) {
    const { rule, sightings: group } = byCategory.get(category)!;
    await sql`select pg_advisory_xact_lock(hashtext(${LOCK_PREFIX + category}))`.execute(db);

    const ids = [...new Set(group.map((s) => s.observationId))];
    const linked = new Set(
      (await db.selectFrom('incident_observations').select('observation_id').where('observation_id', 'in', ids).execute()).map((r) => r.observation_id),
    );
    // Oldest first, so an incident's first sighting is the earliest one and the mean grows in time order.
    const fresh = group
      .filter((s) => !linked.has(s.observationId))
      .sort((a, b) => a.capturedAt.getTime() - b.capturedAt.getTime() || (a.observationId < b.observationId ? -1 : 1));
    outcome.skipped += group.length - fresh.length;
    const seen = new Set<string>();
    for (const sighting of fresh) {
      if (seen.has(sighting.observationId)) {
        outcome.skipped += 1; // the same observation twice in one batch
        continue;
      }
      seen.add(sighting.observationId);
      const result = await mergeOne(db, sighting, rule);
      if (result === 'created') outcome.created += 1;
      else {
        outcome.joined += 1;
        if (result === 'reopened') outcome.reopened += 1;
      }
    }
  }
  return outcome;
}

interface Candidate {
  id: string;
  status: IncidentStatus;
  lat: number;
  lon: number;
  sighting_count: number;
  first_seen: Date;
  last_seen: Date;
  max_score: number;
}

/** Joins or creates the incident for one sighting; the category lock is held. */
async function mergeOne(db: Kysely<Database>, s: Sighting, rule: IncidentRule): Promise<'created' | 'joined' | 'reopened'> {
  const radius = rule.mergeRadiusM;
  const dLat = radius / METRES_PER_DEGREE;
  const dLon = dLat / Math.max(Math.cos((s.lat * Math.PI) / 180), 1e-6);
  const rows: Candidate[] = await db
    .selectFrom('incidents')
    .select(['id', 'status', 'lat', 'lon', 'sighting_count', 'first_seen', 'last_seen', 'max_score'])
    .where('category', '=', s.category)
    .where('lat', '>=', s.lat - dLat)
    .where('lat', '<=', s.lat + dLat)
    .where('lon', '>=', s.lon - dLon)
    .where('lon', '<=', s.lon + dLon)
    .execute();

  const within = rows
    .map((row) => ({ row, distance: haversineMetres(row, s) }))
    .filter((c) => c.distance <= radius)
    .sort((a, b) => a.distance - b.distance || (a.row.id < b.row.id ? -1 : 1));
  const pick =
    within.find((c) => c.row.status === 'open' || c.row.status === 'acknowledged') ??
    (rule.reopenResolved ? within.find((c) => c.row.status === 'resolved') : undefined) ??
    within.find((c) => c.row.status === 'dismissed');

  if (!pick) {
    const id = newId();
    await db
      .insertInto('incidents')
      .values({
        id,
        category: s.category,
        status: 'open',
        lat: s.lat,
        lon: s.lon,
        first_seen: s.capturedAt,
        last_seen: s.capturedAt,
        sighting_count: 1,
        max_score: s.score,
        last_observation_id: s.observationId,
      })
      .execute();
    await link(db, id, s, 0);
    await db
      .insertInto('incident_events')
      .values({ incident_id: id, actor: SYSTEM_ACTOR, action: 'created', to_status: 'open', observation_id: s.observationId })
      .execute();
    return 'created';
  }

  const { row, distance } = pick;
  const n = row.sighting_count + 1;
  const reopen = row.status === 'resolved';
  const latest = s.capturedAt.getTime() >= row.last_seen.getTime();
  await db
    .updateTable('incidents')
    .set({
      lat: row.lat + (s.lat - row.lat) / n,
      lon: row.lon + (s.lon - row.lon) / n,
      sighting_count: n,
      max_score: Math.max(row.max_score, s.score),
      ...(s.capturedAt < row.first_seen ? { first_seen: s.capturedAt } : {}),
      ...(latest ? { last_seen: s.capturedAt, last_observation_id: s.observationId } : {}),
      updated_at: sql<Date>`now()`,
      ...(reopen ? { status: 'open' as const, status_changed_at: sql<Date>`now()` } : {}),
    })
    .where('id', '=', row.id)
    .execute();
  await link(db, row.id, s, distance);
  if (reopen) {
    await db
      .insertInto('incident_events')
      .values({
        incident_id: row.id,
        actor: SYSTEM_ACTOR,
        action: 'status',
        from_status: 'resolved',
        to_status: 'open',
        note: `reopened: seen again ${distance.toFixed(1)} m away at ${s.capturedAt.toISOString()}`,
        observation_id: s.observationId,
      })
      .execute();
    return 'reopened';
  }
  return 'joined';
}

async function link(db: Kysely<Database>, incidentId: string, s: Sighting, distance: number): Promise<void> {
  await db
    .insertInto('incident_observations')
    .values({ observation_id: s.observationId, incident_id: incidentId, captured_at: s.capturedAt, score: s.score, distance_m: distance })
    .execute();
}
