/**
 * `pnpm bench:api`: latency of the incident and observation list queries through the API, side by
 * side with the very same SQL sent straight to PostgreSQL, at the same concurrency.
 *
 * ```
 * seed   1,000,000 observations (10 sightings each) and 100,000 incidents over a 20 × 17 km city,
 *        90 days, with sightings links and evidence rows, in a fresh database (generate_series)
 * API    a child process runs the API (Fastify, auth on with a read key, no rate limit, pool of
 *        --concurrency connections); this process keeps --concurrency requests in flight
 *        (HTTP keep-alive) for --seconds per query and records each request's latency
 * raw    the same statements (compiled from the same kysely query builders, same parameters)
 *        through a pg.Pool of --concurrency connections, --concurrency in flight
 * ```
 *
 * Prints p50 / p99 latency and throughput per query for both, and the API / raw ratio.
 * Targets: API p99 under 50 ms, and API latency under 2× the raw query's.
 *
 * Options: `--concurrency N[,M...]` requests in flight, one table per level (default `32,1`: the
 * target load, and one at a time for the bare per-request cost), `--seconds S` per query and side (default 4),
 * `--limit L` page size (default 100), `--keep` keeps the database (prints its URL).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { buildApi, createApiKey, openDatabase } from '../../services/central/src/index';
import type { Database } from '../../services/central/src/db/schema';
import { encodeIncidentCursor, incidentPageQuery, parseIncidentFilter, type IncidentCursor, type IncidentFilterText, type IncidentSort } from '../../services/central/src/incidents/query';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

const { values: args } = parseArgs({
  options: {
    concurrency: { type: 'string', default: '32,1' },
    seconds: { type: 'string', default: '4' },
    limit: { type: 'string', default: '100' },
    keep: { type: 'boolean', default: false },
    // internal: run as the API child process
    serve: { type: 'string' },
  },
});
const LEVELS = args.concurrency.split(',').map(Number);
const CONCURRENCY = Math.max(...LEVELS);
const SECONDS = Number(args.seconds);
const LIMIT = Number(args.limit);
const INCIDENTS = 100_000;
const PER_INCIDENT = 10;
const say = (text: string) => process.stdout.write(`${text}\n`);

if (args.serve !== undefined) {
  await serve(args.serve);
} else {
  await main();
}

/** The API child: serves the database at `url` until stdin closes. */
async function serve(url: string): Promise<void> {
  const database = await openDatabase({ databaseUrl: url, poolSize: CONCURRENCY, migrate: false });
  const api = await buildApi({
    db: database.db,
    health: { pingDatabase: async () => undefined, brokerConnected: () => true },
    auth: { rateLimit: false },
  });
  await api.listen({ host: '127.0.0.1', port: 0 });
  const address = api.server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
  process.stdin.resume();
  await new Promise<void>((resolve) => process.stdin.once('end', resolve));
  await api.close();
  await database.close();
  process.exit(0);
}

async function main(): Promise<void> {
  let database: TestDatabase | undefined;
  let child: ChildProcess | undefined;
  try {
    database = await createTestDatabase();
    const handle = await openDatabase({ databaseUrl: database.url, poolSize: CONCURRENCY });
    const started = performance.now();
    await seed(database);
    say(`seeded ${INCIDENTS * PER_INCIDENT} observations and ${INCIDENTS} incidents in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const key = (await createApiKey(handle.db, { scope: 'read', name: 'bench' })).key;

    child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve', database.url, '--concurrency', String(CONCURRENCY)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const port = await new Promise<number>((resolve, reject) => {
      let text = '';
      child!.stdout!.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const match = /listening (\d+)/.exec(text);
        if (match) resolve(Number(match[1]));
      });
      child!.once('exit', (code) => reject(new Error(`API process exited (${code})`)));
    });

    const cases = await benchCases(handle.db);
    const pool = new pg.Pool({ connectionString: database.url, max: CONCURRENCY });
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    for (const level of LEVELS) await runLevel(level, cases, pool, agent, port, key);
    agent.destroy();
    await pool.end();
    await handle.close();
  } finally {
    if (child && child.exitCode === null) {
      child.stdin?.end();
      await new Promise((resolve) => child!.once('exit', resolve));
    }
    if (database && args.keep) say(`database kept: ${database.url}`);
    else await database?.drop();
  }
}

/** Measures every case through the API and raw with `level` requests in flight; prints a table. */
async function runLevel(level: number, cases: BenchCase[], pool: pg.Pool, agent: Agent, port: number, key: string): Promise<void> {
  const measure = (once: () => Promise<void>) => measureAt(level, once);
  say(`\n${level} concurrent, ${SECONDS} s per query and side, page size ${LIMIT}; latency in ms\n`);
  say(`${'query'.padEnd(44)} ${'API p50'.padStart(8)} ${'API p99'.padStart(8)} ${'req/s'.padStart(7)}   ${'raw p50'.padStart(8)} ${'raw p99'.padStart(8)} ${'q/s'.padStart(7)}   ${'p50 ×'.padStart(6)} ${'p99 ×'.padStart(6)}`);
  const results: Array<{ name: string; api: Stats; raw: Stats }> = [];
  for (const c of cases) {
    const check = await get(agent, port, c.path, key);
    if (check.status !== 200) throw new Error(`${c.path}: HTTP ${check.status} ${check.body.slice(0, 300)}`);
    const apiStats = await measure(async () => {
      const r = await get(agent, port, c.path, key);
      if (r.status !== 200) throw new Error(`${c.path}: HTTP ${r.status}`);
    });
    const rawStats = await measure(async () => {
      await pool.query({ text: c.sql, values: c.parameters as unknown[] });
    });
    results.push({ name: c.name, api: apiStats, raw: rawStats });
    say(
      `${c.name.padEnd(44)} ${apiStats.p50.toFixed(1).padStart(8)} ${apiStats.p99.toFixed(1).padStart(8)} ${apiStats.rate.toFixed(0).padStart(7)}   ` +
        `${rawStats.p50.toFixed(1).padStart(8)} ${rawStats.p99.toFixed(1).padStart(8)} ${rawStats.rate.toFixed(0).padStart(7)}   ` +
        `${(apiStats.p50 / rawStats.p50).toFixed(2).padStart(6)} ${(apiStats.p99 / rawStats.p99).toFixed(2).padStart(6)}`,
    );
  }
  const worstP99 = Math.max(...results.map((r) => r.api.p99));
  const worstRatio = Math.max(...results.map((r) => r.api.p50 / r.raw.p50));
  say(`\n${level} in flight: worst API p99 ${worstP99.toFixed(1)} ms (target < 50 ms): ${worstP99 < 50 ? 'met' : 'NOT met'}`);
  say(`${level} in flight: worst API/raw p50 ratio ${worstRatio.toFixed(2)} (target < 2): ${worstRatio < 2 ? 'met' : 'NOT met'}`);
}

interface Stats {
  p50: number;
  p99: number;
  rate: number;
}

/** Runs `once` with `level` in flight: 1 s warm-up, then SECONDS measured. */
async function measureAt(level: number, once: () => Promise<void>): Promise<Stats> {
  const run = async (ms: number, record: boolean): Promise<number[]> => {
    const latencies: number[] = [];
    const deadline = performance.now() + ms;
    await Promise.all(
      Array.from({ length: level }, async () => {
        while (performance.now() < deadline) {
          const t = performance.now();
          await once();
          if (record) latencies.push(performance.now() - t);
        }
      }),
    );
    return latencies;
  };
  await run(1000, false);
  const latencies = (await run(SECONDS * 1000, true)).sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { p50: at(0.5), p99: at(0.99), rate: latencies.length / SECONDS };
}

function get(agent: Agent, port: number, path: string, key: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers: { authorization: `Bearer ${key}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

interface BenchCase {
  name: string;
  path: string;
  sql: string;
  parameters: readonly unknown[];
}

/** The list queries: API path and the SQL the API sends for it (first page). */
async function benchCases(db: Kysely<Database>): Promise<BenchCase[]> {
  const now = Date.now();
  const centre = { lat: 52.37, lon: 4.9 };
  const incidents = (name: string, query: IncidentFilterText & { sort?: IncidentSort; cursor?: IncidentCursor }): BenchCase => {
    const sort = query.sort ?? 'lastSeen';
    const filter = parseIncidentFilter(query);
    // With `near` the API over-fetches twice the page (the circle's bounding box) in its first batch.
    const batch = filter.near ? (LIMIT + 1) * 2 : LIMIT + 1;
    const compiled = incidentPageQuery(db, filter, sort, query.cursor, batch).compile();
    const params = new URLSearchParams({ limit: String(LIMIT) });
    for (const [k, v] of Object.entries(query)) {
      if (k === 'cursor') params.set('cursor', encodeIncidentCursor(v as IncidentCursor));
      else if (v !== undefined) params.set(k, String(v));
    }
    return { name, path: `/v1/incidents?${params}`, sql: compiled.sql, parameters: compiled.parameters };
  };
  // A cursor 50 pages deep into the default order.
  const deep = await db.selectFrom('incidents').select(['id', 'last_seen']).orderBy('last_seen', 'desc').orderBy('id', 'desc').offset(LIMIT * 50).limit(1).executeTakeFirstOrThrow();
  const observations = db.selectFrom('observations').selectAll().orderBy('captured_at', 'desc').orderBy('id', 'desc').limit(LIMIT + 1).compile();
  const byDevice = db.selectFrom('observations').selectAll().where('device_id', '=', 'bench-7').orderBy('captured_at', 'desc').orderBy('id', 'desc').limit(LIMIT + 1).compile();
  return [
    incidents('incidents (newest first)', {}),
    incidents('incidents status=open,acknowledged', { status: 'open,acknowledged' }),
    incidents('incidents category=dumping.furniture&status=open', { category: 'dumping.furniture', status: 'open' }),
    incidents('incidents bbox (≈2×1.5 km) status=open', { bbox: `${centre.lon - 0.015},${centre.lat - 0.007},${centre.lon + 0.015},${centre.lat + 0.007}`, status: 'open' }),
    incidents('incidents near radius=1000', { near: `${centre.lat},${centre.lon}`, radius: 1000 }),
    incidents('incidents sort=sightings', { sort: 'sightings' }),
    incidents('incidents last 7 days, minScore=0.8', { from: new Date(now - 7 * 86_400_000).toISOString(), minScore: 0.8 }),
    incidents('incidents page 51 (cursor)', { cursor: { sort: 'lastSeen', value: deep.last_seen.getTime(), id: deep.id } }),
    { name: 'observations (newest first)', path: `/v1/observations?limit=${LIMIT}`, sql: observations.sql, parameters: observations.parameters },
    { name: 'observations device=bench-7', path: `/v1/observations?device=bench-7&limit=${LIMIT}`, sql: byDevice.sql, parameters: byDevice.parameters },
  ];
}

/** Fills the database with generate_series: deterministic pseudo-random incidents and their sightings. */
async function seed(database: TestDatabase): Promise<void> {
  const q = (text: string) => database.query(text);
  // Incident n: id md5('inc'||n); latest sighting = observation (n, 9); spread over 90 days and the city.
  await q(`
    insert into incidents (id, category, status, lat, lon, first_seen, last_seen, sighting_count, max_score, assignee, last_observation_id, created_at, updated_at, status_changed_at)
    select md5('inc' || n)::uuid,
           (array['dumping.furniture.couch','dumping.furniture.chair','dumping.furniture.bed','dumping.appliance.refrigerator',
                  'dumping.appliance.tv','dumping.sanitary.toilet','dumping.luggage.suitcase','road.pothole','road.crack.alligator'])[1 + n % 9],
           case when n % 20 < 12 then 'open' when n % 20 < 15 then 'acknowledged' when n % 20 < 19 then 'resolved' else 'dismissed' end,
           52.30 + ((n * 31337) % 100000) / 100000.0 * 0.15,
           4.75 + ((n * 7211) % 100000) / 100000.0 * 0.30,
           t - interval '9 minutes', t, ${PER_INCIDENT}, 0.3 + (n % 70) / 100.0,
           case when n % 3 = 0 then 'crew-' || (n % 17) end,
           md5(md5('inc' || n)::uuid::text || '-9')::uuid, t, t, t
      from (select n, now() - ((n * 7919) % 7776000) * interval '1 second' as t from generate_series(0::bigint, ${INCIDENTS - 1}) n) s`);
  await q(`
    insert into observations (id, message_id, seq, device_id, camera_id, captured_at, received_at, label, class_id, score,
                              box_x1, box_y1, box_x2, box_y2, frame_width, frame_height, model_id, lat, lon, accuracy_m, position_source, category)
    select md5(i.id::text || '-' || k)::uuid, md5('msg' || i.id::text || '-' || k)::uuid, k, 'bench-' || (abs(hashtext(i.id::text)) % 200), 'cam-' || (k % 3),
           i.last_seen - (9 - k) * interval '1 minute', i.last_seen - (9 - k) * interval '1 minute' + interval '1 second',
           coalesce(nullif(split_part(i.category, '.', 3), ''), split_part(i.category, '.', 2)), 57, least(i.max_score, 0.3 + k / 20.0), 10, 20, 200, 300, 1280, 720, 'yolox-nano',
           i.lat, i.lon, 5, 'gps', i.category
      from incidents i, generate_series(0, ${PER_INCIDENT - 1}) k`);
  await q(`
    insert into incident_observations (observation_id, incident_id, captured_at, score, distance_m)
    select md5(i.id::text || '-' || k)::uuid, i.id, i.last_seen - (9 - k) * interval '1 minute', 0.5, 3
      from incidents i, generate_series(0, ${PER_INCIDENT - 1}) k`);
  // Half of the incidents have a verified evidence JPEG for their latest sighting (metadata only).
  await q(`
    insert into evidence (observation_id, device_id, content_type, bytes, sha256, verified)
    select last_observation_id, 'bench', 'image/jpeg', 100000, md5(id::text) || md5(id::text), true from incidents where sighting_count % 2 = 0 or max_score > 0.65`);
  await q('vacuum analyze');
}
