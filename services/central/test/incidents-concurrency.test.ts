/**
 * Concurrency-safe merging, decided in the database: sightings of the same object handled at the
 * same moment by different transactions / ingest processes make exactly one incident.
 */
import { destinationPoint, newId } from '@sightline/contracts';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, startCentral, type Central, type DatabaseHandle } from '../src/index';
import type { Database } from '../src/db/schema';
import { mergeSightings } from '../src/incidents/merge';
import { CategoryRules } from '../src/incidents/rules';
import { createTestDatabase, type TestDatabase } from '../../../tests/support/postgres';
import { publisher, unique, until } from './helpers';
import { DAMRAK, sightingMessage } from './sightings';

const MQTT_URL = process.env.SIGHTLINE_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const rules = new CategoryRules();

/** Inserts the observation rows the sightings refer to (as the ingest would have). */
async function observation(db: Kysely<Database>, id: string, at: { lat: number; lon: number }, capturedAt: Date): Promise<void> {
  await db
    .insertInto('observations')
    .values({
      id,
      message_id: newId(),
      seq: 1,
      device_id: 'race',
      camera_id: 'cam',
      captured_at: capturedAt,
      label: 'couch',
      class_id: 57,
      score: 0.8,
      box_x1: 0,
      box_y1: 0,
      box_x2: 1,
      box_y2: 1,
      frame_width: 10,
      frame_height: 10,
      model_id: 'm',
      lat: at.lat,
      lon: at.lon,
      accuracy_m: null,
      heading_deg: null,
      position_source: 'gps',
      category: 'dumping.furniture.couch',
    })
    .execute();
}

describe('concurrent merging on PostgreSQL', () => {
  let database: TestDatabase;
  let a: DatabaseHandle;
  let b: DatabaseHandle;

  beforeAll(async () => {
    database = await createTestDatabase();
    a = await openDatabase({ databaseUrl: database.url, poolSize: 2 });
    b = await openDatabase({ databaseUrl: database.url, poolSize: 2, migrate: false });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  it('makes one incident when two transactions merge sightings of one couch at the same moment', async () => {
    const rounds = 15;
    for (let round = 0; round < rounds; round++) {
      const spot = destinationPoint(DAMRAK, 45, 500 + round * 300);
      const capturedAt = new Date(Date.UTC(2026, 10, 29, 12, 0, round));
      const ids = [newId(), newId()];
      await observation(a.db, ids[0]!, spot, capturedAt);
      await observation(a.db, ids[1]!, destinationPoint(spot, 90, 4), capturedAt);
      // Both transactions start, then release together into the search-and-insert.
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const merge = (db: Kysely<Database>, id: string, at: { lat: number; lon: number }) =>
        db.transaction().execute(async (trx) => {
          await trx.selectFrom('incidents').select('id').limit(1).execute(); // the transaction is open
          await gate;
          return mergeSightings(trx, [{ observationId: id, category: 'dumping.furniture.couch', lat: at.lat, lon: at.lon, capturedAt, score: 0.8 }], rules);
        });
      const both = Promise.all([merge(a.db, ids[0]!, spot), merge(b.db, ids[1]!, destinationPoint(spot, 90, 4))]);
      setTimeout(release, 20);
      const outcomes = await both;
      expect(outcomes.map((o) => o.created).sort()).toEqual([0, 1]);
      expect(outcomes.map((o) => o.joined).sort()).toEqual([0, 1]);
    }
    const incidents = await database.query<{ sighting_count: number }>('select sighting_count from incidents');
    expect(incidents).toHaveLength(rounds);
    expect(incidents.every((i) => i.sighting_count === 2)).toBe(true);
  });
});

describe('two central instances sharing the sightings of one couch', () => {
  let database: TestDatabase;
  const centrals: Central[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const group = unique('test-race');
    for (const name of ['a', 'b']) {
      centrals.push(
        await startCentral({
          databaseUrl: database.url,
          mqttUrl: MQTT_URL,
          // One shared group: the broker splits the messages between the two ingest processes,
          // so sightings of the same couch are merged by both at once.
          mqttSharedGroup: group,
          ingestClientId: `${group}-${name}`,
          mqttSessionExpirySeconds: 0,
          httpPort: 0,
          logger: false,
          ingest: { batcher: { maxDelayMs: 5, idleFlushMs: 1 } },
        }),
      );
    }
  });
  afterAll(async () => {
    for (const c of centrals) await c.close();
    await database?.drop();
  });

  it('creates exactly one incident', async () => {
    const devices = [unique('cam-a'), unique('cam-b')];
    const pubs = await Promise.all(devices.map(() => publisher(MQTT_URL, 5)));
    const spot = destinationPoint(DAMRAK, 200, 3000);
    const capturedAt = new Date('2026-11-29T13:00:00Z');
    // 2 cameras × 30 sightings, published concurrently.
    await Promise.all(
      devices.map((device, d) =>
        Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            pubs[d]!.send(device, sightingMessage(device, i + 1, { at: destinationPoint(spot, (i * 37) % 360, (i % 5) * 2), capturedAt: new Date(capturedAt.getTime() + i * 100) })),
          ),
        ),
      ),
    );
    await Promise.all(pubs.map((p) => p.close()));
    const linked = async () => (await database.query<{ n: number }>('select count(*)::int as n from incident_observations'))[0]!.n;
    expect(await until(linked, (n) => n >= 60)).toBe(60);
    const incidents = await database.query<{ sighting_count: number }>('select sighting_count from incidents');
    expect(incidents).toEqual([{ sighting_count: 60 }]);
    // Both processes took part.
    for (const c of centrals) expect(c.ingest.stats().stored).toBeGreaterThan(0);
  });
});
