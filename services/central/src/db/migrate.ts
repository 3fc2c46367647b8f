import { Migrator, type Kysely } from 'kysely';
import { migrations } from './migrations/index';

/**
 * Brings the schema to the latest migration with kysely's {@link Migrator}.
 *
 * Safe when several central processes start at once against one Postgres: kysely creates its
 * bookkeeping tables race-tolerantly and holds a Postgres advisory lock while migrating, so the
 * others wait and then find nothing left to do.
 *
 * @returns names of the migrations this call applied (empty when already up to date).
 * @throws Error naming the failed migration and the database's error message.
 */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error !== undefined) {
    const reason = error instanceof Error ? error.message : String(error);
    const which = failed ? `migration ${failed.migrationName}` : 'migrations';
    throw new Error(`database ${which} failed: ${reason}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
