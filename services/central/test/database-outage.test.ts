/**
 * The database goes away while messages keep arriving: the ingest keeps running, holds the
 * messages, reports itself unhealthy, and stores everything once the database is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCentral, type Central } from '../src/index';
import { adminQuery, createTestDatabase, type TestDatabase } from '../../../tests/support/postgres';
import { keyHeaders, observationMessage, publisher, unique, until, type Publisher } from './helpers';

const MQTT_URL = process.env.SIGHTLINE_TEST_MQTT_URL!;

describe('database outage during ingest', () => {
  let database: TestDatabase;
  let central: Central;
  let headers: Record<string, string> = {};
  let pub: Publisher;
  const device = unique('outage');

  const cutOff = async (allow: boolean) => {
    await adminQuery(`alter database ${database.name} allow_connections ${allow}`);
    if (!allow) {
      await adminQuery('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [
        database.name,
      ]);
    }
  };
  const stored = async () =>
    Number((await database.query<{ n: number }>('select count(*)::int as n from observations where device_id = $1', [device]))[0]!.n);

  beforeAll(async () => {
    database = await createTestDatabase();
    central = await startCentral({
      databaseUrl: database.url,
      mqttUrl: MQTT_URL,
      // MQTT 3.1.1 with a plain subscription: the other supported broker mode.
      mqttProtocolVersion: 4,
      mqttSharedGroup: null,
      mqttSessionExpirySeconds: 0, // MQTT 3.1.1 sessions never expire: keep none on the shared broker
      httpPort: 0,
      logger: false,
      ingest: { batcher: { retryInitialMs: 50, retryMaxMs: 300 } },
    });
    pub = await publisher(MQTT_URL);
    headers = await keyHeaders(central.db); // created (and cached by the API on first use) while the database is up
  });

  afterAll(async () => {
    await pub?.close();
    await cutOff(true).catch(() => undefined);
    await central?.close();
    await database?.drop();
  });

  it('keeps the messages while the database is down and stores them when it is back', async () => {
    await pub.send(device, observationMessage(device, 1));
    expect(await until(stored, (n) => n >= 2)).toBe(2);

    await cutOff(false);
    const failuresBefore = central.ingest.stats().writeFailures;
    const during = Array.from({ length: 10 }, (_, i) => observationMessage(device, i + 2));
    for (const m of during) await pub.send(device, m);
    await pub.send(device, 'not json either'); // dead letters wait too

    const stats = await until(
      () => central.ingest.stats(),
      (s) => s.writeFailures >= failuresBefore + 3,
    );
    expect(stats.writeFailures).toBeGreaterThanOrEqual(failuresBefore + 3);
    expect(stats.pending).toBeGreaterThanOrEqual(11);
    expect(stats.lastWriteError).toMatch(/not currently accepting connections|terminat/);

    const health = await fetch(`${central.apiUrl}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'unavailable', database: { ok: false }, broker: { connected: true } });
    const api = await fetch(`${central.apiUrl}/v1/observations`, { headers });
    expect(api.status).toBe(503);
    expect(api.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(api.headers.get('retry-after')).toBe('5');
    expect(await api.json()).toMatchObject({ status: 503, detail: expect.stringMatching(/database is unavailable/) });

    await cutOff(true);
    expect(await until(stored, (n) => n >= 22)).toBe(22);
    await central.ingest.idle();
    expect(central.ingest.stats().pending).toBe(0);
    const letters = await database.query<{ reason: string }>('select reason from dead_letters where device_id = $1', [device]);
    expect(letters).toEqual([{ reason: expect.stringMatching(/^invalid JSON/) }]);
    expect((await fetch(`${central.apiUrl}/healthz`)).status).toBe(200);
  });
});
