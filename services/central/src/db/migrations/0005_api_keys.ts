/**
 * Migration 0005: API keys.
 *
 * A key is shown once when created and stored only as its SHA-256 (`key_hash`, hex): the key is 32
 * random bytes, so a fast hash is enough (nothing to brute-force, unlike a password) and a lookup
 * is one index probe. `prefix` (the first characters of the key) lets people tell keys apart.
 * Revoking sets `revoked_at`; rows are kept for the audit trail.
 */
import { sql, type Kysely } from 'kysely';

/** Creates `api_keys`. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull().check(sql`scope in ('read', 'operate', 'admin')`))
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('created_by', 'text')
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .execute();
}

/** Drops `api_keys` (every key stops working). */
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('api_keys').execute();
}
