/**
 * A throwaway PostgreSQL database per test suite on the real server
 * (`SIGHTLINE_TEST_DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`).
 *
 * Usage:
 * ```ts
 * const database = await createTestDatabase();            // CREATE DATABASE sightline_test_<random>
 * const central = await startCentral({ databaseUrl: database.url, ... });
 * const rows = await database.query<{ n: number }>('select count(*)::int as n from observations');
 * await database.drop();                                   // DROP DATABASE ... WITH (FORCE)
 * ```
 * Names are random, so parallel runs and test files never share a database.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A database created for one test suite. */
export interface TestDatabase {
  /** Database name, `sightline_test_<16 hex digits>`. */
  name: string;
  /** Connection URL of the new database. */
  url: string;
  /** Runs a parameterised query (`$1`, `$2`, ...) on the database and returns its rows. */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Closes the helper's connections and drops the database, even if others are still connected. */
  drop(): Promise<void>;
}

/** The admin URL the helper connects to for CREATE/DROP DATABASE. */
export function adminDatabaseUrl(): string {
  return process.env.SIGHTLINE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

/** Runs `text` on the admin database (e.g. `ALTER DATABASE ...`) with a short-lived connection. */
export async function adminQuery<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: adminDatabaseUrl() });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * Creates an empty database with a unique name on the test server.
 * @throws Error naming the server when it is unreachable (is PostgreSQL running on 127.0.0.1:5432?).
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `sightline_test_${randomBytes(8).toString('hex')}`;
  try {
    await adminQuery(`create database ${name}`);
  } catch (error) {
    throw new Error(`cannot create test database on ${adminDatabaseUrl()}: ${(error as Error).message}`, { cause: error });
  }
  const url = new URL(adminDatabaseUrl());
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  pool.on('error', () => undefined); // connections killed by a test's simulated outage
  let dropped = false;
  return {
    name,
    url: url.toString(),
    query: async <T>(text: string, params: unknown[] = []) => (await pool.query(text, params)).rows as T[],
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await pool.end().catch(() => undefined);
      await adminQuery(`drop database if exists ${name} with (force)`);
    },
  };
}
