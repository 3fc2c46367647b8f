/**
 * The `devices` rows of a batch: when each device was seen, its highest seq and the gaps below
 * it (`device_seq_gaps`), its state from the status topic, what it runs (status/info) and its
 * latest stats.
 *
 * Concurrency: several ingest workers may hold messages of the same device at once. Each batch
 * first upserts its devices' rows in id order, which locks them until the batch commits, and only
 * then reads and changes the device's state and gaps, so two workers never compute gaps from the
 * same stale `last_seq`. The per-device decisions are "newest wins":
 *
 * - `state`: the status message received last (receive time, `status_at`) wins; `state_changed_at`
 *   moves only when the state actually changes. Every worker receives every status message (a
 *   plain subscription, see the ingest), so the same message is applied by each; the guard
 *   makes that harmless.
 * - `status/info`: the one received last wins (`info_at`).
 * - stats: the one with the latest `sentAt` wins.
 * - `last_seen`: the latest receive time of a live message (retained replays do not count).
 */
import type { StatsMessage, StatusInfoMessage } from '@sightline/contracts';
import { sql, type Kysely, type Updateable } from 'kysely';
import type { Database, DevicesTable, DeviceStateText, StoredStats } from '../db/schema';
import { recordSeq, type StoreItem } from './items';
import { advanceSeq, fillGaps, missingCount, type SeqRange } from './seq-gaps';

/** What one batch says about one device. */
interface DeviceBatch {
  id: string;
  /** Earliest receive time in the batch (first_seen of a new device). */
  firstSeen: Date;
  /** Latest receive time of a live (not retained-replay) message, if any. */
  liveSeen: Date | null;
  seqs: number[];
  status: { state: DeviceStateText; at: Date } | null;
  info: { message: StatusInfoMessage; at: Date } | null;
  stats: { message: StatsMessage; sentAt: Date } | null;
}

/** What the batch changed for its devices, for counters and logs. */
export interface DevicesOutcome {
  /** Devices whose row was created by this batch. */
  created: number;
  /** Seq values newly found missing (new gaps) in this batch. */
  missingOpened: number;
  /** Missing seq values that arrived late in this batch. */
  missingFilled: number;
}

/**
 * Applies a batch's messages to `devices` and `device_seq_gaps`. Run it inside the batch's
 * transaction, after the data inserts (the row locks it takes are held to the commit).
 */
export async function updateDevices(db: Kysely<Database>, items: readonly StoreItem[]): Promise<DevicesOutcome> {
  const batches = groupByDevice(items);
  const outcome: DevicesOutcome = { created: 0, missingOpened: 0, missingFilled: 0 };
  if (batches.length === 0) return outcome;

  // Lock (creating where new) every device row of the batch, in id order, and read it.
  const rows = await db
    .insertInto('devices')
    .values(batches.map((b) => ({ id: b.id, first_seen: b.firstSeen, last_seen: b.liveSeen ?? b.firstSeen })))
    .onConflict((oc) =>
      oc.column('id').doUpdateSet((eb) => ({ first_seen: eb.fn<Date>('least', [eb.ref('devices.first_seen'), eb.ref('excluded.first_seen')]) })),
    )
    .returning(['id', 'last_seen', 'last_seq', 'state', 'status_at', 'info_at', 'stats_sent_at', 'seq_missing', 'seq_gaps', sql<boolean>`(xmax = 0)`.as('inserted')])
    .execute();
  const current = new Map(rows.map((r) => [r.id, r]));

  for (const batch of batches) {
    const row = current.get(batch.id);
    if (!row) continue; // cannot happen: the upsert returns every row
    if (row.inserted) outcome.created += 1;
    const now = batch.liveSeen ?? batch.firstSeen;

    // Seq bookkeeping: new gaps above the old highest seq, late seqs filling old gaps.
    const advance = advanceSeq(row.last_seq, batch.seqs);
    let missingDelta = missingCount(advance.newGaps);
    let gapsDelta = advance.newGaps.length;
    outcome.missingOpened += missingDelta;
    if (advance.late.length > 0 && row.seq_gaps > 0) {
      const filled = await fillLateSeqs(db, batch.id, advance.late);
      missingDelta -= filled.filled;
      gapsDelta += filled.gapsDelta;
      outcome.missingFilled += filled.filled;
    }
    if (advance.newGaps.length > 0) {
      await db
        .insertInto('device_seq_gaps')
        .values(advance.newGaps.map((g) => ({ device_id: batch.id, first_seq: g.first, last_seq: g.last, detected_at: now })))
        .execute();
    }

    const update: Updateable<DevicesTable> = {};
    if (batch.liveSeen && !row.inserted && batch.liveSeen > row.last_seen) update.last_seen = batch.liveSeen;
    if (advance.lastSeq !== row.last_seq) update.last_seq = advance.lastSeq;
    if (missingDelta !== 0) update.seq_missing = row.seq_missing + missingDelta;
    if (gapsDelta !== 0) update.seq_gaps = row.seq_gaps + gapsDelta;
    if (batch.status && (row.status_at === null || batch.status.at >= row.status_at)) {
      update.status_at = batch.status.at;
      if (row.state !== batch.status.state) {
        update.state = batch.status.state;
        update.state_changed_at = batch.status.at;
      }
    }
    if (batch.info && (row.info_at === null || batch.info.at >= row.info_at)) {
      const info = batch.info.message;
      update.info_at = batch.info.at;
      update.software_name = info.software?.name ?? null;
      update.software_version = info.software?.version ?? null;
      update.model = info.model ?? null;
      update.cameras = JSON.stringify(info.cameras ?? []);
      update.started_at = info.startedAt;
    }
    if (batch.stats && (row.stats_sent_at === null || batch.stats.sentAt >= row.stats_sent_at)) {
      update.stats = JSON.stringify(storedStats(batch.stats.message));
      update.stats_sent_at = batch.stats.sentAt;
    }
    if (Object.keys(update).length > 0) await db.updateTable('devices').set(update).where('id', '=', batch.id).execute();
  }
  return outcome;
}

/** Removes late seqs from the device's stored gaps; returns how many were filled and the change in gap rows. */
async function fillLateSeqs(db: Kysely<Database>, deviceId: string, late: readonly number[]): Promise<{ filled: number; gapsDelta: number }> {
  const lowest = late[0]!;
  const highest = late[late.length - 1]!;
  const touched = await db
    .selectFrom('device_seq_gaps')
    .select(['first_seq', 'last_seq', 'detected_at'])
    .where('device_id', '=', deviceId)
    .where('first_seq', '<=', highest)
    .where('last_seq', '>=', lowest)
    .orderBy('first_seq')
    .execute();
  if (touched.length === 0) return { filled: 0, gapsDelta: 0 };
  const ranges: SeqRange[] = touched.map((g) => ({ first: g.first_seq, last: g.last_seq }));
  const { remaining, filled } = fillGaps(ranges, late);
  if (filled === 0) return { filled: 0, gapsDelta: 0 };
  await db
    .deleteFrom('device_seq_gaps')
    .where('device_id', '=', deviceId)
    .where(
      'first_seq',
      'in',
      touched.map((g) => g.first_seq),
    )
    .execute();
  if (remaining.length > 0) {
    // A split range keeps the detection time of the gap it came from.
    const detectedAt = (seq: number) => touched.find((g) => g.first_seq <= seq && seq <= g.last_seq)!.detected_at;
    await db
      .insertInto('device_seq_gaps')
      .values(remaining.map((r) => ({ device_id: deviceId, first_seq: r.first, last_seq: r.last, detected_at: detectedAt(r.first) })))
      .execute();
  }
  return { filled, gapsDelta: remaining.length - touched.length };
}

/** Groups the batch's store items by device, sorted by device id (the lock order). */
function groupByDevice(items: readonly StoreItem[]): DeviceBatch[] {
  const byDevice = new Map<string, DeviceBatch>();
  for (const item of items) {
    const { record, receivedAt } = item;
    let batch = byDevice.get(record.deviceId);
    if (!batch) {
      batch = { id: record.deviceId, firstSeen: receivedAt, liveSeen: null, seqs: [], status: null, info: null, stats: null };
      byDevice.set(record.deviceId, batch);
    }
    if (receivedAt < batch.firstSeen) batch.firstSeen = receivedAt;
    if (!item.retained && (batch.liveSeen === null || receivedAt > batch.liveSeen)) batch.liveSeen = receivedAt;
    const seq = recordSeq(record);
    if (seq !== undefined) batch.seqs.push(seq);
    switch (record.kind) {
      case 'status':
        // Later in the batch = received later (the queue keeps arrival order).
        if (batch.status === null || receivedAt >= batch.status.at) batch.status = { state: record.state, at: receivedAt };
        break;
      case 'status-info':
        if (batch.info === null || receivedAt >= batch.info.at) batch.info = { message: record.message, at: receivedAt };
        break;
      case 'stats': {
        const sentAt = new Date(record.message.sentAt);
        if (batch.stats === null || sentAt >= batch.stats.sentAt) batch.stats = { message: record.message, sentAt };
        break;
      }
      default:
        break;
    }
  }
  return [...byDevice.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The stats as stored in `devices.stats`: the message without its `schema` and `deviceId`. */
function storedStats(message: StatsMessage): StoredStats {
  const { id, seq, sentAt, startedAt, frames, fps, inferenceMs, spool, reconnects } = message;
  return { id, seq, sentAt, startedAt, frames, fps, inferenceMs, spool, reconnects };
}
