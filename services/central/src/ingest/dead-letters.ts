/**
 * The dead letter writer: messages the ingest cannot store go to `dead_letters` with a reason,
 * so nothing received is dropped silently and operators can see what a device sent.
 */
import type { Kysely } from 'kysely';
import type { Database, NewDeadLetterRow } from '../db/schema';
import type { DeadLetterItem, StoreItem } from './items';

/** Bytes of payload kept per dead letter (64 KiB); an oversized message keeps only its head. */
export const DEAD_LETTER_PAYLOAD_LIMIT = 64 * 1024;

/** Turns a message the database refused into a dead letter carrying the refusal as reason. */
export function rejectStoreItem(item: StoreItem, reason: string): DeadLetterItem {
  return {
    kind: 'dead-letter',
    topic: item.topic,
    payload: item.payload,
    receivedAt: item.receivedAt,
    ...(item.retained !== undefined ? { retained: item.retained } : {}),
    ...(item.ack ? { ack: item.ack } : {}),
    reason,
    deviceId: item.record.deviceId,
  };
}

/** The `dead_letters` row for an item: payload truncated, NUL characters (invalid in text) replaced. */
export function deadLetterRow(item: DeadLetterItem): NewDeadLetterRow {
  const payload =
    item.payload.byteLength > DEAD_LETTER_PAYLOAD_LIMIT ? item.payload.subarray(0, DEAD_LETTER_PAYLOAD_LIMIT) : item.payload;
  return {
    received_at: item.receivedAt,
    topic: textSafe(item.topic),
    payload,
    reason: textSafe(item.reason),
    device_id: item.deviceId === null ? null : textSafe(item.deviceId),
  };
}

/**
 * Inserts dead letters with one multi-row INSERT (run it inside the batch's transaction).
 * @returns number of rows inserted.
 */
export async function insertDeadLetters(db: Kysely<Database>, items: readonly DeadLetterItem[]): Promise<number> {
  if (items.length === 0) return 0;
  await db.insertInto('dead_letters').values(items.map(deadLetterRow)).execute();
  return items.length;
}

function textSafe(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text;
}
