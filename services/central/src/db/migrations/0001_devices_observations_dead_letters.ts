/**
 * Migration 0001: the ingest tables — `devices`, `observations` (with indexes for the API's
 * filters and its keyset order `captured_at desc, id desc`) and `dead_letters`.
 *
 * Migrations take `Kysely<any>` on purpose: they describe the schema as it was at that step,
 * not as `schema.ts` describes it today.
 */
import { sql, type Kysely } from 'kysely';

/** Creates the three tables and their indexes. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('devices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('first_seen', 'timestamptz', (c) => c.notNull())
    .addColumn('last_seen', 'timestamptz', (c) => c.notNull())
    .addColumn('last_seq', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('observations')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('message_id', 'uuid', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('camera_id', 'text', (c) => c.notNull())
    .addColumn('captured_at', 'timestamptz', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('class_id', 'integer', (c) => c.notNull())
    .addColumn('score', 'real', (c) => c.notNull())
    .addColumn('box_x1', 'real', (c) => c.notNull())
    .addColumn('box_y1', 'real', (c) => c.notNull())
    .addColumn('box_x2', 'real', (c) => c.notNull())
    .addColumn('box_y2', 'real', (c) => c.notNull())
    .addColumn('frame_width', 'integer', (c) => c.notNull())
    .addColumn('frame_height', 'integer', (c) => c.notNull())
    .addColumn('frame_source', 'text')
    .addColumn('model_id', 'text', (c) => c.notNull())
    .addColumn('lat', 'double precision')
    .addColumn('lon', 'double precision')
    .addColumn('accuracy_m', 'real')
    .addColumn('heading_deg', 'real')
    .addColumn('position_source', 'text')
    .execute();

  // The API lists newest first with a keyset cursor over (captured_at, id); each filter gets an
  // index whose trailing columns match that order, so a page is an index range scan.
  await db.schema
    .createIndex('observations_captured_at_idx')
    .on('observations')
    .expression(sql`captured_at desc, id desc`)
    .execute();
  await db.schema
    .createIndex('observations_device_captured_at_idx')
    .on('observations')
    .expression(sql`device_id, captured_at desc, id desc`)
    .execute();
  await db.schema
    .createIndex('observations_label_captured_at_idx')
    .on('observations')
    .expression(sql`label, captured_at desc, id desc`)
    .execute();

  await db.schema
    .createTable('dead_letters')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('payload', 'bytea', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('device_id', 'text')
    .execute();
  await db.schema.createIndex('dead_letters_received_at_idx').on('dead_letters').column('received_at').execute();
}

/** Drops the three tables (data is lost). */
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('dead_letters').execute();
  await db.schema.dropTable('observations').execute();
  await db.schema.dropTable('devices').execute();
}
