import type { ObservationMessage } from '@sightline/contracts';

/** A checked message waiting to be stored. `payload` is kept in case the database rejects it. */
export interface StoreItem {
  kind: 'store';
  topic: string;
  payload: Uint8Array;
  /** When the MQTT message arrived (becomes `received_at`). */
  receivedAt: Date;
  message: ObservationMessage;
}

/** A message that goes to `dead_letters`, with the reason. */
export interface DeadLetterItem {
  kind: 'dead-letter';
  topic: string;
  payload: Uint8Array;
  receivedAt: Date;
  reason: string;
  /** Device id from the topic, when the topic had one. */
  deviceId: string | null;
}

/** What the ingest queues for the database: one per received MQTT message. */
export type IngestItem = StoreItem | DeadLetterItem;
