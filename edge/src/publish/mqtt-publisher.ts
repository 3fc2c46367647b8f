import mqtt, { type MqttClient } from 'mqtt';
import { deviceTopic, newId, type ObservationMessage } from '@sightline/contracts';
import { Sequence } from './sequence';

/** Options of {@link MqttPublisher}. */
export interface PublisherOptions {
  deviceId: string;
  /** Broker URL, e.g. `mqtt://127.0.0.1:1883` or `mqtts://broker:8883`. */
  mqttUrl: string;
  username?: string;
  password?: string;
  /** File keeping the device's message counter across restarts (see {@link Sequence}). */
  seqFile?: string;
  /** Metadata published retained on `.../status/info`. */
  info?: Record<string, unknown>;
}

/** An ObservationMessage before the publisher stamps it with `id`, `seq` and `deviceId`. */
export type ObservationDraft = Omit<ObservationMessage, 'schema' | 'id' | 'seq' | 'deviceId'>;

/**
 * The edge's single door to MQTT: every outbound message goes through here.
 *
 * - Client id `sightline-edge-<deviceId>`; QoS 1 for every message; mqtt.js reconnects every
 *   second and resends unacknowledged QoS 1 messages after a reconnect.
 * - Status (`sightline/v1/<deviceId>/status`, retained, QoS 1): `online` on every connect,
 *   `stopped` on {@link close}, and `offline` as Last Will for an unclean disconnect.
 *   Retained JSON metadata on `.../status/info`.
 * - Stamps each message with a UUIDv7 `id` and the device's monotonic `seq`.
 */
export class MqttPublisher {
  readonly client: MqttClient;
  readonly #options: PublisherOptions;
  readonly #sequence: Sequence;
  #published = 0;

  constructor(options: PublisherOptions) {
    this.#options = options;
    this.#sequence = new Sequence(options.seqFile);
    const statusTopic = deviceTopic(options.deviceId, 'status');
    this.client = mqtt.connect(options.mqttUrl, {
      clientId: `sightline-edge-${options.deviceId}`,
      username: options.username,
      password: options.password,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      will: { topic: statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    this.client.on('connect', () => {
      this.client.publish(statusTopic, 'online', { qos: 1, retain: true });
      this.client.publish(
        `${statusTopic}/info`,
        JSON.stringify({ deviceId: options.deviceId, startedAt: new Date().toISOString(), ...options.info }),
        { qos: 1, retain: true },
      );
    });
    // Errors (refused connection, broker gone) are retried by mqtt.js; never crash the agent.
    this.client.on('error', () => {});
  }

  /** Number of messages acknowledged by the broker so far. */
  get published(): number {
    return this.#published;
  }

  /** Resolves once connected to the broker; rejects after `timeoutMs` (default 10 s). */
  async waitConnected(timeoutMs = 10_000): Promise<void> {
    if (this.client.connected) return;
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
   * Publishes one frame's observations on `sightline/v1/<deviceId>/observations` (QoS 1) and
   * resolves when the broker acknowledged it (PUBACK).
   * @returns the message as sent.
   */
  async publishObservations(draft: ObservationDraft): Promise<ObservationMessage> {
    const message: ObservationMessage = {
      schema: 'sightline/v1/observations',
      id: newId(),
      seq: this.#sequence.take(),
      deviceId: this.#options.deviceId,
      ...draft,
    };
    await this.client.publishAsync(deviceTopic(this.#options.deviceId, 'observations'), JSON.stringify(message), { qos: 1 });
    this.#published += 1;
    return message;
  }

  /** Publishes retained `stopped` and disconnects cleanly (so the Last Will is not sent). */
  async close(): Promise<void> {
    if (this.client.connected) {
      await this.client
        .publishAsync(deviceTopic(this.#options.deviceId, 'status'), 'stopped', { qos: 1, retain: true })
        .catch(() => {});
    }
    await this.client.endAsync();
  }
}
