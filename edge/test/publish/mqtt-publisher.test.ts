/**
 * MqttPublisher against the real Mosquitto (SIGHTLINE_TEST_MQTT_URL): spool → broker in order,
 * status and status/info, MQTT 3.1.1 and 5, and messages spooled without a broker are delivered
 * by the next process. Broker outages are in tests/faults/edge-*.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { deviceTopic, validateStatusInfoMessage, type ObservationMessage } from '@sightline/contracts';
import { MqttPublisher, type ObservationDraft } from '../../src/publish/mqtt-publisher';

const BROKER = process.env.SIGHTLINE_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const dir = mkdtempSync(join(tmpdir(), 'sightline-publisher-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function draft(i: number): ObservationDraft {
  return {
    cameraId: 'cam-1',
    capturedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    frame: { width: 640, height: 480, source: `frame-${i}.jpg` },
    model: { id: 'yolox-nano' },
    observations: [{ id: `0192f0c8-0000-7000-8000-${String(i).padStart(12, '0')}`, label: 'car', classId: 2, score: 0.9, box: [1, 2, 3, 4] }],
  };
}

/** A subscriber that keeps every payload per topic, in arrival order. */
async function listen(deviceId: string): Promise<{ client: MqttClient; got: Map<string, string[]> }> {
  const client = await mqtt.connectAsync(BROKER, { clientId: `test-sub-${deviceId}` });
  const got = new Map<string, string[]>();
  client.on('message', (topic, payload) => got.set(topic, [...(got.get(topic) ?? []), payload.toString('utf8')]));
  await client.subscribeAsync(`sightline/v1/${deviceId}/#`, { qos: 1 });
  return { client, got };
}

async function until(done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe.each([4, 5] as const)('MqttPublisher over MQTT protocol version %i', (protocolVersion) => {
  it('delivers spooled messages in seq order, announces online + info, and stopped on close', async () => {
    const deviceId = `pub-${protocolVersion}-${randomBytes(3).toString('hex')}`;
    const { client, got } = await listen(deviceId);
    const publisher = new MqttPublisher({
      deviceId,
      mqttUrl: BROKER,
      protocolVersion,
      spoolFile: join(dir, deviceId, 'spool.sqlite'),
      inFlightWindow: 8,
      info: { model: 'yolox-nano', cameras: ['cam-1'] },
    });
    const sent: ObservationMessage[] = [];
    for (let i = 0; i < 50; i++) sent.push(await publisher.publishObservations(draft(i)));
    expect(sent.map((m) => m.seq)).toEqual([...Array(50).keys()]);
    await publisher.flush(10_000);
    expect(publisher.spoolStats.depth).toBe(0);
    expect(publisher.acknowledged).toBe(50);

    const topic = deviceTopic(deviceId, 'observations');
    await until(() => (got.get(topic)?.length ?? 0) >= 50);
    const received = got.get(topic)!.map((p) => JSON.parse(p) as ObservationMessage);
    expect(received.map((m) => m.seq)).toEqual(sent.map((m) => m.seq));
    expect(received.map((m) => m.id)).toEqual(sent.map((m) => m.id));
    expect(received[0]).toMatchObject({ schema: 'sightline/v1/observations', deviceId, cameraId: 'cam-1' });

    const status = deviceTopic(deviceId, 'status');
    expect(got.get(status)).toEqual(['online']);
    const info = JSON.parse(got.get(`${status}/info`)![0]!);
    expect(validateStatusInfoMessage(info).ok).toBe(true);
    expect(info).toMatchObject({ deviceId, model: 'yolox-nano', cameras: ['cam-1'], software: { name: '@sightline/edge' } });

    expect(await publisher.close()).toEqual({ unsent: 0 });
    await until(() => got.get(status)?.length === 2);
    expect(got.get(status)).toEqual(['online', 'stopped']);
    // Clear the retained status so the shared broker does not collect test devices.
    await client.publishAsync(status, '', { qos: 1, retain: true });
    await client.publishAsync(`${status}/info`, '', { qos: 1, retain: true });
    await client.endAsync();
  });
});

describe('MqttPublisher without a broker', () => {
  it('keeps messages in the spool, says so, and the next process delivers them', async () => {
    const deviceId = `pub-offline-${randomBytes(3).toString('hex')}`;
    const spoolFile = join(dir, deviceId, 'spool.sqlite');
    const offline = new MqttPublisher({ deviceId, mqttUrl: `mqtt://127.0.0.1:${await freePort()}`, spoolFile });
    const sent = [];
    for (let i = 0; i < 10; i++) sent.push(await offline.publishObservations(draft(i)));
    await expect(offline.flush(200)).rejects.toThrow(/10 messages still spooled after 200 ms \(broker mqtt:\/\/127\.0\.0\.1:\d+, not connected\)/);
    expect(await offline.close(0)).toEqual({ unsent: 10 });

    const { client, got } = await listen(deviceId);
    const online = new MqttPublisher({ deviceId, mqttUrl: BROKER, spoolFile });
    expect(online.spoolStats).toMatchObject({ depth: 10, nextSeq: 10 });
    await online.flush(10_000);
    const topic = deviceTopic(deviceId, 'observations');
    await until(() => (got.get(topic)?.length ?? 0) >= 10);
    expect(got.get(topic)!.map((p) => (JSON.parse(p) as ObservationMessage).id)).toEqual(sent.map((m) => m.id));
    await online.close();
    const status = deviceTopic(deviceId, 'status');
    await client.publishAsync(status, '', { qos: 1, retain: true });
    await client.publishAsync(`${status}/info`, '', { qos: 1, retain: true });
    await client.endAsync();
  });
});
