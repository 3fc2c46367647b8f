/**
 * The ingest: subscribes to every device's topics on the MQTT broker, checks each message (size,
 * JSON, contract, topic device) and hands it to the {@link Batcher}, which stores valid messages
 * and dead-letters the rest, then acknowledges them.
 *
 * ```
 * broker ──sightline/v1/+/{observations,traffic,stats} (shared, QoS 1)──▶ decode ──▶ Batcher ──one transaction──▶ Postgres
 *        ──sightline/v1/+/evidence/+ (shared, QoS 1, JPEG bytes)──▶ same path; checked against its observation there
 *        ──sightline/v1/+/status/#  (plain, every worker, retained)───▶   └─ reject ─▶ dead letter ─┘      │
 *        ◀────────────────────────── PUBACK after the commit ──────────────────────────────────────────────┘
 * ```
 *
 * At-least-once from the broker, exactly-once effect in the database:
 * - The PUBACK of a message is sent only after the transaction holding it committed. mqtt.js
 *   acknowledges inside its packet pipeline and handles one packet at a time, so holding its
 *   callback would hold every later message too; instead the ingest declines mqtt.js's own
 *   PUBACK (its `handleMessage` callback gets an error, which mqtt.js answers by not acknowledging)
 *   and writes the 4-byte PUBACK itself when the batch commits, on the connection the message came
 *   in on. A message whose connection dropped before its commit is not acknowledged; the broker
 *   sends it again and the idempotent insert makes the copy harmless.
 * - The session is persistent: `clean: false` with a stable client id (one per worker, e.g.
 *   `SIGHTLINE_INGEST_ID`) and, with MQTT 5, a session expiry interval (default 7 days). The
 *   broker keeps unacknowledged and newly arriving messages for a worker that crashed and
 *   delivers them when it reconnects with the same id. Mosquitto 2 also keeps routing a shared
 *   group's share to a disconnected member's session, so a worker that is gone for good must be
 *   restarted under its id (or its queued share is lost when its session expires).
 * - With MQTT 5 the ingest asks for a receive maximum (the number of unacknowledged messages the
 *   broker may send it) equal to the batcher's high-water mark, so batches can fill. MQTT 3.1.1
 *   has no such setting: the broker's own limit applies (Mosquitto `max_inflight_messages`,
 *   default 20; see infra/mosquitto).
 *
 * Scale-out: with MQTT 5 (the default) data topics are subscribed through the shared
 * subscription `$share/sightline-ingest/...`, so any number of ingest processes split them.
 * Status topics are subscribed plainly by every worker: a shared subscription receives no
 * retained messages, and the device state must be known from the retained status at start-up;
 * applying one status message in several workers is harmless (see `devices.ts`). MQTT 3.1.1
 * brokers (and the embedded aedes, which has no MQTT 5) get plain subscriptions for everything.
 *
 * Never crashes on input: every message handler path is guarded; broker and database failures
 * are logged and retried.
 */
import { hostname } from 'node:os';
import { allDevicesEvidenceFilter, allDevicesFilter, type TopicKind } from '@sightline/contracts';
import type { Kysely } from 'kysely';
import { connect, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { TransactionWithCopy } from '../db/connect';
import type { Database } from '../db/schema';
import { decodeEvidence, DEFAULT_MAX_EVIDENCE_BYTES, isEvidenceTopic } from '../evidence/decode';
import { PostgresEvidenceStore, type EvidenceStore } from '../evidence/store';
import { CategoryRules } from '../incidents/rules';
import { Batcher, DEFAULT_BATCHER_OPTIONS, type BatcherCounters, type BatcherOptions } from './batcher';
import { DEFAULT_MAX_PAYLOAD_BYTES, decodeDeviceMessage } from './decode';
import type { DeviceRecord, IngestItem } from './items';
import { storeBatch } from './store';

/** Shared subscription group ingest workers join by default. */
export const DEFAULT_SHARED_GROUP = 'sightline-ingest';

/** How long the broker keeps a disconnected worker's session (MQTT 5), in seconds: 7 days. */
export const DEFAULT_SESSION_EXPIRY_SECONDS = 7 * 24 * 3600;

/** Topic kinds whose messages are split between workers (shared subscription with MQTT 5). */
const SHARED_KINDS: readonly TopicKind[] = ['observations', 'traffic', 'stats'];

/** Options of {@link startIngest}. */
export interface IngestOptions {
  /** Broker URL, e.g. `mqtt://127.0.0.1:1883` or `mqtts://user:password@broker:8883`. */
  mqttUrl: string;
  /** Broker user name and password (alternatively in the URL). */
  username?: string;
  password?: string;
  /** MQTT protocol version: 5 (default) or 4 (= MQTT 3.1.1, for brokers such as aedes). */
  protocolVersion?: 4 | 5;
  /**
   * Shared subscription group (MQTT 5 only; default {@link DEFAULT_SHARED_GROUP}). `null`
   * subscribes plainly, so this process receives every message. Tests use a unique group.
   */
  sharedGroup?: string | null;
  /**
   * MQTT client id: the name of this worker's persistent session, so it must be stable across
   * restarts and unique among the workers (default {@link defaultIngestClientId} of nothing:
   * `sightline-ingest-<host name>`).
   */
  clientId?: string;
  /**
   * Seconds the broker keeps this worker's session (subscriptions, unacknowledged and queued
   * messages) after a disconnect (default {@link DEFAULT_SESSION_EXPIRY_SECONDS}). 0 = a clean
   * session: nothing is kept, so a crash loses what was received but not yet committed. MQTT
   * 3.1.1 has no expiry: any value above 0 keeps the session until the broker drops it
   * (Mosquitto `persistent_client_expiration`).
   */
  sessionExpirySeconds?: number;
  /** Payloads above this many bytes are dead-lettered (default 1 MiB). */
  maxPayloadBytes?: number;
  /** Evidence JPEGs above this many bytes are dead-lettered (default 8 MiB). */
  maxEvidenceBytes?: number;
  /** Category rules for incident merging (default: the shipped taxonomies). */
  rules?: CategoryRules;
  /** Where evidence JPEG bytes go (default: the `evidence_blobs` table). */
  evidenceStore?: EvidenceStore;
  /** How long to wait for the first connection before giving up, in ms (default 10000). */
  connectTimeoutMs?: number;
  /** Batching and retry tuning. */
  batcher?: Partial<BatcherOptions>;
  /** PostgreSQL's COPY-capable transactions (`DatabaseHandle.transactionWithCopy`): faster inserts. */
  transactionWithCopy?: TransactionWithCopy;
  /**
   * Called after each committed transaction with the records it stored (not dead letters), e.g.
   * to measure publish → commit latency. Must not throw or block.
   */
  onCommitted?: (records: readonly DeviceRecord[], committedAt: Date) => void;
  logger?: Logger;
}

/** Counters of a running ingest (since start). */
export interface IngestStats extends BatcherCounters {
  /** MQTT messages received (valid or not, re-deliveries included). */
  received: number;
  /** Received but not yet committed (waiting for a batch or for the database to come back). */
  pending: number;
  /** PUBACKs sent (messages committed and acknowledged). */
  acknowledged: number;
  /** Committed messages whose PUBACK could not be sent because their connection had dropped. */
  ackDropped: number;
  /** Whether the MQTT client is connected right now. */
  connected: boolean;
}

/** A running ingest. */
export interface Ingest {
  /** The topic filters subscribed to (with the `$share/...` prefix where shared). */
  readonly subscriptions: readonly string[];
  /** The MQTT client id (= persistent session name) of this worker. */
  readonly clientId: string;
  /** A snapshot of the counters. */
  stats(): IngestStats;
  /** Whether the MQTT client is connected right now. */
  connected(): boolean;
  /** Resolves when every message received so far is committed (useful in tests and shutdown). */
  idle(): Promise<void>;
  /**
   * Stops taking messages, writes and acknowledges what is queued (retrying for up to
   * `timeoutMs`, default 10000), then disconnects. Messages not written by then stay
   * unacknowledged and come again with the next session. Idempotent.
   */
  close(timeoutMs?: number): Promise<void>;
}

/**
 * A stable MQTT client id for an ingest worker: `sightline-ingest-<host>` plus, when given, a
 * short hash of `scope` (e.g. the shared group and database), so two central deployments on one
 * host do not take over each other's session while each keeps its id across restarts. Several
 * workers of one deployment on one host need explicit ids (`SIGHTLINE_INGEST_ID`).
 */
export function defaultIngestClientId(scope?: string, host = hostname()): string {
  const name = host.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 40) || 'host';
  if (scope === undefined) return `sightline-ingest-${name}`;
  let hash = 0x811c9dc5; // FNV-1a, 32 bit: short and stable, not a security measure
  for (const char of Buffer.from(scope, 'utf8')) hash = Math.imul(hash ^ char, 0x01000193) >>> 0;
  return `sightline-ingest-${name}-${hash.toString(16).padStart(8, '0')}`;
}

/** Returned to mqtt.js's `handleMessage` callback so that it does not send its own PUBACK. */
const ACK_LATER = new Error('acknowledged by the ingest after the commit');

/**
 * Connects to the broker, subscribes (QoS 1) and starts storing device messages in `db`.
 *
 * @throws Error `cannot connect to the MQTT broker at <url>: <reason>` when the first connection
 *   fails or times out, or when the broker refuses a subscription. After a successful start,
 *   lost connections are retried every second for ever (`stats().connected` tells).
 */
export async function startIngest(db: Kysely<Database>, options: IngestOptions): Promise<Ingest> {
  const logger = options.logger;
  const protocolVersion = options.protocolVersion ?? 5;
  const group = options.sharedGroup === undefined ? DEFAULT_SHARED_GROUP : options.sharedGroup;
  const shared = protocolVersion === 5 && group !== null;
  const subscriptions = [
    ...SHARED_KINDS.map((kind) => (shared ? `$share/${group}/${allDevicesFilter(kind)}` : allDevicesFilter(kind))),
    shared ? `$share/${group}/${allDevicesEvidenceFilter()}` : allDevicesEvidenceFilter(),
    `${allDevicesFilter('status')}/#`, // status and status/info, plain: see the module comment
  ];
  const maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  const maxEvidenceBytes = options.maxEvidenceBytes ?? DEFAULT_MAX_EVIDENCE_BYTES;
  const sightings = { rules: options.rules ?? new CategoryRules(), evidenceStore: options.evidenceStore ?? new PostgresEvidenceStore() };
  const sessionExpiry = options.sessionExpirySeconds ?? DEFAULT_SESSION_EXPIRY_SECONDS;
  const clientId = options.clientId ?? defaultIngestClientId();
  const highWaterMark = options.batcher?.highWaterMark ?? DEFAULT_BATCHER_OPTIONS.highWaterMark;
  const onCommitted = options.onCommitted;

  const batcher = new Batcher(
    async (items) => {
      const outcome = await storeBatch(db, items, options.transactionWithCopy, sightings);
      if (onCommitted) {
        try {
          onCommitted(
            items.flatMap((i) => (i.kind === 'store' ? [i.record] : [])),
            new Date(),
          );
        } catch (error) {
          logger?.warn({ err: error }, 'onCommitted hook failed');
        }
      }
      return outcome;
    },
    options.batcher,
    logger,
  );
  let received = 0;
  let acknowledged = 0;
  let ackDropped = 0;
  let closing = false;

  const connectOptions: IClientOptions = {
    protocolVersion,
    clientId,
    clean: sessionExpiry === 0,
    reconnectPeriod: 1000,
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    resubscribe: true,
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
    ...(protocolVersion === 5
      ? { properties: { sessionExpiryInterval: sessionExpiry, receiveMaximum: Math.max(1, Math.min(65_535, highWaterMark)) } }
      : {}),
  };
  const client: MqttClient = connect(options.mqttUrl, connectOptions);

  // PUBACKs of a committed batch are gathered and written in one go (a batch has thousands).
  let ackStream: MqttClient['stream'] | undefined;
  let ackIds: number[] = [];
  const flushAcks = (): void => {
    const stream = ackStream;
    const ids = ackIds;
    ackStream = undefined;
    ackIds = [];
    if (!stream || ids.length === 0) return;
    if (client.stream !== stream || !client.connected || stream.destroyed) {
      ackDropped += ids.length; // the broker redelivers them on the new connection
      return;
    }
    // PUBACK: fixed header 0x40, remaining length 2, packet identifier. Valid for MQTT 3.1.1 and
    // 5 (reason code 0 = success and no properties may be omitted, MQTT 5 §3.4.2.1).
    const packets = Buffer.allocUnsafe(ids.length * 4);
    ids.forEach((id, i) => {
      packets[i * 4] = 0x40;
      packets[i * 4 + 1] = 0x02;
      packets.writeUInt16BE(id, i * 4 + 2);
    });
    stream.write(packets);
    acknowledged += ids.length;
  };
  /** Queues the PUBACK of `messageId` for the connection the message arrived on (see the module comment). */
  const acknowledge = (stream: MqttClient['stream'], messageId: number): void => {
    if (ackStream !== undefined && ackStream !== stream) flushAcks();
    if (ackIds.length === 0) queueMicrotask(flushAcks);
    ackStream = stream;
    ackIds.push(messageId);
  };

  const toItem = (packet: IPublishPacket): IngestItem => {
    const topic = packet.topic;
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const receivedAt = new Date();
    const retained = packet.retain;
    try {
      if (isEvidenceTopic(topic)) {
        const evidence = decodeEvidence(topic, payload, maxEvidenceBytes);
        if (evidence.ok) return { kind: 'store', topic, payload, receivedAt, retained, record: evidence.record };
        return { kind: 'dead-letter', topic, payload, receivedAt, retained, reason: evidence.reason, deviceId: evidence.deviceId };
      }
      const decoded = decodeDeviceMessage(topic, payload, maxPayloadBytes);
      if (decoded.ok === true) return { kind: 'store', topic, payload, receivedAt, retained, record: decoded.record };
      if (decoded.ok === 'skip') return { kind: 'skip', topic, payload, receivedAt, retained, reason: decoded.reason };
      logger?.debug({ topic, reason: decoded.reason }, 'message rejected');
      return { kind: 'dead-letter', topic, payload, receivedAt, retained, reason: decoded.reason, deviceId: decoded.deviceId };
    } catch (error) {
      return { kind: 'dead-letter', topic, payload, receivedAt, retained, reason: `ingest failed: ${String(error)}`, deviceId: null };
    }
  };

  client.handleMessage = (packet, callback) => {
    // Neither stored nor acknowledged while closing: the broker keeps it for the next session.
    if (closing) return callback(ACK_LATER);
    try {
      received += 1;
      const item = toItem(packet);
      const stream = client.stream;
      const messageId = packet.messageId;
      if (packet.qos > 0 && messageId !== undefined) item.ack = () => acknowledge(stream, messageId);
      if (!batcher.push(item)) logger?.warn({ topic: packet.topic }, 'message received while closing; left for redelivery');
    } catch (error) {
      logger?.error({ err: error, topic: packet.topic }, 'ingest message handler failed');
    }
    // Hold the next message while too much waits for the database, so the broker buffers
    // instead of this process.
    void batcher.waitForRoom().then(() => callback(ACK_LATER));
  };
  client.on('error', (error) => logger?.warn({ err: error }, 'MQTT client error'));
  client.on('offline', () => logger?.warn({ url: redact(options.mqttUrl) }, 'MQTT broker connection lost; reconnecting'));
  client.on('reconnect', () => logger?.debug('MQTT reconnecting'));
  client.on('disconnect', (packet) => {
    if (packet.reasonCode === 0x8e) {
      logger?.error({ clientId }, 'another process connected with this ingest client id and took over the session; give every worker its own SIGHTLINE_INGEST_ID');
    }
  });

  try {
    await firstConnection(client, options.connectTimeoutMs ?? 10_000);
    const granted = await client.subscribeAsync(Object.fromEntries(subscriptions.map((topic) => [topic, { qos: 1 as const }])));
    const refused = granted.find((g) => g.qos > 2);
    if (refused) throw new Error(`broker refused the subscription to ${refused.topic} (reason code ${refused.qos})`);
  } catch (error) {
    client.end(true);
    await batcher.close(0);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot connect to the MQTT broker at ${redact(options.mqttUrl)}: ${reason}`, { cause: error });
  }
  client.on('connect', (connack) => logger?.info({ subscriptions, sessionPresent: connack.sessionPresent }, 'MQTT reconnected'));
  logger?.info({ url: redact(options.mqttUrl), subscriptions, protocolVersion, clientId, sessionExpiry }, 'ingest subscribed');

  let closed: Promise<void> | undefined;
  return {
    subscriptions,
    clientId,
    stats: () => ({ ...batcher.counters, received, pending: batcher.pending, acknowledged, ackDropped, connected: client.connected }),
    connected: () => client.connected,
    idle: () => batcher.idle(),
    close: (timeoutMs = 10_000) =>
      (closed ??= (async () => {
        closing = true;
        await batcher.close(timeoutMs); // commits and acknowledges while still connected
        await Promise.race([client.endAsync(), delay(2000)]).catch(() => undefined);
        if (!client.disconnected) client.end(true);
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
