/**
 * Shared bits of the central tests: message builders, a poller, a publisher.
 */
import { randomBytes } from 'node:crypto';
import { deviceTopic, newId, type ObservationMessage, type StatsMessage, type TrafficCountMessage } from '@sightline/contracts';
import type { Kysely } from 'kysely';
import mqtt, { type MqttClient } from 'mqtt';
import { createApiKey } from '../src/auth/keys';
import type { Database } from '../src/db/schema';
import type { ApiKeyScope } from '../src/db/schema-incidents';

/** A random suffix so devices, topics and share groups never collide across runs and files. */
export function unique(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/** A valid ObservationMessage with `count` detections; fields overridable. */
export function observationMessage(
  deviceId: string,
  seq: number,
  options: { cameraId?: string; capturedAt?: string; labels?: string[]; classId?: number } = {},
): ObservationMessage {
  const labels = options.labels ?? ['car', 'person'];
  return {
    schema: 'sightline/v1/observations',
    id: newId(),
    seq,
    deviceId,
    cameraId: options.cameraId ?? 'cam-1',
    capturedAt: options.capturedAt ?? new Date(Date.UTC(2025, 4, 1, 8, 0, seq)).toISOString(),
    frame: { width: 1280, height: 720, source: `frame-${seq}.jpg` },
    model: { id: 'yolox-s' },
    position: { lat: 52.37, lon: 4.89, accuracyM: 5, headingDeg: 90, source: 'gps' },
    observations: labels.map((label, i) => ({
      id: newId(),
      label,
      classId: options.classId ?? i,
      score: 0.5 + i / 100,
      box: [10 + i, 20, 110.5 + i, 220.25],
    })),
  };
}

/** A valid TrafficCountMessage for one line and interval; counts as `[label, direction, count]`. */
export function trafficMessage(
  deviceId: string,
  seq: number,
  options: { cameraId?: string; lineId?: string; intervalStart?: string; intervalSeconds?: number; counts?: Array<[string, 'in' | 'out', number]> } = {},
): TrafficCountMessage {
  return {
    schema: 'sightline/v1/traffic',
    id: newId(),
    seq,
    deviceId,
    cameraId: options.cameraId ?? 'cam-1',
    lineId: options.lineId ?? 'line-1',
    intervalStart: options.intervalStart ?? '2025-05-01T08:00:00.000Z',
    intervalSeconds: options.intervalSeconds ?? 60,
    counts: (options.counts ?? [['car', 'in', 3], ['car', 'out', 1]]).map(([label, direction, count]) => ({ label, direction, count })),
  };
}

/** A valid StatsMessage; `spoolDropped` sets the spool drop counter. */
export function statsMessage(deviceId: string, seq: number, options: { sentAt?: string; spoolDropped?: number } = {}): StatsMessage {
  return {
    schema: 'sightline/v1/stats',
    id: newId(),
    seq,
    deviceId,
    sentAt: options.sentAt ?? new Date(Date.UTC(2025, 4, 1, 8, 0, seq)).toISOString(),
    startedAt: '2025-05-01T07:00:00.000Z',
    frames: { in: 100 + seq, processed: 90 + seq, dropped: 10 },
    fps: 4.5,
    inferenceMs: { p50: 41.5, p95: 63 },
    spool: { depth: 2, bytes: 2048, dropped: options.spoolDropped ?? 0 },
    reconnects: 1,
  };
}

/** Polls `probe` every 50 ms until `done` holds or `timeoutMs` passes; returns the last value. */
export async function until<T>(probe: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An MQTT client that publishes QoS 1 messages on device topics. */
export interface Publisher {
  client: MqttClient;
  /** Publishes a message object as JSON on `sightline/v1/{deviceId}/observations`. */
  send(deviceId: string, payload: ObservationMessage | string | Buffer): Promise<void>;
  /** Publishes `payload` (an object as JSON) on `sightline/v1/{deviceId}/{path}`, e.g. `traffic`, `status/info`. */
  sendTo(deviceId: string, path: string, payload: unknown, options?: { retain?: boolean }): Promise<void>;
  close(): Promise<void>;
}

/** Connects a publisher to `url` (MQTT 3.1.1 by default, which aedes speaks too). */
export async function publisher(url: string, protocolVersion: 4 | 5 = 4): Promise<Publisher> {
  const client = await mqtt.connectAsync(url, { clientId: unique('test-pub'), protocolVersion });
  return {
    client,
    send: async (deviceId, payload) => {
      const body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
      await client.publishAsync(deviceTopic(deviceId, 'observations'), body, { qos: 1 });
    },
    sendTo: async (deviceId, path, payload, options = {}) => {
      const body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
      await client.publishAsync(`sightline/v1/${deviceId}/${path}`, body, { qos: 1, retain: options.retain ?? false });
    },
    close: () => client.endAsync(),
  };
}

/**
 * Creates an API key of `scope` (default `read`) directly in central's database and returns the
 * request headers that present it: `{ authorization: 'Bearer sl_...' }`.
 */
export async function keyHeaders(db: Kysely<Database>, scope: ApiKeyScope = 'read'): Promise<Record<string, string>> {
  const created = await createApiKey(db, { scope, name: unique(`test-${scope}`) });
  return { authorization: `Bearer ${created.key}` };
}
