/**
 * Ingest on the real servers: Mosquitto (MQTT 5, shared subscription) → central → PostgreSQL.
 */
import { deviceTopic, newId } from '@sightline/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCentral, openDatabase, type Central } from '../src/index';
import { migrations } from '../src/db/migrations/index';
import { createTestDatabase, type TestDatabase } from '../../../tests/support/postgres';
import { observationMessage, publisher, unique, until, type Publisher } from './helpers';

const MQTT_URL = process.env.SIGHTLINE_TEST_MQTT_URL!;

interface DeadLetter {
  topic: string;
  reason: string;
  payload: Buffer;
  device_id: string | null;
}

describe('ingest on PostgreSQL and Mosquitto', () => {
  let database: TestDatabase;
  let central: Central;
  let pub: Publisher;
  const deviceA = unique('dev-a');
  const deviceB = unique('dev-b');

  const countRows = async (deviceId: string) =>
    Number((await database.query<{ n: number }>('select count(*)::int as n from observations where device_id = $1', [deviceId]))[0]!.n);
  const deadLetters = () =>
    database.query<DeadLetter>('select topic, reason, payload, device_id from dead_letters where topic = any($1) order by id', [
      [deviceTopic(deviceA, 'observations'), deviceTopic(deviceB, 'observations')],
    ]);

  beforeAll(async () => {
    database = await createTestDatabase();
    central = await startCentral({
      databaseUrl: database.url,
      mqttUrl: MQTT_URL,
      mqttSharedGroup: unique('test-ingest'), // this suite's own group: others on the broker don't split our messages
      mqttSessionExpirySeconds: 60, // the shared broker need not keep this suite's session for days
      httpPort: 0,
      logger: false,
    });
    pub = await publisher(MQTT_URL, 5);
  });

  afterAll(async () => {
    await pub?.close();
    await central?.close();
    await database?.drop();
  });

  it('stores the valid messages and dead-letters each malformed one with its reason', async () => {
    const valid = Array.from({ length: 12 }, (_, i) => observationMessage(deviceA, i + 1, { labels: ['car', 'bus', 'person'] }));
    const badSchema = observationMessage(deviceA, 100);
    (badSchema.observations[0] as { score: number }).score = 1.5;
    const foreign = observationMessage(deviceB, 1);
    const oversized = Buffer.alloc(1024 * 1024 + 1, 0x20);
    const outOfRange = observationMessage(deviceA, 101, { classId: 2 ** 31 }); // too big for an int4 column: the contract refuses it

    for (const [i, message] of valid.entries()) {
      await pub.send(deviceA, message);
      if (i === 2) await pub.send(deviceA, '{"schema": "sightline/v1/observations", "id": ');
      if (i === 4) await pub.send(deviceA, JSON.stringify(badSchema));
      if (i === 6) await pub.send(deviceA, JSON.stringify(foreign)); // deviceId B on device A's topic
      if (i === 8) await pub.send(deviceA, oversized);
      if (i === 10) await pub.send(deviceA, outOfRange);
    }

    const expected = valid.length * 3;
    expect(await until(() => countRows(deviceA), (n) => n >= expected)).toBe(expected);
    const letters = await until(deadLetters, (rows) => rows.length >= 5);
    expect(letters.map((l) => l.reason)).toEqual([
      expect.stringMatching(/^invalid JSON: /),
      expect.stringMatching(/^schema violation: \/observations\/0\/score: must be <= 1/),
      `deviceId "${deviceB}" does not match topic device "${deviceA}"`,
      'payload too large: 1048577 bytes exceeds the 1048576-byte limit',
      expect.stringMatching(/^schema violation: \/observations\/0\/classId: must be <= 2147483647/),
    ]);
    expect(letters.every((l) => l.topic === deviceTopic(deviceA, 'observations') && l.device_id !== null)).toBe(true);
    expect(letters[0]!.payload.toString()).toBe('{"schema": "sightline/v1/observations", "id": ');
    expect(letters[3]!.payload.length).toBe(64 * 1024); // oversized payloads keep their head only
    expect(await countRows(deviceB)).toBe(0);

    // Exactly the published observation ids, with their content.
    const rows = await database.query<{ id: string; label: string; seq: number; captured_at: Date; box_x2: number; lat: number }>(
      'select id, label, seq, captured_at, box_x2, lat from observations where device_id = $1',
      [deviceA],
    );
    const published = valid.flatMap((m) => m.observations.map((o) => ({ id: o.id, label: o.label, seq: m.seq, capturedAt: m.capturedAt })));
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(published.map((p) => p.id)));
    const one = rows.find((r) => r.id === published[4]!.id)!;
    expect(one.label).toBe(published[4]!.label);
    expect(one.captured_at.toISOString()).toBe(published[4]!.capturedAt);
    expect(one.box_x2).toBeCloseTo(111.5, 3);
    expect(one.lat).toBe(52.37);

    const device = await database.query<{ last_seq: string }>('select last_seq::text from devices where id = $1', [deviceA]);
    expect(device[0]?.last_seq).toBe('12'); // rejected messages do not move it
  });

  it('stores a re-published message once', async () => {
    const message = observationMessage(deviceA, 200, { cameraId: 'cam-dup' });
    await pub.send(deviceA, message);
    await pub.send(deviceA, message);
    await pub.send(deviceA, message);
    const sentinel = observationMessage(deviceA, 201, { cameraId: 'cam-dup' });
    await pub.send(deviceA, sentinel); // arrives after the copies: once it is in, so are they
    const count = () =>
      database.query<{ n: number }>("select count(*)::int as n from observations where device_id = $1 and camera_id = 'cam-dup'", [deviceA]);
    const rows = await until(count, (r) => r[0]!.n >= 4);
    await central.ingest.idle();
    expect(rows[0]!.n).toBe(4);
    expect((await count())[0]!.n).toBe(4);
  });

  it('keeps up with a burst, batching messages into few transactions', async () => {
    const device = unique('dev-burst');
    const messages = Array.from({ length: 500 }, (_, i) => observationMessage(device, i + 1, { labels: ['car'] }));
    const before = central.ingest.stats().transactions;
    await Promise.all(messages.map((m) => pub.send(device, m)));
    expect(await until(() => countRows(device), (n) => n >= 500)).toBe(500);
    const seq = await database.query<{ last_seq: number }>('select last_seq::int from devices where id = $1', [device]);
    expect(seq[0]!.last_seq).toBe(500);
    // Other suites may publish on the shared broker meanwhile, so only an upper bound is meaningful.
    expect(central.ingest.stats().transactions - before).toBeLessThan(100);
  });

  it('migrates safely when several processes start at once', async () => {
    const fresh = await createTestDatabase();
    try {
      const handles = await Promise.all(Array.from({ length: 4 }, () => openDatabase({ databaseUrl: fresh.url })));
      const tables = await fresh.query<{ n: number }>(
        "select count(*)::int as n from information_schema.tables where table_schema = 'public' and table_name in ('devices', 'observations', 'dead_letters')",
      );
      expect(tables[0]!.n).toBe(3);
      const applied = await fresh.query<{ n: number }>('select count(*)::int as n from kysely_migration');
      expect(applied[0]!.n).toBe(Object.keys(migrations).length);
      await Promise.all(handles.map((h) => h.close()));
    } finally {
      await fresh.drop();
    }
  });

  it('reports a clear error when the database is unreachable', async () => {
    await expect(openDatabase({ databaseUrl: 'postgres://postgres@127.0.0.1:1/nowhere' })).rejects.toThrow(
      /cannot open the database at postgres:\/\/postgres@127\.0\.0\.1:1\/nowhere: .*ECONNREFUSED/,
    );
  });

  it('stores the id of an observation exactly as published', async () => {
    const message = observationMessage(deviceA, 300, { cameraId: 'cam-id' });
    message.observations[0]!.id = newId();
    await pub.send(deviceA, message);
    const rows = await until(
      () => database.query<{ id: string }>('select id from observations where id = $1', [message.observations[0]!.id]),
      (r) => r.length > 0,
    );
    expect(rows).toHaveLength(1);
  });
});
