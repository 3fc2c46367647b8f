import type { DeviceState, ObservationMessage, StatsMessage, StatusInfoMessage, TrafficCountMessage } from '@sightline/contracts';
import type { EvidenceRecord } from '../evidence/decode';

/**
 * A checked device message, by topic kind:
 *
 * | topic (`sightline/v1/{deviceId}/...`) | record |
 * |---|---|
 * | `observations` | `observations`: an `ObservationMessage` |
 * | `traffic` | `traffic`: a `TrafficCountMessage` |
 * | `stats` | `stats`: a `StatsMessage` |
 * | `status` (plain text, retained) | `status`: `online` / `offline` / `stopped` |
 * | `status/info` (JSON, retained) | `status-info`: a `StatusInfoMessage` |
 * | `evidence/{observationId}` (JPEG bytes) | `evidence`: the bytes and their SHA-256 |
 */
export type DeviceRecord =
  | { kind: 'observations'; deviceId: string; message: ObservationMessage }
  | { kind: 'traffic'; deviceId: string; message: TrafficCountMessage }
  | { kind: 'stats'; deviceId: string; message: StatsMessage }
  | { kind: 'status'; deviceId: string; state: DeviceState }
  | { kind: 'status-info'; deviceId: string; message: StatusInfoMessage }
  | EvidenceRecord;

/** What every queued item carries besides its content. */
interface ItemBase {
  topic: string;
  /** The raw payload, kept in case the database rejects the message (it becomes the dead letter). */
  payload: Uint8Array;
  /** When the MQTT message arrived (becomes `received_at`; orders status messages). */
  receivedAt: Date;
  /**
   * True when the broker delivered a retained message because of a new subscription (not a live
   * publish): it updates state but does not count as the device being seen now.
   */
  retained?: boolean;
  /**
   * Sends the MQTT acknowledgement (PUBACK). The batcher calls it only after the item's batch has
   * committed, so a crash before the commit leaves the message with the broker for redelivery.
   * Absent for QoS 0 deliveries and in unit tests.
   */
  ack?: () => void;
}

/** A checked message waiting to be stored. */
export interface StoreItem extends ItemBase {
  kind: 'store';
  record: DeviceRecord;
}

/** A message that goes to `dead_letters`, with the reason. */
export interface DeadLetterItem extends ItemBase {
  kind: 'dead-letter';
  reason: string;
  /** Device id from the topic, when the topic had one. */
  deviceId: string | null;
}

/**
 * A message that needs no storing but must still be acknowledged in order, e.g. the empty
 * payload that clears a retained status topic.
 */
export interface SkipItem extends ItemBase {
  kind: 'skip';
  reason: string;
}

/** What the ingest queues for the database: one per received MQTT message. */
export type IngestItem = StoreItem | DeadLetterItem | SkipItem;

/** The `seq` of a record, for the kinds that carry one (one counter spans all of them). */
export function recordSeq(record: DeviceRecord): number | undefined {
  switch (record.kind) {
    case 'observations':
    case 'traffic':
    case 'stats':
      return record.message.seq;
    default:
      return undefined;
  }
}
