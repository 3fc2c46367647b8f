/**
 * Traffic counts: a TrafficCountMessage (one line, one interval, crossings by class and
 * direction) adds its counts to `traffic_counts`, once per message id.
 *
 * How a re-delivered message is kept from counting twice: in the batch's transaction the message
 * ids go into `traffic_messages` with `ON CONFLICT (id) DO NOTHING ... RETURNING id`; only the
 * messages that insert returns (ids never stored before) add their counts, with an additive
 * upsert on the key (device, camera, line, interval start, class, direction). The id row and the
 * counts commit together or not at all, and a concurrent worker holding the same id waits on the
 * id's unique index, then finds it taken. Two different messages for the same interval (the
 * edge's late-count correction) both add.
 */
import type { TrafficCountMessage } from '@sightline/contracts';
import { sql, type Kysely } from 'kysely';
import type { Database, NewTrafficCountRow, NewTrafficMessageRow } from '../db/schema';

/** Rows per INSERT statement (9 parameters a row; far below PostgreSQL's 65535). */
const ROWS_PER_INSERT = 2000;

/** A traffic message with its receive time. */
export interface ReceivedTraffic {
  message: TrafficCountMessage;
  receivedAt: Date;
}

/** What {@link storeTraffic} wrote. */
export interface TrafficOutcome {
  /** Messages whose id was new (their counts were added). */
  messagesInserted: number;
  /** Count rows inserted or added to. */
  countRowsUpserted: number;
}

/**
 * Stores traffic messages idempotently (see the module comment). Run it inside the batch's
 * transaction. Messages repeated within `items` count once.
 */
export async function storeTraffic(db: Kysely<Database>, items: readonly ReceivedTraffic[]): Promise<TrafficOutcome> {
  if (items.length === 0) return { messagesInserted: 0, countRowsUpserted: 0 };
  const unique = [...new Map(items.map((i) => [i.message.id, i])).values()].sort((a, b) => compare(a.message.id, b.message.id));

  const fresh = new Set<string>();
  for (let start = 0; start < unique.length; start += ROWS_PER_INSERT) {
    const rows: NewTrafficMessageRow[] = unique.slice(start, start + ROWS_PER_INSERT).map(({ message, receivedAt }) => ({
      id: message.id,
      seq: message.seq,
      device_id: message.deviceId,
      camera_id: message.cameraId,
      line_id: message.lineId,
      interval_start: new Date(message.intervalStart),
      interval_seconds: message.intervalSeconds,
      received_at: receivedAt,
    }));
    const inserted = await db
      .insertInto('traffic_messages')
      .values(rows)
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .execute();
    for (const row of inserted) fresh.add(row.id);
  }

  // Sum the new messages' counts per key (a message may list a class/direction twice).
  const sums = new Map<string, NewTrafficCountRow & { count: number }>();
  for (const { message } of unique) {
    if (!fresh.has(message.id)) continue;
    const intervalStart = new Date(message.intervalStart);
    for (const c of message.counts) {
      const key = JSON.stringify([message.deviceId, message.cameraId, message.lineId, intervalStart.getTime(), c.label, c.direction]);
      const row = sums.get(key);
      if (row) {
        row.count += c.count;
        row.interval_seconds = message.intervalSeconds;
      } else {
        sums.set(key, {
          device_id: message.deviceId,
          camera_id: message.cameraId,
          line_id: message.lineId,
          interval_start: intervalStart,
          label: c.label,
          direction: c.direction,
          interval_seconds: message.intervalSeconds,
          count: c.count,
        });
      }
    }
  }
  // Key order = lock order, so concurrent workers adding to the same keys cannot deadlock.
  const rows = [...sums.entries()].sort(([a], [b]) => compare(a, b)).map(([, row]) => row);
  for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
    await db
      .insertInto('traffic_counts')
      .values(rows.slice(start, start + ROWS_PER_INSERT))
      .onConflict((oc) =>
        oc.columns(['device_id', 'camera_id', 'line_id', 'interval_start', 'label', 'direction']).doUpdateSet((eb) => ({
          count: eb('traffic_counts.count', '+', eb.ref('excluded.count')),
          interval_seconds: eb.ref('excluded.interval_seconds'),
          updated_at: sql<Date>`now()`,
        })),
      )
      .execute();
  }
  return { messagesInserted: fresh.size, countRowsUpserted: rows.length };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
