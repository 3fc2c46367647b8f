/**
 * Migration 0002: what central knows about each device, and traffic counts.
 *
 * - `devices` gains the state from the retained status topic (online / offline / stopped, when it
 *   last changed), what the device runs (from `status/info`), its latest stats, and seq-gap
 *   totals; `last_seq` becomes nullable (a device known only from its status has no seq yet).
 * - `device_seq_gaps`: the ranges of `seq` values missing between messages received.
 * - `traffic_messages`: one row per TrafficCountMessage id (the idempotency record).
 * - `traffic_counts`: crossings per (device, camera, line, interval start, class, direction).
 */
import { sql, type Kysely } from 'kysely';

/** Adds the device columns and creates the seq-gap and traffic tables. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('devices')
    .alterColumn('last_seq', (c) => c.dropNotNull())
    .addColumn('state', 'text')
    .addColumn('state_changed_at', 'timestamptz')
    .addColumn('status_at', 'timestamptz')
    .addColumn('software_name', 'text')
    .addColumn('software_version', 'text')
    .addColumn('model', 'text')
    .addColumn('cameras', 'jsonb')
    .addColumn('started_at', 'timestamptz')
    .addColumn('info_at', 'timestamptz')
    .addColumn('stats', 'jsonb')
    .addColumn('stats_sent_at', 'timestamptz')
    .addColumn('seq_missing', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('seq_gaps', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('device_seq_gaps')
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('first_seq', 'bigint', (c) => c.notNull())
    .addColumn('last_seq', 'bigint', (c) => c.notNull())
    .addColumn('detected_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('device_seq_gaps_pkey', ['device_id', 'first_seq'])
    .addCheckConstraint('device_seq_gaps_range', sql`first_seq <= last_seq`)
    .execute();

  await db.schema
    .createTable('traffic_messages')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('camera_id', 'text', (c) => c.notNull())
    .addColumn('line_id', 'text', (c) => c.notNull())
    .addColumn('interval_start', 'timestamptz', (c) => c.notNull())
    .addColumn('interval_seconds', 'integer', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // Coverage queries ("which intervals did this line report?") filter by time, then by place.
  await db.schema.createIndex('traffic_messages_interval_idx').on('traffic_messages').columns(['interval_start', 'device_id']).execute();

  await db.schema
    .createTable('traffic_counts')
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('camera_id', 'text', (c) => c.notNull())
    .addColumn('line_id', 'text', (c) => c.notNull())
    .addColumn('interval_start', 'timestamptz', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('direction', 'text', (c) => c.notNull().check(sql`direction in ('in', 'out')`))
    .addColumn('interval_seconds', 'integer', (c) => c.notNull())
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('traffic_counts_pkey', ['device_id', 'camera_id', 'line_id', 'interval_start', 'label', 'direction'])
    .execute();
  await db.schema.createIndex('traffic_counts_interval_idx').on('traffic_counts').column('interval_start').execute();
}

/** Drops the traffic and seq-gap tables and the added device columns (their data is lost). */
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('traffic_counts').execute();
  await db.schema.dropTable('traffic_messages').execute();
  await db.schema.dropTable('device_seq_gaps').execute();
  let alter = db.schema.alterTable('devices').dropColumn('state');
  for (const column of [
    'state_changed_at',
    'status_at',
    'software_name',
    'software_version',
    'model',
    'cameras',
    'started_at',
    'info_at',
    'stats',
    'stats_sent_at',
    'seq_missing',
    'seq_gaps',
  ]) {
    alter = alter.dropColumn(column);
  }
  await alter.execute();
}
