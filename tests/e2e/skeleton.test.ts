/**
 * End to end on the real servers: fixture frames → edge agent → Mosquitto → central ingest →
 * Postgres → `GET /v1/observations`, with a malformed message injected in the middle of the stream.
 */
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceTopic } from '@sightline/contracts';
import { createApiKey, startCentral } from '@sightline/central';
import { parseAgentConfig, runAgent, type AgentStats } from '@sightline/edge';
import { fixture } from '../support/fixtures';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

interface ApiObservation {
  id: string;
  deviceId: string;
  cameraId: string;
  label: string;
  score: number;
  box: number[];
  frame: { width: number; height: number; source?: string };
}

const FRAMES = [
  'street/images/coco_val2017_000000001584.jpg', // London buses and pedestrians
  'street/images/coco_val2017_000000002006.jpg', // purple bus
  'street/images/coco_val2017_000000007816.jpg', // motorcyclist
  'demo/bus.jpg',
  'demo/dog.jpg',
];

async function allObservations(apiUrl: string, query: Record<string, string>, headers: Record<string, string>): Promise<ApiObservation[]> {
  const items: ApiObservation[] = [];
  let cursor: string | null = null;
  do {
    const url = new URL('/v1/observations', apiUrl);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    url.searchParams.set('limit', '7'); // small pages: the cursor walk is part of what is tested
    if (cursor) url.searchParams.set('cursor', cursor);
    const response = await fetch(url, { headers });
    expect(response.status).toBe(200);
    const page = (await response.json()) as { items: ApiObservation[]; nextCursor: string | null };
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('walking skeleton on real Postgres and Mosquitto', () => {
  let database: TestDatabase;
  let central: Awaited<ReturnType<typeof startCentral>>;
  const deviceId = `e2e-${randomBytes(4).toString('hex')}`;
  let stats: AgentStats;
  /** A read key: the API needs one for /v1/observations. */
  let headers: Record<string, string> = {};

  beforeAll(async () => {
    database = await createTestDatabase();
    central = await startCentral({
      databaseUrl: database.url,
      mqttUrl: process.env.SIGHTLINE_TEST_MQTT_URL,
      httpPort: 0,
      // Its own shared-subscription group: other suites' central instances on the same broker
      // must not take this test's messages.
      mqttSharedGroup: `e2e-${deviceId}`,
      // No persistent session: a test's ingest must not leave a session queueing on the shared broker.
      mqttSessionExpirySeconds: 0,
      logger: false,
    });
    headers = { authorization: `Bearer ${(await createApiKey(central.db, { scope: 'read', name: 'e2e' })).key}` };
    const config = parseAgentConfig(
      {
        deviceId,
        mqtt: { url: process.env.SIGHTLINE_TEST_MQTT_URL },
        stateDir: `/tmp/sightline-e2e-${deviceId}`,
        cameras: [{ id: 'cam-1', source: { type: 'images', paths: FRAMES.map(fixture) } }],
      },
      process.cwd(),
    );
    // A malformed message from the same device, published while the agent's stream is flowing.
    const intruder = await mqtt.connectAsync(process.env.SIGHTLINE_TEST_MQTT_URL!, { clientId: `${deviceId}-bad` });
    const agent = runAgent(config, { logger: pino({ level: 'silent' }) });
    await new Promise((r) => setTimeout(r, 300));
    await intruder.publishAsync(deviceTopic(deviceId, 'observations'), '{"schema": "sightline/v1/observations", "id": 1', { qos: 1 });
    stats = await agent;
    await intruder.endAsync();
  });

  afterAll(async () => {
    await central?.close();
    await database?.drop();
  });

  it('stores exactly the observations the edge published', async () => {
    expect(stats.frames).toBe(FRAMES.length);
    expect(stats.failed).toBe(0);
    expect(stats.messages).toBe(FRAMES.length);
    const stored = await until(
      () => allObservations(central.apiUrl, { device: deviceId }, headers),
      (items) => items.length >= stats.observations,
    );
    expect(stored).toHaveLength(stats.observations);
    expect(new Set(stored.map((o) => o.id)).size).toBe(stats.observations);
    const rows = await database.query<{ n: string }>('select count(*)::text as n from observations where device_id = $1', [deviceId]);
    expect(Number(rows[0]!.n)).toBe(stats.observations);
  });

  it('serves the labels the photos show, with boxes inside the frame', async () => {
    const stored = await allObservations(central.apiUrl, { device: deviceId }, headers);
    const labelsOf = (source: string) => stored.filter((o) => o.frame.source === source).map((o) => o.label);
    const london = labelsOf('coco_val2017_000000001584.jpg');
    expect(london).toContain('bus');
    expect(london.filter((l) => l === 'person').length).toBeGreaterThanOrEqual(3);
    expect(labelsOf('coco_val2017_000000002006.jpg')).toContain('bus');
    expect(labelsOf('coco_val2017_000000007816.jpg')).toContain('motorcycle');
    expect(labelsOf('bus.jpg')).toContain('bus');
    expect(labelsOf('dog.jpg')).toContain('dog');
    for (const o of stored) {
      const [x1, y1, x2, y2] = o.box as [number, number, number, number];
      expect(x1).toBeGreaterThanOrEqual(0);
      expect(y1).toBeGreaterThanOrEqual(0);
      expect(x2).toBeLessThanOrEqual(o.frame.width);
      expect(y2).toBeLessThanOrEqual(o.frame.height);
      expect(x2).toBeGreaterThan(x1);
      expect(y2).toBeGreaterThan(y1);
    }
    const buses = await allObservations(central.apiUrl, { device: deviceId, label: 'bus' }, headers);
    expect(buses.length).toBe(stored.filter((o) => o.label === 'bus').length);
    expect(buses.every((o) => o.label === 'bus')).toBe(true);
  });

  it('keeps the malformed message as a dead letter with its reason', async () => {
    const letters = await until(
      () => database.query<{ topic: string; reason: string; payload: Buffer }>('select topic, reason, payload from dead_letters where topic = $1', [deviceTopic(deviceId, 'observations')]),
      (rows) => rows.length > 0,
    );
    expect(letters).toHaveLength(1);
    expect(letters[0]!.reason).toMatch(/json/i);
    expect(letters[0]!.payload.toString()).toBe('{"schema": "sightline/v1/observations", "id": 1');
  });
});
