/**
 * Scale-out: two central processes join one MQTT 5 shared subscription on Mosquitto (infra
 * configuration, its own port) and write to one PostgreSQL database. Every message must be stored
 * once, the broker must split the load between them, and the per-device bookkeeping (seq gaps,
 * computed under row locks by whichever worker holds a batch) must end with nothing missing.
 */
import { randomBytes } from 'node:crypto';
import { deviceTopic } from '@sightline/contracts';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCentralProcess, type CentralProcess } from '../../services/central/test/central-process';
import { observationMessage, until } from '../../services/central/test/helpers';
import { startMosquitto, type TestMosquitto } from '../../services/central/test/mosquitto';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

const DEVICES = 5;
const MESSAGES_PER_DEVICE = 1000; // one observation each: 5,000 in all

describe('two ingest processes sharing the subscription', () => {
  const devices = Array.from({ length: DEVICES }, (_, i) => `fault-share-${i}-${randomBytes(3).toString('hex')}`);
  let broker: TestMosquitto;
  let database: TestDatabase;
  const workers: CentralProcess[] = [];
  const edges: MqttClient[] = [];

  beforeAll(async () => {
    broker = await startMosquitto({ users: { central: 'central-pw', ...Object.fromEntries(devices.map((d) => [d, `${d}-pw`])) } });
    database = await createTestDatabase();
    const group = `fault-share-${randomBytes(3).toString('hex')}`;
    for (const id of ['worker-a', 'worker-b']) {
      workers.push(
        await startCentralProcess({
          DATABASE_URL: database.url,
          MQTT_URL: broker.url,
          MQTT_USERNAME: 'central',
          MQTT_PASSWORD: 'central-pw',
          SIGHTLINE_INGEST_ID: `${group}-${id}`,
          SIGHTLINE_MQTT_SHARED_GROUP: group,
        }),
      );
    }
    for (const d of devices) {
      edges.push(await mqtt.connectAsync(broker.url, { username: d, password: `${d}-pw`, clientId: d, protocolVersion: 4 }));
    }
  });

  afterAll(async () => {
    for (const e of edges) await e.endAsync();
    for (const w of workers) await w.kill('SIGTERM');
    await database?.drop();
    await broker?.dispose();
  });

  it('stores every message once and splits the load between the workers', async () => {
    const sent = devices.map((d) => Array.from({ length: MESSAGES_PER_DEVICE }, (_, i) => observationMessage(d, i + 1, { labels: ['bus'] })));
    const started = Date.now();
    await Promise.all(
      sent.map(async (messages, i) => {
        for (let start = 0; start < messages.length; start += 100) {
          await Promise.all(
            messages.slice(start, start + 100).map((m) => edges[i]!.publishAsync(deviceTopic(devices[i]!, 'observations'), JSON.stringify(m), { qos: 1 })),
          );
        }
      }),
    );
    const total = DEVICES * MESSAGES_PER_DEVICE;
    const stored = await until(
      async () => (await database.query<{ n: number }>('select count(*)::int as n from observations'))[0]!.n,
      (n) => n >= total,
      60_000,
    );
    const seconds = (Date.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 300));
    const [a, b] = await Promise.all(workers.map((w) => w.health()));
    const rows = await database.query<{ n: number; distinct_ids: number }>('select count(*)::int as n, count(distinct id)::int as distinct_ids from observations');
    const bookkeeping = await database.query<{ id: string; last_seq: number; seq_missing: number }>(
      'select id, last_seq::int, seq_missing::int from devices order by id',
    );
    const deadLetters = (await database.query<{ n: number }>('select count(*)::int as n from dead_letters'))[0]!.n;

    console.log(
      [
        `[shared subscription] ${total} messages from ${DEVICES} devices, 2 workers, stored in ${seconds.toFixed(1)} s (${Math.round(total / seconds)} msg/s)`,
        `  worker-a stored ${a!.stored} (${((100 * a!.stored) / total).toFixed(1)} %), worker-b stored ${b!.stored} (${((100 * b!.stored) / total).toFixed(1)} %)`,
        `  database: ${rows[0]!.n} rows, ${rows[0]!.distinct_ids} distinct ids, ${deadLetters} dead letters; seq missing per device: ${bookkeeping.map((d) => d.seq_missing).join(', ')}`,
      ].join('\n'),
    );
    expect(stored).toBe(total);
    expect(rows[0]).toEqual({ n: total, distinct_ids: total });
    expect(a!.stored + b!.stored).toBe(total);
    expect(Math.min(a!.stored, b!.stored)).toBeGreaterThan(total * 0.3); // both took a real share
    expect(bookkeeping).toEqual(devices.sort().map((id) => ({ id, last_seq: MESSAGES_PER_DEVICE, seq_missing: 0 })));
    expect(deadLetters).toBe(0);
  });
});
