import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Logger } from 'pino';
import { lockDataDir } from './data-dir-lock';
import { migrateToLatest } from './migrate';
import type { Database } from './schema';

/** Where the embedded database keeps its files when no `dataDir` is given (relative to cwd). */
export const DEFAULT_DATA_DIR = '.sightline/pgdata';

/** `dataDir` value that keeps the embedded database in memory only (gone on close). */
export const IN_MEMORY = 'memory://';

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /**
   * `postgres://user:pass@host:port/db` of a PostgreSQL server. When set, a `pg` connection pool
   * is used and `dataDir` is ignored.
   */
  databaseUrl?: string;
  /**
   * Embedded (PGlite) data directory when there is no `databaseUrl`: a path (created if missing,
   * relative to the current directory; default {@link DEFAULT_DATA_DIR}) or `memory://`.
   */
  dataDir?: string;
  /** Run migrations before returning (default true). */
  migrate?: boolean;
  /** Connection pool size for PostgreSQL (default 10). */
  poolSize?: number;
  /** Where to report pool errors (idle connections dropped by the server); silent without one. */
  logger?: Logger;
}

/**
 * `COPY ... FROM STDIN` on the connection of a running transaction: `statement` is the COPY
 * statement, `chunks` its data in PostgreSQL's text format.
 * @returns the number of rows copied.
 */
export type CopyIn = (statement: string, chunks: Iterable<string>) => Promise<number>;

/** Runs `fn` in a transaction, handing it a {@link CopyIn} bound to that transaction's connection. */
export type TransactionWithCopy = <T>(fn: (trx: Transaction<Database>, copy: CopyIn) => Promise<T>) => Promise<T>;

/** An open central database. */
export interface DatabaseHandle {
  /** Typed query builder over every table in {@link Database}. */
  db: Kysely<Database>;
  /** Which engine is behind `db`: a PostgreSQL server or in-process PGlite. */
  engine: 'postgres' | 'pglite';
  /**
   * Transactions that may bulk-load with COPY (PostgreSQL only; absent for PGlite, whose COPY
   * works on its virtual file system instead).
   */
  transactionWithCopy?: TransactionWithCopy;
  /** Closes the pool / PGlite instance (flushing PGlite's files). Idempotent. */
  close(): Promise<void>;
}

const INT8_OID = 20;

/** node-postgres returns bigint as string by default; read it as a number like PGlite does. */
const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/**
 * Opens the central database and migrates it to the latest schema.
 *
 * - With `databaseUrl`: a `pg` pool against that PostgreSQL server. Safe to call from several
 *   processes at once (migrations take kysely's advisory lock).
 * - Without: embedded PGlite with its files in `dataDir` (default `.sightline/pgdata` under the
 *   current directory), or in memory when `dataDir` is `memory://`. One process per directory:
 *   a lock file `<dataDir>.lock` makes a second process fail with a clear error.
 *
 * Usage:
 * ```ts
 * const { db, close } = await openDatabase({ databaseUrl: process.env.DATABASE_URL });
 * const n = await db.selectFrom('observations').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
 * await close();
 * ```
 *
 * @throws Error when the server is unreachable, the URL is invalid, the data directory cannot be
 *   created, or a migration fails (the message names which); nothing is left open then.
 */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<DatabaseHandle> {
  const handle = options.databaseUrl ? openPostgres(options.databaseUrl, options) : await openPglite(options.dataDir);
  if (options.migrate !== false) {
    try {
      await migrateToLatest(handle.db);
    } catch (error) {
      await handle.close().catch(() => undefined);
      const where = handle.engine === 'postgres' ? redactUrl(options.databaseUrl ?? '') : (options.dataDir ?? DEFAULT_DATA_DIR);
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`cannot open the database at ${where}: ${reason}`, { cause: error });
    }
  }
  return handle;
}

function openPostgres(databaseUrl: string, options: OpenDatabaseOptions): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 10_000,
    // A query stuck on a half-open connection must fail so the caller can retry elsewhere.
    query_timeout: 60_000,
    types: pgTypes,
  });
  // Without a listener, an idle connection killed by the server would crash the process.
  pool.on('error', (error) => options.logger?.warn({ err: error }, 'idle database connection failed'));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  // Kysely does not expose the pg client of a transaction, and COPY needs it. So a COPY-capable
  // transaction takes a client from the pool itself and runs kysely on just that client (one
  // small Kysely per pooled client, kept while the client lives).
  const single = new WeakMap<pg.PoolClient, Kysely<Database>>();
  const onClient = (client: pg.PoolClient): Kysely<Database> => {
    let bound = single.get(client);
    if (!bound) {
      const connection = { query: client.query.bind(client), release: () => undefined };
      bound = new Kysely<Database>({ dialect: new PostgresDialect({ pool: { connect: async () => connection, end: async () => undefined } }) });
      single.set(client, bound);
    }
    return bound;
  };
  const transactionWithCopy: TransactionWithCopy = async (fn) => {
    const client = await pool.connect();
    let failure: Error | undefined;
    try {
      return await onClient(client)
        .transaction()
        .execute((trx) =>
          fn(trx, async (statement, chunks) => {
            const stream = client.query(copyFrom(statement));
            await pipeline(Readable.from(chunks), stream);
            return stream.rowCount;
          }),
        );
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      throw error;
    } finally {
      // After a failure the connection may be broken or mid-COPY: discard it rather than reuse it.
      client.release(failure);
    }
  };
  return { db, engine: 'postgres', transactionWithCopy, close: once(() => db.destroy()) };
}

async function openPglite(dataDir = DEFAULT_DATA_DIR): Promise<DatabaseHandle> {
  if (dataDir === IN_MEMORY) {
    const db = new Kysely<Database>({ dialect: new PGliteDialect(await PGlite.create(IN_MEMORY)) });
    return { db, engine: 'pglite', close: once(() => db.destroy()) };
  }
  const location = resolve(dataDir);
  await mkdir(location, { recursive: true });
  const lock = await lockDataDir(location);
  try {
    const db = new Kysely<Database>({ dialect: new PGliteDialect(await PGlite.create(location)) });
    return {
      db,
      engine: 'pglite',
      close: once(async () => {
        try {
          await db.destroy();
        } finally {
          await lock.release();
        }
      }),
    };
  } catch (error) {
    await lock.release();
    throw new Error(`cannot open the embedded database in ${location}: ${(error as Error).message}`, { cause: error });
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}

/** The URL without its password, for error messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
