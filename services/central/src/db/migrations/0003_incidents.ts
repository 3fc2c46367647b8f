/**
 * Migration 0003: incidents — what city staff act on — built from categorised sightings.
 *
 * - `observations` gains `category` (the taxonomy category the device assigned, e.g.
 *   `dumping.furniture.couch`) and the evidence the device announced (`evidence_sha256`,
 *   `evidence_bytes`), so a late evidence JPEG can be checked against its observation.
 * - `incidents`: one row per real-world thing (one couch, one pothole), with its running position,
 *   first/last seen, sighting count, best score, status and assignee.
 * - `incident_observations`: which observation was a sighting of which incident (an observation
 *   joins at most one incident, hence the primary key on `observation_id`; re-delivery is a no-op).
 * - `incident_events`: the audit trail — every status, assignee or note change, by whom.
 *
 * `category` columns use the "C" collation: byte order makes the prefix filter
 * (`category = 'dumping' or category like 'dumping.%'`) an index range scan whatever the
 * database's default collation is.
 *
 * Indexes follow the API's list orders (keyset pagination): `(last_seen desc, id desc)` and
 * `(sighting_count desc, id desc)`, each also led by `status` (the usual "open ones" filter) and by
 * `category`; a GiST index on `point(lon, lat)` serves `bbox` and `near`; a partial index on
 * `(category, lat)` of the incidents a sighting may join serves the ingest's merge search.
 */
import { sql, type Kysely } from 'kysely';

/** Adds the observation columns and creates the three incident tables and their indexes. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('observations')
    .addColumn('category', sql`text collate "C"`)
    .addColumn('evidence_sha256', 'text')
    .addColumn('evidence_bytes', 'integer')
    .execute();

  await db.schema
    .createTable('incidents')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('category', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open', 'acknowledged', 'resolved', 'dismissed')`))
    .addColumn('lat', 'double precision', (c) => c.notNull())
    .addColumn('lon', 'double precision', (c) => c.notNull())
    .addColumn('first_seen', 'timestamptz', (c) => c.notNull())
    .addColumn('last_seen', 'timestamptz', (c) => c.notNull())
    .addColumn('sighting_count', 'integer', (c) => c.notNull())
    .addColumn('max_score', 'real', (c) => c.notNull())
    .addColumn('assignee', 'text')
    .addColumn('last_observation_id', 'uuid', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('status_changed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  const indexes: Array<[string, ReturnType<typeof sql>]> = [
    ['incidents_last_seen_idx', sql`last_seen desc, id desc`],
    ['incidents_sightings_idx', sql`sighting_count desc, id desc`],
    ['incidents_status_last_seen_idx', sql`status, last_seen desc, id desc`],
    ['incidents_status_sightings_idx', sql`status, sighting_count desc, id desc`],
    ['incidents_category_last_seen_idx', sql`category, last_seen desc, id desc`],
    ['incidents_category_sightings_idx', sql`category, sighting_count desc, id desc`],
    // Open311 requests.json: newest requests first, by requested_datetime (= first_seen).
    ['incidents_first_seen_idx', sql`first_seen desc, id desc`],
  ];
  for (const [name, expression] of indexes) {
    await db.schema.createIndex(name).on('incidents').expression(expression).execute();
  }
  await sql`create index incidents_position_idx on incidents using gist (point(lon, lat))`.execute(db);
  // The merge search: incidents a new sighting may join (dismissed ones absorb sightings too).
  await db.schema.createIndex('incidents_merge_idx').on('incidents').columns(['category', 'lat']).execute();

  await db.schema
    .createTable('incident_observations')
    .addColumn('observation_id', 'uuid', (c) => c.primaryKey())
    .addColumn('incident_id', 'uuid', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
    .addColumn('captured_at', 'timestamptz', (c) => c.notNull())
    .addColumn('score', 'real', (c) => c.notNull())
    .addColumn('distance_m', 'real', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('incident_observations_incident_idx')
    .on('incident_observations')
    .expression(sql`incident_id, captured_at desc, observation_id desc`)
    .execute();

  await db.schema
    .createTable('incident_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('incident_id', 'uuid', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull().check(sql`action in ('created', 'status', 'assignee', 'note')`))
    .addColumn('from_status', 'text')
    .addColumn('to_status', 'text')
    .addColumn('from_assignee', 'text')
    .addColumn('to_assignee', 'text')
    .addColumn('note', 'text')
    .addColumn('observation_id', 'uuid')
    .execute();
  await db.schema.createIndex('incident_events_incident_idx').on('incident_events').columns(['incident_id', 'id']).execute();
}

/** Drops the incident tables and the observation columns (their data is lost). */
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('incident_events').execute();
  await db.schema.dropTable('incident_observations').execute();
  await db.schema.dropTable('incidents').execute();
  await db.schema.alterTable('observations').dropColumn('category').dropColumn('evidence_sha256').dropColumn('evidence_bytes').execute();
}
