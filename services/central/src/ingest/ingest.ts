/**
 * The ingest: subscribes to every device's observations on the MQTT broker, checks each message
 * (size, JSON, contract, topic device) and hands it to the {@link Batcher}, which stores valid
 * messages and dead-letters the rest.
 *
 * ```
 * broker ──sightline/v1/+/observations (QoS 1)──▶ decode ──▶ Batcher ──one transaction──▶ Postgres
 *                                                   └─ reject ─▶ dead letter ─┘
 * ```
 *
 * Scale-out: with MQTT 5 (the default) it subscribes through the shared subscription
 * `$share/sightline-ingest/sightline/v1/+/observations`, so any number of ingest processes split
 * the messages; inserts are idempotent and nothing assumes a single instance. MQTT 3.1.1 brokers
 * (and the embedded aedes, which has no MQTT 5 or shared subscriptions) get a plain subscription.
 *
 * Never crashes on input: every message handler path is guarded; broker and database failures
 * are logged and retried.
 */
import { randomUUID } from 'node:crypto';
import { allDevicesFilter } from '@sightline/contracts';
import type { Kysely } from 'kysely';
import { connect, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { Database } from '../db/schema';
import { Batcher, type BatcherCounters, type BatcherOptions } from './batcher';
import { DEFAULT_MAX_PAYLOAD_BYTES, decodeObservationMessage } from './decode';
import type { IngestItem } from './items';
import { storeBatch } from './store';

/** Shared subscription group ingest workers join by default. */
export const DEFAULT_SHARED_GROUP = 'sightline-ingest';

/** Options of {@link startIngest}. */
export interface IngestOptions {
  /** Broker URL, e.g. `mqtt://127.0.0.1:1883` or `mqtts://broker:8883`. */
  mqttUrl: string;
  /** MQTT protocol version: 5 (default) or 4 (= MQTT 3.1.1, for brokers such as aedes). */
  protocolVersion?: 4 | 5;
  /**
   * Shared subscription group (MQTT 5 only; default {@link DEFAULT_SHARED_GROUP}). `null`
   * subscribes plainly, so this process receives every message. Tests use a unique group.
   */
  sharedGroup?: string | null;
  /** MQTT client id (default `sightline-central-<random>`); must be unique per process. */
  clientId?: string;
  /** Payloads above this many bytes are dead-lettered (default 1 MiB). */
  maxPayloadBytes?: number;
  /** How long to wait for the first connection before giving up, in ms (default 10000). */
  connectTimeoutMs?: number;
  /** Batching and retry tuning. */
  batcher?: Partial<BatcherOptions>;
  logger?: Logger;
}

/** Counters of a running ingest (since start). */
export interface IngestStats extends BatcherCounters {
  /** MQTT messages received (valid or not). */
  received: number;
  /** Received but not yet committed (waiting for a batch or for the database to come back). */
  pending: number;
  /** Whether the MQTT client is connected right now. */
  connected: boolean;
}

/** A running ingest. */
export interface Ingest {
  /** The topic filter subscribed to (with the `$share/...` prefix when shared). */
  readonly subscription: string;
  /** A snapshot of the counters. */
  stats(): IngestStats;
  /** Whether the MQTT client is connected right now. */
  connected(): boolean;
  /** Resolves when every message received so far is committed (useful in tests and shutdown). */
  idle(): Promise<void>;
  /**
   * Disconnects from the broker, then writes what is still queued (retrying for up to
   * `timeoutMs`, default 10000). Idempotent.
   */
  close(timeoutMs?: number): Promise<void>;
}

/**
 * Connects to the broker, subscribes (QoS 1) and starts storing observation messages in `db`.
 *
 * @throws Error `cannot connect to the MQTT broker at <url>: <reason>` when the first connection
 *   fails or times out, or when the broker refuses the subscription. After a successful start,
 *   lost connections are retried every second for ever (`stats().connected` tells).
 */
export async function startIngest(db: Kysely<Database>, options: IngestOptions): Promise<Ingest> {
  const logger = options.logger;
  const protocolVersion = options.protocolVersion ?? 5;
  const group = options.sharedGroup === undefined ? DEFAULT_SHARED_GROUP : options.sharedGroup;
  const filter = allDevicesFilter('observations');
  const subscription = protocolVersion === 5 && group ? `$share/${group}/${filter}` : filter;
  const maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  const batcher = new Batcher((items) => storeBatch(db, items), options.batcher, logger);
  let received = 0;

  const client: MqttClient = connect(options.mqttUrl, {
    protocolVersion,
    clientId: options.clientId ?? `sightline-central-${randomUUID().slice(0, 8)}`,
    clean: true,
    reconnectPeriod: 1000,
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    resubscribe: true,
  });

  const onMessage = (topic: string, payload: Buffer): void => {
    received += 1;
    const receivedAt = new Date();
    let item: IngestItem;
    try {
      const decoded = decodeObservationMessage(topic, payload, maxPayloadBytes);
      item = decoded.ok
        ? { kind: 'store', topic, payload, receivedAt, message: decoded.message }
        : { kind: 'dead-letter', topic, payload, receivedAt, reason: decoded.reason, deviceId: decoded.deviceId };
    } catch (error) {
      item = { kind: 'dead-letter', topic, payload, receivedAt, reason: `ingest failed: ${String(error)}`, deviceId: null };
    }
    if (item.kind === 'dead-letter') logger?.debug({ topic, reason: item.reason }, 'message rejected');
    if (!batcher.push(item)) logger?.warn({ topic }, 'message received while closing; not stored');
  };
  client.on('message', (topic, payload) => {
    try {
      onMessage(topic, payload);
    } catch (error) {
      logger?.error({ err: error, topic }, 'ingest message handler failed');
    }
  });
  // Hold the acknowledgement (and with it the next message) while too much is waiting for the
  // database, so the broker buffers instead of this process.
  client.handleMessage = (_packet, callback) => {
    void batcher.waitForRoom().then(() => callback());
  };
  client.on('error', (error) => logger?.warn({ err: error }, 'MQTT client error'));
  client.on('offline', () => logger?.warn({ url: redact(options.mqttUrl) }, 'MQTT broker connection lost; reconnecting'));
  client.on('reconnect', () => logger?.debug('MQTT reconnecting'));

  try {
    await firstConnection(client, options.connectTimeoutMs ?? 10_000);
    const granted = await client.subscribeAsync(subscription, { qos: 1 });
    const refused = granted.find((g) => g.qos > 2);
    if (refused) throw new Error(`broker refused the subscription to ${subscription} (reason code ${refused.qos})`);
  } catch (error) {
    client.end(true);
    await batcher.close(0);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot connect to the MQTT broker at ${redact(options.mqttUrl)}: ${reason}`, { cause: error });
  }
  client.on('connect', () => logger?.info({ subscription }, 'MQTT reconnected'));
  logger?.info({ url: redact(options.mqttUrl), subscription, protocolVersion }, 'ingest subscribed');

  let closed: Promise<void> | undefined;
  return {
    subscription,
    stats: () => ({ ...batcher.counters, received, pending: batcher.pending, connected: client.connected }),
    connected: () => client.connected,
    idle: () => batcher.idle(),
    close: (timeoutMs = 10_000) =>
      (closed ??= (async () => {
        await Promise.race([client.endAsync(), delay(2000)]).catch(() => undefined);
        if (!client.disconnected) client.end(true);
        await batcher.close(timeoutMs);
      })()),
  };
}

/** Resolves on the first CONNACK; rejects on a refused connection or after `timeoutMs`. */
function firstConnection(client: MqttClient, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
    const onConnect = (): void => finish();
    const onError = (error: Error): void => finish(error);
    function finish(error?: Error): void {
      clearTimeout(timer);
      client.off('connect', onConnect);
      client.off('error', onError);
      if (error) reject(error);
      else resolve();
    }
    client.once('connect', onConnect);
    client.once('error', onError);
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
