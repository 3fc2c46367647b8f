/**
 * Observation rows: an ObservationMessage with N detections becomes N `observations` rows,
 * inserted idempotently (`ON CONFLICT (id) DO NOTHING`), so a re-delivered message adds nothing.
 */
import type { ObservationMessage } from '@sightline/contracts';
import type { Kysely } from 'kysely';
import type { Database, NewObservationRow } from '../db/schema';

/**
 * Rows per INSERT statement. PostgreSQL takes at most 65535 bind parameters per statement and a
 * row has 23; 2000 rows stay well under that while keeping a batch to a few statements.
 */
export const ROWS_PER_INSERT = 2000;

/** The `observations` rows of one message. `capturedAt` is stored at millisecond precision. */
export function observationRows(message: ObservationMessage, receivedAt: Date): NewObservationRow[] {
  const capturedAt = new Date(message.capturedAt);
  const position = message.position;
  return message.observations.map((o) => ({
    id: o.id,
    message_id: message.id,
    seq: message.seq,
    device_id: message.deviceId,
    camera_id: message.cameraId,
    captured_at: capturedAt,
    received_at: receivedAt,
    label: o.label,
    class_id: o.classId,
    score: o.score,
    box_x1: o.box[0] ?? 0,
    box_y1: o.box[1] ?? 0,
    box_x2: o.box[2] ?? 0,
    box_y2: o.box[3] ?? 0,
    frame_width: message.frame.width,
    frame_height: message.frame.height,
    frame_source: message.frame.source ?? null,
    model_id: message.model.id,
    lat: position?.lat ?? null,
    lon: position?.lon ?? null,
    accuracy_m: position?.accuracyM ?? null,
    heading_deg: position?.headingDeg ?? null,
    position_source: position?.source ?? null,
  }));
}

/**
 * Inserts rows, skipping ids already stored, in multi-row statements of {@link ROWS_PER_INSERT}.
 * Rows are sorted by id so concurrent ingest workers lock index entries in the same order.
 * Run it inside a transaction so a batch is stored whole or not at all.
 *
 * @returns number of rows actually inserted (duplicates excluded).
 */
export async function insertObservations(db: Kysely<Database>, rows: readonly NewObservationRow[]): Promise<number> {
  const unique = [...new Map(rows.map((r) => [r.id, r])).values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  let inserted = 0;
  for (let start = 0; start < unique.length; start += ROWS_PER_INSERT) {
    const result = await db
      .insertInto('observations')
      .values(unique.slice(start, start + ROWS_PER_INSERT))
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    inserted += Number(result.numInsertedOrUpdatedRows ?? 0n);
  }
  return inserted;
}
