/**
 * The `devices` row of every device a batch has messages from: first seen, last seen, last seq.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import type { StoreItem } from './items';

/**
 * Upserts one row per device in `items` with a single statement. `last_seen` and `last_seq`
 * only move forward, so late or re-delivered messages never rewind them.
 * Rows are sorted by device id so concurrent workers lock them in the same order (no deadlocks).
 */
export async function upsertDevices(db: Kysely<Database>, items: readonly StoreItem[]): Promise<void> {
  const byDevice = new Map<string, { id: string; first_seen: Date; last_seen: Date; last_seq: number }>();
  for (const { message, receivedAt } of items) {
    const row = byDevice.get(message.deviceId);
    if (!row) {
      byDevice.set(message.deviceId, { id: message.deviceId, first_seen: receivedAt, last_seen: receivedAt, last_seq: message.seq });
      continue;
    }
    if (receivedAt < row.first_seen) row.first_seen = receivedAt;
    if (receivedAt > row.last_seen) row.last_seen = receivedAt;
    if (message.seq > row.last_seq) row.last_seq = message.seq;
  }
  if (byDevice.size === 0) return;
  const rows = [...byDevice.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  await db
    .insertInto('devices')
    .values(rows)
    .onConflict((oc) =>
      oc.column('id').doUpdateSet((eb) => ({
        last_seen: eb.fn<Date>('greatest', [eb.ref('devices.last_seen'), eb.ref('excluded.last_seen')]),
        last_seq: eb.fn<number>('greatest', [eb.ref('devices.last_seq'), eb.ref('excluded.last_seq')]),
      })),
    )
    .execute();
}
