import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { insertDeadLetters } from './dead-letters';
import { upsertDevices } from './devices';
import type { DeadLetterItem, IngestItem, StoreItem } from './items';
import { insertObservations, observationRows } from './observations';

/** What one committed batch wrote. */
export interface BatchOutcome {
  /** Observation messages committed (re-deliveries included). */
  messagesStored: number;
  /** Observation rows newly inserted (re-delivered ids excluded). */
  observationsInserted: number;
  /** Dead letters inserted. */
  deadLettersStored: number;
}

/**
 * Writes a batch of ingest items in one transaction: all observations of all messages
 * (multi-row, idempotent), the device rows, and the dead letters. All or nothing.
 *
 * @throws the database error when the transaction fails; nothing of the batch is stored then.
 */
export async function storeBatch(db: Kysely<Database>, items: readonly IngestItem[]): Promise<BatchOutcome> {
  const stores = items.filter((i): i is StoreItem => i.kind === 'store');
  const deadLetters = items.filter((i): i is DeadLetterItem => i.kind === 'dead-letter');
  return db.transaction().execute(async (trx) => {
    const observationsInserted = await insertObservations(
      trx,
      stores.flatMap((s) => observationRows(s.message, s.receivedAt)),
    );
    await upsertDevices(trx, stores);
    const deadLettersStored = await insertDeadLetters(trx, deadLetters);
    return { messagesStored: stores.length, observationsInserted, deadLettersStored };
  });
}
