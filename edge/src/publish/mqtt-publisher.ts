import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import {
  deviceTopic,
  evidenceTopic,
  type ObservationMessage,
  type StatsMessage,
  type StatusInfoMessage,
  type TopicKind,
  type TrafficCountMessage,
} from '@sightline/contracts';
import { Spool, type SpoolStats } from './spool';

/** Default number of spooled messages on the wire awaiting their PUBACK at once. */
export const DEFAULT_IN_FLIGHT_WINDOW = 100;

/** Default MQTT 5 session expiry: the broker keeps the device's session for 7 days offline. */
export const DEFAULT_SESSION_EXPIRY_SECONDS = 7 * 24 * 3600;

/** Options of {@link MqttPublisher}. */
export interface PublisherOptions {
  deviceId: string;
  /** Broker URL, e.g. `mqtt://127.0.0.1:1883` or `mqtts://broker:8883`. */
  mqttUrl: string;
  username?: string;
  password?: string;
  /** 4 = MQTT 3.1.1 (default: every broker speaks it), 5 = MQTT 5. */
  protocolVersion?: 4 | 5;
  /**
   * MQTT 5 only: how long the broker keeps the persistent session after a disconnect, seconds;
   * default {@link DEFAULT_SESSION_EXPIRY_SECONDS}. (3.1.1 sessions last until the broker drops them.)
   */
  sessionExpirySeconds?: number;
  /** SQLite file of the outbox spool (see {@link Spool}); `':memory:'` for tests only. */
  spoolFile: string;
  /** Bound of the spool in bytes; default 256 MiB. */
  spoolMaxBytes?: number;
  /** Spooled messages on the wire awaiting PUBACK at once; default {@link DEFAULT_IN_FLIGHT_WINDOW}. */
  inFlightWindow?: number;
  /** Delay between reconnect attempts, ms; default 1000. */
  reconnectPeriodMs?: number;
  /** When the agent started (UTC ISO 8601), for `status/info`; default: when the publisher was made. */
  startedAt?: string;
  /** What the device runs, published retained on `.../status/info` with the software version. */
  info?: Pick<StatusInfoMessage, 'model' | 'cameras'>;
  /** Connection events and spool drops are logged here; default: silent. */
  logger?: Logger;
}

/** An ObservationMessage before the spool stamps it with `id` and `seq` and the publisher with `deviceId`. */
export type ObservationDraft = Omit<ObservationMessage, 'schema' | 'id' | 'seq' | 'deviceId'>;

/** A TrafficCountMessage without the fields the publisher stamps. */
export type TrafficDraft = Omit<TrafficCountMessage, 'schema' | 'id' | 'seq' | 'deviceId'>;

/** A StatsMessage without the fields the publisher stamps. */
export type StatsDraft = Omit<StatsMessage, 'schema' | 'id' | 'seq' | 'deviceId'>;

/** Name and version of the edge agent, from `edge/package.json`. */
export const EDGE_SOFTWARE: { name: string; version: string } = (() => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
  return { name: pkg.name, version: pkg.version };
})();

/** In-flight slots left free under an MQTT 5 broker's Receive Maximum for non-spooled publishes (status, status/info, evidence). */
const RECEIVE_MAXIMUM_RESERVE = 3;

/** MQTT 5 PUBACK reason codes that mean "never", not "not now": not authorised, bad topic, too large, bad payload. */
const PERMANENT_REJECTIONS = new Set([0x87, 0x90, 0x95, 0x99]);

/**
 * The edge's single door to MQTT: every outbound message goes through here, and through the
 * on-disk {@link Spool} first.
 *
 * ```
 * publishObservations / publishTraffic / publishStats
 *   └─▶ spool (durable; stamps id + seq) ─▶ drain: ≤ window in flight, in seq order ─▶ broker
 *                         ▲                                                            │
 *                         └──────────── delete on PUBACK ◀─────────────────────────────┘
 * ```
 *
 * - **At least once.** `publish*` resolves when the message is durably spooled, not when the
 *   broker has it; it leaves the spool only on PUBACK. After a disconnect the drain restarts from
 *   the oldest unacknowledged message, so a message may reach the broker twice; the central side
 *   is idempotent by `id`. mqtt.js's own in-memory copies are discarded on disconnect: the spool
 *   is the only source of truth, which is also what survives a crash or power cut.
 * - **Session.** Client id `sightline-edge-<deviceId>`, `clean: false` (with a session expiry
 *   under MQTT 5), QoS 1 everywhere, reconnect every `reconnectPeriodMs`. mqtt.js resubscribes
 *   when the broker lost the session (the edge subscribes to nothing today).
 * - **Status** (`sightline/v1/<deviceId>/status`, retained, QoS 1, not spooled): `online` on every
 *   connect, `stopped` on {@link close}, `offline` as Last Will. Retained `StatusInfoMessage` JSON
 *   on `.../status/info` on every connect.
 * - **Rejections.** An MQTT 5 PUBACK with a permanent error (not authorised, bad topic, too
 *   large, bad payload) removes the message from the spool, logs an error and counts it in
 *   {@link MqttPublisher.rejected}; other errors leave it for the next connection.
 *
 * @example
 * const publisher = new MqttPublisher({ deviceId: 'pole-17', mqttUrl: 'mqtt://broker:1883', spoolFile: '/var/lib/sightline/spool.sqlite' });
 * await publisher.publishObservations(draft); // durable from here on, even if the broker is down
 * await publisher.close();                   // waits (bounded) for the spool to drain, then `stopped`
 */
export class MqttPublisher {
  readonly client: MqttClient;
  readonly #options: PublisherOptions;
  readonly #spool: Spool;
  readonly #window: number;
  readonly #log: Logger | undefined;
  readonly #statusTopic: string;
  readonly #startedAt: string;

  /** True between `connect` and `close` events: the drain may publish. */
  #online = false;
  #closing = false;
  /** Bumped on every connect and disconnect; callbacks of an older connection touch no drain state. */
  #generation = 0;
  /** Highest seq handed to mqtt.js on this connection; the next peek starts after it. */
  #cursor = -1;
  readonly #inFlight = new Set<number>();
  /**
   * Window for this connection: ours, or (MQTT 5) the broker's Receive Maximum less
   * {@link RECEIVE_MAXIMUM_RESERVE} if smaller, so status and evidence publishes stay within it.
   */
  #connectionWindow: number;
  readonly #pendingAcks: number[] = [];
  #ackScheduled = false;
  readonly #flushWaiters = new Set<() => void>();
  #connects = 0;
  #acknowledged = 0;
  #rejected = 0;
  #lastDropWarning = 0;
  /** Evidence publishes run one after the other (see {@link publishEvidence}). */
  #evidenceChain: Promise<boolean> = Promise.resolve(true);

  /**
   * Opens the spool and starts connecting (in the background; use {@link waitConnected} to wait).
   * @throws Error when the spool cannot be opened (see {@link Spool.open}).
   */
  constructor(options: PublisherOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#startedAt = options.startedAt ?? new Date().toISOString();
    this.#window = Math.max(1, options.inFlightWindow ?? DEFAULT_IN_FLIGHT_WINDOW);
    this.#connectionWindow = this.#window;
    this.#spool = Spool.open(options.spoolFile, { maxBytes: options.spoolMaxBytes });
    this.#statusTopic = deviceTopic(options.deviceId, 'status');
    const protocolVersion = options.protocolVersion ?? 4;
    const clientOptions: IClientOptions = {
      clientId: `sightline-edge-${options.deviceId}`,
      username: options.username,
      password: options.password,
      protocolVersion,
      clean: false,
      resubscribe: true,
      reconnectPeriod: options.reconnectPeriodMs ?? 1000,
      connectTimeout: 10_000,
      will: { topic: this.#statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
    };
    if (protocolVersion === 5) {
      clientOptions.properties = { sessionExpiryInterval: options.sessionExpirySeconds ?? DEFAULT_SESSION_EXPIRY_SECONDS };
    }
    this.client = mqtt.connect(options.mqttUrl, clientOptions);
    this.client.on('connect', (connack) => {
      this.#connects += 1;
      this.#online = true;
      this.#generation += 1;
      this.#cursor = -1;
      this.#inFlight.clear();
      const receiveMaximum = connack.properties?.receiveMaximum;
      this.#connectionWindow = receiveMaximum === undefined ? this.#window : Math.min(this.#window, Math.max(1, receiveMaximum - RECEIVE_MAXIMUM_RESERVE));
      this.#log?.info(
        { mqtt: options.mqttUrl, sessionPresent: connack.sessionPresent, spool: this.spoolStats },
        this.#connects === 1 ? 'mqtt connected' : 'mqtt reconnected',
      );
      this.client.publish(this.#statusTopic, 'online', { qos: 1, retain: true });
      this.client.publish(`${this.#statusTopic}/info`, JSON.stringify(this.statusInfo), { qos: 1, retain: true });
      this.#pump();
    });
    this.client.on('close', () => {
      if (!this.#online) return;
      this.#online = false;
      this.#generation += 1;
      this.#inFlight.clear();
      this.#discardClientCopies();
      if (this.#closing) this.#log?.info({ mqtt: options.mqttUrl, spool: this.spoolStats }, 'mqtt disconnected');
      else this.#log?.warn({ mqtt: options.mqttUrl, spool: this.spoolStats }, 'mqtt connection lost; spooling');
    });
    // Errors (refused connection, broker gone) are retried by mqtt.js; never crash the agent.
    this.client.on('error', (err) => this.#log?.debug({ err: err.message }, 'mqtt error'));
  }

  /** The retained `status/info` payload: device, start time, software, model and cameras. */
  get statusInfo(): StatusInfoMessage {
    return { deviceId: this.#options.deviceId, startedAt: this.#startedAt, software: EDGE_SOFTWARE, ...this.#options.info };
  }

  /** Spooled messages removed by a broker acknowledgement since the publisher started (a redelivered one counts once). */
  get acknowledged(): number {
    return this.#acknowledged;
  }

  /** Messages the broker refused for good (MQTT 5 PUBACK error; see the class notes), removed from the spool. */
  get rejected(): number {
    return this.#rejected;
  }

  /** Times the connection was re-established after it had been up (0 while it never dropped). */
  get reconnects(): number {
    return Math.max(0, this.#connects - 1);
  }

  /** The spool's counters: depth and bytes awaiting PUBACK, drops since the spool was created. */
  get spoolStats(): SpoolStats {
    return this.#spool.stats;
  }

  /** Whether the broker connection is up. */
  get connected(): boolean {
    return this.#online;
  }

  /**
   * Resolves once connected to the broker.
   * @throws Error naming the broker after `timeoutMs` (default 10 s).
   */
  async waitConnected(timeoutMs = 10_000): Promise<void> {
    if (this.#online) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.client.off('connect', onConnect);
        reject(new Error(`MQTT broker ${this.#options.mqttUrl} did not accept a connection within ${timeoutMs} ms`));
      }, timeoutMs);
      const onConnect = () => {
        clearTimeout(timer);
        resolve();
      };
      this.client.once('connect', onConnect);
    });
  }

  /**
   * Spools one frame's observations for `sightline/v1/<deviceId>/observations`.
   * Resolves when the message is durably on disk (not when the broker has it; see {@link flush}).
   * @returns the message as it will be sent (with `id` and `seq`).
   * @throws RangeError when the message is larger than the whole spool.
   */
  async publishObservations(draft: ObservationDraft): Promise<ObservationMessage> {
    return this.#enqueue('observations', (stamp) => ({
      schema: 'sightline/v1/observations',
      ...stamp,
      deviceId: this.#options.deviceId,
      ...draft,
    }));
  }

  /** Spools one traffic count for `.../traffic`; resolves when durable, like {@link publishObservations}. */
  async publishTraffic(draft: TrafficDraft): Promise<TrafficCountMessage> {
    return this.#enqueue('traffic', (stamp) => ({
      schema: 'sightline/v1/traffic',
      ...stamp,
      deviceId: this.#options.deviceId,
      ...draft,
    }));
  }

  /** Spools one health report for `.../stats`; resolves when durable, like {@link publishObservations}. */
  async publishStats(draft: StatsDraft): Promise<StatsMessage> {
    return this.#enqueue('stats', (stamp) => ({
      schema: 'sightline/v1/stats',
      ...stamp,
      deviceId: this.#options.deviceId,
      ...draft,
    }));
  }

  /**
   * Publishes a redacted evidence JPEG (raw bytes, QoS 1) on
   * `sightline/v1/<deviceId>/evidence/<observationId>` and resolves when the broker acknowledged it.
   *
   * Best effort, **not spooled**: the spool is JSON with the device `seq` (evidence would open false
   * seq gaps at the central side), and 50–200 KB blobs would push observations out of a bounded
   * spool during an outage. So when the broker is not connected the evidence is skipped (`false`),
   * and its observation (which announces it in `evidence`) still goes through the spool. One evidence
   * message is on the wire at a time, which keeps within an MQTT 5 broker's Receive Maximum.
   *
   * @returns `true` on PUBACK; `false` when not connected, closing, or the publish failed.
   * @throws Error when `observationId` is not a UUID (it becomes a topic level).
   */
  async publishEvidence(observationId: string, jpeg: Buffer): Promise<boolean> {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(observationId)) {
      throw new Error(`evidence: observation id "${observationId}" is not a UUID`);
    }
    const send = async (): Promise<boolean> => {
      if (this.#closing || !this.#online) return false;
      try {
        await this.client.publishAsync(evidenceTopic(this.#options.deviceId, observationId), jpeg, { qos: 1 });
        return true;
      } catch (err) {
        this.#log?.warn({ observationId, bytes: jpeg.length, err: (err as Error).message }, 'evidence not published');
        return false;
      }
    };
    const result = this.#evidenceChain.then(send, send);
    this.#evidenceChain = result;
    return result;
  }

  /**
   * Resolves when every spooled message has been acknowledged by the broker.
   * @throws Error after `timeoutMs` (default 30 s) naming how many messages are still spooled;
   *   they stay in the spool and are sent on the next connection (or the next start).
   */
  async flush(timeoutMs = 30_000): Promise<void> {
    if (this.#drained()) return;
    await new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.#flushWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#flushWaiters.delete(done);
        const state = this.#online ? 'connected' : 'not connected';
        reject(new Error(`${this.#spool.stats.depth} messages still spooled after ${timeoutMs} ms (broker ${this.#options.mqttUrl}, ${state})`));
      }, timeoutMs);
      this.#flushWaiters.add(done);
    });
  }

  /**
   * Clean shutdown: waits up to `flushTimeoutMs` (default 10 s) for the spool to drain, publishes
   * retained `stopped`, disconnects (so the Last Will is not sent) and closes the spool.
   * Messages still spooled stay on disk for the next start.
   * @returns how many messages were left in the spool.
   */
  async close(flushTimeoutMs = 10_000): Promise<{ unsent: number }> {
    await this.flush(flushTimeoutMs).catch(() => {});
    this.#closing = true;
    if (this.#online) {
      const stopped = this.client.publishAsync(this.#statusTopic, 'stopped', { qos: 1, retain: true }).catch(() => {});
      await Promise.race([stopped, new Promise((r) => setTimeout(r, 2000).unref())]);
    }
    // What is still in flight is in the spool; mqtt.js must not wait for it.
    this.#discardClientCopies();
    await this.client.endAsync();
    this.#commitAcks();
    const unsent = this.#spool.stats.depth;
    this.#spool.close();
    if (unsent > 0) this.#log?.warn({ unsent, spoolFile: this.#options.spoolFile }, 'messages left in the spool for the next start');
    return { unsent };
  }

  #enqueue<T>(kind: TopicKind, build: (stamp: { id: string; seq: number }) => T): T {
    if (this.#closing) throw new Error(`publisher of ${this.#options.deviceId} is closed`);
    const droppedBefore = this.#spool.stats.dropped;
    const message = this.#spool.enqueue(deviceTopic(this.#options.deviceId, kind), build);
    const { dropped } = this.#spool.stats;
    if (dropped > droppedBefore && Date.now() - this.#lastDropWarning > 60_000) {
      this.#lastDropWarning = Date.now();
      this.#log?.warn({ dropped, spool: this.#spool.stats, maxBytes: this.#spool.maxBytes }, 'spool full: dropping the oldest messages');
    }
    this.#pump();
    return message;
  }

  /** Sends spooled messages after the cursor until the window is full. */
  #pump(): void {
    if (!this.#online) return;
    while (this.#inFlight.size < this.#connectionWindow) {
      const batch = this.#spool.peek(this.#cursor, this.#connectionWindow - this.#inFlight.size);
      if (batch.length === 0) return;
      const generation = this.#generation;
      for (const message of batch) {
        this.#cursor = message.seq;
        this.#inFlight.add(message.seq);
        this.client.publish(message.topic, message.payload, { qos: 1 }, (err) => this.#onPuback(generation, message.seq, err));
      }
    }
  }

  #onPuback(generation: number, seq: number, err: Error | undefined): void {
    const code = (err as (Error & { code?: number }) | undefined)?.code;
    if (!err) {
      this.#pendingAcks.push(seq);
      this.#scheduleAckCommit();
    } else if (code !== undefined && PERMANENT_REJECTIONS.has(code)) {
      this.#log?.error({ seq, err: err.message }, 'broker rejected a message for good; removing it from the spool');
      this.#rejected += this.#spool.ack([seq]);
      this.#resolveFlushWaiters();
    }
    if (generation !== this.#generation) return; // a callback from a connection that is gone
    this.#inFlight.delete(seq);
    this.#pump();
  }

  #scheduleAckCommit(): void {
    if (this.#ackScheduled) return;
    this.#ackScheduled = true;
    // Every PUBACK that arrived in this turn of the event loop goes into one commit (one fsync).
    setImmediate(() => this.#commitAcks());
  }

  #commitAcks(): void {
    this.#ackScheduled = false;
    if (this.#pendingAcks.length === 0) return;
    const seqs = this.#pendingAcks.splice(0);
    this.#acknowledged += this.#spool.ack(seqs);
    this.#resolveFlushWaiters();
  }

  #drained(): boolean {
    return this.#spool.stats.depth === 0 && this.#pendingAcks.length === 0;
  }

  #resolveFlushWaiters(): void {
    if (!this.#drained()) return;
    for (const done of [...this.#flushWaiters]) done();
  }

  /** Drops mqtt.js's in-memory copies of unacknowledged messages (their callbacks get an error). */
  #discardClientCopies(): void {
    for (const id of Object.keys(this.client.outgoing)) this.client.removeOutgoingMessage(Number(id));
  }
}
