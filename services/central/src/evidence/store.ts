/**
 * Where evidence JPEGs are kept: one small interface, so the bytes can live in the database (the
 * default, {@link PostgresEvidenceStore}) or in an object store without touching the ingest or
 * the API.
 *
 * What central knows *about* each JPEG (who sent it, its size and SHA-256, whether it matched its
 * observation) is always in the `evidence` table; the store holds only the bytes, keyed by
 * (observation id, publishing device).
 *
 * **Scale option: S3-compatible storage.** At a few hundred KiB per JPEG the database grows fast
 * (100 000 incidents with 10 sightings each ≈ 300 GiB). An `S3EvidenceStore` implementing this
 * interface would `PutObject` under `evidence/{observationId}/{deviceId}.jpg` (MinIO, Ceph RGW or
 * any S3-compatible service; the key makes a re-delivery overwrite the same object) and
 * `GetObject` it back — or the API could answer with a 302 to a presigned URL instead of
 * streaming. Its `put` runs before the batch's transaction commits: if the commit fails the object
 * is an orphan that the re-delivered message overwrites, so nothing is lost; a lifecycle rule can
 * expire objects of unverified evidence. Not implemented here.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';

/** Key of one evidence JPEG. */
export interface EvidenceKey {
  observationId: string;
  /** The device that published it (the topic's device). */
  deviceId: string;
}

/** Storage for evidence bytes. Every method gets the database handle of the caller's transaction. */
export interface EvidenceStore {
  /** Short name for logs and health (`postgres`, `s3`, ...). */
  readonly kind: string;
  /**
   * Stores `data` under `key`. Idempotent: storing the same key again keeps one copy.
   * @param db the ingest batch's transaction; a database-backed store writes in it, so the bytes
   *   commit (or roll back) with their `evidence` row.
   */
  put(db: Kysely<Database>, key: EvidenceKey, data: Uint8Array): Promise<void>;
  /** The bytes under `key`, or `undefined`. */
  get(db: Kysely<Database>, key: EvidenceKey): Promise<Uint8Array | undefined>;
  /** Removes the bytes under `key` (no error when absent). */
  delete(db: Kysely<Database>, key: EvidenceKey): Promise<void>;
}

/**
 * The default store: bytes in the `evidence_blobs` table (bytea, TOAST-compressed out of line), in
 * the same database and transaction as everything else. Works on PostgreSQL and PGlite.
 */
export class PostgresEvidenceStore implements EvidenceStore {
  readonly kind = 'postgres';

  async put(db: Kysely<Database>, key: EvidenceKey, data: Uint8Array): Promise<void> {
    await db
      .insertInto('evidence_blobs')
      .values({ observation_id: key.observationId, device_id: key.deviceId, data })
      .onConflict((oc) => oc.columns(['observation_id', 'device_id']).doNothing())
      .execute();
  }

  async get(db: Kysely<Database>, key: EvidenceKey): Promise<Uint8Array | undefined> {
    const row = await db
      .selectFrom('evidence_blobs')
      .select('data')
      .where('observation_id', '=', key.observationId)
      .where('device_id', '=', key.deviceId)
      .executeTakeFirst();
    return row?.data;
  }

  async delete(db: Kysely<Database>, key: EvidenceKey): Promise<void> {
    await db.deleteFrom('evidence_blobs').where('observation_id', '=', key.observationId).where('device_id', '=', key.deviceId).execute();
  }
}
