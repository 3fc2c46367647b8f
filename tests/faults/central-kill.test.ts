/**
 * Fault injection: the central service is killed with SIGKILL in the middle of a stream of 6,000
 * observations and started again. Every observation must end up in PostgreSQL exactly once:
 * messages received but not yet committed when it died were never acknowledged, so the broker
 * (Mosquitto with the infra/mosquitto configuration, on its own port) delivers them again to the
 * restarted process's persistent session, and the idempotent insert ignores what was committed.
 */
import { randomBytes } from 'node:crypto';
import { deviceTopic } from '@sightline/contracts';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCentralProcess, type CentralProcess } from '../../services/central/test/central-process';
import { observationMessage, until } from '../../services/central/test/helpers';
import { startMosquitto, type TestMosquitto } from '../../services/central/test/mosquitto';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

const MESSAGES = 6000; // one observation each
const RATE = 2000; // messages per second

describe('central killed with SIGKILL mid-stream', () => {
  const device = `fault-kill-${randomBytes(4).toString('hex')}`;
  let broker: TestMosquitto;
  let database: TestDatabase;
  let central: CentralProcess | undefined;
  let edge: MqttClient;

  const stored = async () => (await database.query<{ n: number }>('select count(*)::int as n from observations'))[0]!.n;

  beforeAll(async () => {
    broker = await startMosquitto({ users: { central: 'central-pw', [device]: 'device-pw' } });
    database = await createTestDatabase();
    edge = await mqtt.connectAsync(broker.url, { username: device, password: 'device-pw', clientId: device, protocolVersion: 4 });
  });

  afterAll(async () => {
    await edge?.endAsync();
    await central?.kill('SIGKILL');
    await database?.drop();
    await broker?.dispose();
  });

  it('stores every observation exactly once after a SIGKILL and a restart', async () => {
    const env = {
      DATABASE_URL: database.url,
      MQTT_URL: broker.url,
      MQTT_USERNAME: 'central',
      MQTT_PASSWORD: 'central-pw',
      SIGHTLINE_INGEST_ID: 'fault-kill-worker', // the same id after the restart: the same session
      SIGHTLINE_MQTT_SHARED_GROUP: `fault-kill-${randomBytes(3).toString('hex')}`,
    };
    central = await startCentralProcess(env);

    const messages = Array.from({ length: MESSAGES }, (_, i) => observationMessage(device, i + 1, { labels: ['car'] }));
    let published = 0;
    const publishing = (async () => {
      const chunk = 50;
      const started = Date.now();
      for (let i = 0; i < messages.length; i += chunk) {
        await Promise.all(messages.slice(i, i + chunk).map((m) => edge.publishAsync(deviceTopic(device, 'observations'), JSON.stringify(m), { qos: 1 })));
        published = Math.min(messages.length, i + chunk);
        const due = started + ((i + chunk) / RATE) * 1000;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      }
    })();

    // Kill it once about a third is stored, while messages keep coming.
    await until(stored, (n) => n >= MESSAGES / 3, 60_000);
    const before = await central.health();
    await central.kill('SIGKILL');
    const atKill = { stored: await stored(), published, received: before.received, acknowledged: before.acknowledged ?? 0 };
    await new Promise((r) => setTimeout(r, 1000)); // down for a second: the broker queues for the session
    const downFor = { published: published - atKill.published };

    const restartedAt = Date.now();
    central = await startCentralProcess(env);
    await publishing;
    const final = await until(stored, (n) => n >= MESSAGES, 90_000);
    const recoveredMs = Date.now() - restartedAt;
    await new Promise((r) => setTimeout(r, 500)); // any straggler would show up now
    const after = await central.health();

    const ids = await database.query<{ id: string }>('select id from observations');
    const expected = new Set(messages.map((m) => m.observations[0]!.id));
    const missing = [...expected].filter((id) => !ids.some((r) => r.id === id)).length;
    const device_ = (await database.query<{ last_seq: number; seq_missing: number }>('select last_seq::int, seq_missing::int from devices where id = $1', [device]))[0];

    console.log(
      [
        `[central SIGKILL] ${MESSAGES} observation messages published at ${RATE}/s`,
        `  at the kill: ${atKill.published} published, ${atKill.stored} stored, ${atKill.received} received and ${atKill.acknowledged} acknowledged by the killed process (≤1 s before)`,
        `  while down (1 s): ${downFor.published} more published, queued by the broker for the session`,
        `  after restart: ${after.received} messages delivered to the new process (re-deliveries included), all ${final} stored ${(recoveredMs / 1000).toFixed(1)} s after the restart`,
        `  final: ${ids.length} rows, ${new Set(ids.map((r) => r.id)).size} distinct, ${missing} missing, device seq_missing ${device_?.seq_missing}`,
      ].join('\n'),
    );
    expect(final).toBe(MESSAGES);
    expect(ids).toHaveLength(MESSAGES);
    expect(missing).toBe(0);
    expect(device_).toEqual({ last_seq: MESSAGES, seq_missing: 0 });
  });
});
