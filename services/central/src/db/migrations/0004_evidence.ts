/**
 * Migration 0004: evidence JPEGs.
 *
 * - `evidence`: what central knows about each evidence JPEG a device published on
 *   `sightline/v1/{deviceId}/evidence/{observationId}`: who sent it, its size and SHA-256, and
 *   whether it was checked against its observation's announcement (`verified`). The key is
 *   (observation id, publishing device): a JPEG may arrive before its observation, and until
 *   then a copy from another device must not displace the right one.
 * - `evidence_blobs`: the bytes, for the database-backed evidence store (`PostgresEvidenceStore`);
 *   another store (S3-compatible) keeps them elsewhere under the same key.
 */
import { sql, type Kysely } from 'kysely';

/** Creates `evidence` and `evidence_blobs`. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('evidence')
    .addColumn('observation_id', 'uuid', (c) => c.notNull())
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('bytes', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('verified', 'boolean', (c) => c.notNull().defaultTo(false))
    .addPrimaryKeyConstraint('evidence_pkey', ['observation_id', 'device_id'])
    .execute();
  // Unverified rows waiting for their observation, oldest first (for a retention sweep).
  await db.schema.createIndex('evidence_pending_idx').on('evidence').column('received_at').where(sql.ref('verified'), '=', false).execute();

  await db.schema
    .createTable('evidence_blobs')
    .addColumn('observation_id', 'uuid', (c) => c.notNull())
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('data', 'bytea', (c) => c.notNull())
    .addPrimaryKeyConstraint('evidence_blobs_pkey', ['observation_id', 'device_id'])
    .execute();
}

/** Drops both tables (the stored JPEGs are lost). */
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('evidence_blobs').execute();
  await db.schema.dropTable('evidence').execute();
}
