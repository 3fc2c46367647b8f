/**
 * One batch, one transaction: everything a batch of received messages writes, all or nothing.
 *
 * Order inside the transaction (the same in every worker, each step in key order, so concurrent
 * workers take row locks in one global order and cannot deadlock): observations → evidence and
 * incidents (category advisory locks in name order, see `sightings.ts`) → traffic → devices
 * (state, seq gaps) → dead letters.
 */
import type { Kysely } from 'kysely';
import type { TransactionWithCopy } from '../db/connect';
import type { Database } from '../db/schema';
import { insertDeadLetters } from './dead-letters';
import { updateDevices } from './devices';
import type { DeadLetterItem, IngestItem, StoreItem } from './items';
import { insertObservations, type ReceivedObservations } from './observations';
import { storeSightings, type SightingOptions } from './sightings';
import { storeTraffic, type ReceivedTraffic } from './traffic';

/** What one committed batch wrote. */
export interface BatchOutcome {
  /** Device messages committed, of every kind (re-deliveries included). */
  messagesStored: number;
  /** Observation rows newly inserted (re-delivered ids excluded). */
  observationsInserted: number;
  /** Traffic messages whose counts were added (re-delivered ids excluded). */
  trafficMessagesInserted: number;
  /** Dead letters inserted. */
  deadLettersStored: number;
}

/**
 * Writes a batch of ingest items in one transaction: the observations of all observation
 * messages (multi-row, idempotent), traffic counts (idempotent per message id), the device rows
 * (seen times, seq gaps, state, info, stats) and the dead letters. Skip items write nothing.
 *
 * @param transactionWithCopy PostgreSQL's COPY-capable transactions (see `connect.ts`): the
 *   observations then take the bulk path. Without it, plain transactions and INSERTs.
 * @throws the database error when the transaction fails; nothing of the batch is stored then.
 */
export async function storeBatch(
  db: Kysely<Database>,
  items: readonly IngestItem[],
  transactionWithCopy?: TransactionWithCopy,
  sightings?: SightingOptions,
): Promise<BatchOutcome> {
  const stores = items.filter((i): i is StoreItem => i.kind === 'store');
  const deadLetters = items.filter((i): i is DeadLetterItem => i.kind === 'dead-letter');
  const observations: ReceivedObservations[] = stores.flatMap((s) =>
    s.record.kind === 'observations' ? [{ message: s.record.message, receivedAt: s.receivedAt }] : [],
  );
  const traffic: ReceivedTraffic[] = stores.flatMap((s) =>
    s.record.kind === 'traffic' ? [{ message: s.record.message, receivedAt: s.receivedAt }] : [],
  );
  if (stores.length === 0 && deadLetters.length === 0) {
    return { messagesStored: 0, observationsInserted: 0, trafficMessagesInserted: 0, deadLettersStored: 0 };
  }
  const run: TransactionWithCopy = transactionWithCopy ?? ((fn) => db.transaction().execute((trx) => fn(trx, undefined as never)));
  return run(async (trx, copy) => {
    const observationsInserted = await insertObservations(trx, observations, transactionWithCopy ? copy : undefined);
    const evidence = stores.flatMap((s) => (s.record.kind === 'evidence' ? [{ record: s.record, topic: s.topic, receivedAt: s.receivedAt }] : []));
    const sightingDeadLetters = sightings
      ? (await storeSightings(trx, observations.map((o) => o.message), evidence, sightings)).deadLettersStored
      : 0;
    const trafficOutcome = await storeTraffic(trx, traffic);
    await updateDevices(trx, stores);
    const deadLettersStored = (await insertDeadLetters(trx, deadLetters)) + sightingDeadLetters;
    return {
      messagesStored: stores.length,
      observationsInserted,
      trafficMessagesInserted: trafficOutcome.messagesInserted,
      deadLettersStored,
    };
  });
}
