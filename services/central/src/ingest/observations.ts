/**
 * Observation rows: an ObservationMessage with N detections becomes N `observations` rows,
 * inserted idempotently (a stored id is never inserted again), so a re-delivered message adds
 * nothing.
 */
import type { ObservationMessage } from '@sightline/contracts';
import { sql, type Kysely } from 'kysely';
import type { CopyIn } from '../db/connect';
import { sqlState } from '../db/errors';
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
    category: o.category ?? null,
    evidence_sha256: o.evidence?.sha256 ?? null,
    evidence_bytes: o.evidence?.bytes ?? null,
  }));
}

/** Columns of `observations` in the order the COPY text carries them. */
const COPY_COLUMNS = [
  'id',
  'message_id',
  'seq',
  'device_id',
  'camera_id',
  'captured_at',
  'received_at',
  'label',
  'class_id',
  'score',
  'box_x1',
  'box_y1',
  'box_x2',
  'box_y2',
  'frame_width',
  'frame_height',
  'frame_source',
  'model_id',
  'lat',
  'lon',
  'accuracy_m',
  'heading_deg',
  'position_source',
  'category',
  'evidence_sha256',
  'evidence_bytes',
] as const satisfies ReadonlyArray<keyof NewObservationRow>;

/** An observation message with its receive time. */
export interface ReceivedObservations {
  message: ObservationMessage;
  receivedAt: Date;
}

/**
 * Inserts the observations of `received`, skipping ids already stored. Run it inside a
 * transaction so a batch is stored whole or not at all. Rows go in id order so concurrent ingest
 * workers lock index entries in the same order.
 *
 * Two ways, same result:
 * - with `copy` (PostgreSQL): `COPY observations FROM STDIN` under a savepoint, PostgreSQL's bulk
 *   path (several times faster than INSERT). COPY has no `ON CONFLICT`, so if any id is already
 *   stored (a re-delivery) it fails with unique_violation; the savepoint is rolled back and the
 *   batch goes the second way. Re-deliveries are rare (after a crash or a lost connection), so
 *   nearly every batch takes the fast path.
 * - otherwise: multi-row `INSERT ... ON CONFLICT (id) DO NOTHING` in statements of
 *   {@link ROWS_PER_INSERT} rows.
 *
 * Any other error (e.g. a value out of a column's range) is thrown as is.
 *
 * @returns number of rows actually inserted (duplicates excluded).
 */
export async function insertObservations(db: Kysely<Database>, received: readonly ReceivedObservations[], copy?: CopyIn): Promise<number> {
  if (received.length === 0) return 0;
  if (copy) {
    const lines = new Map<string, string>(); // id → COPY line; a repeated id counts once
    for (const { message, receivedAt } of received) copyLines(message, receivedAt, lines);
    const sorted = [...lines.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, line]) => line);
    await sql`savepoint observations_copy`.execute(db);
    try {
      const copied = await copy(`copy observations (${COPY_COLUMNS.join(', ')}) from stdin`, chunked(sorted));
      await sql`release savepoint observations_copy`.execute(db);
      return copied;
    } catch (error) {
      if (sqlState(error) !== UNIQUE_VIOLATION) throw error;
      await sql`rollback to savepoint observations_copy`.execute(db);
    }
  }
  const rows = received.flatMap((r) => observationRows(r.message, r.receivedAt));
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

const UNIQUE_VIOLATION = '23505';

/**
 * Adds the COPY text lines (columns in {@link COPY_COLUMNS} order) of a message's observations to
 * `into`, keyed by observation id. Same values as {@link observationRows}, without the row objects.
 */
function copyLines(message: ObservationMessage, receivedAt: Date, into: Map<string, string>): void {
  const p = message.position;
  const head = [message.id, message.seq, copyValue(message.deviceId), copyValue(message.cameraId), new Date(message.capturedAt).toISOString(), receivedAt.toISOString()].join('\t');
  const tail = [
    message.frame.width,
    message.frame.height,
    copyValue(message.frame.source),
    copyValue(message.model.id),
    copyValue(p?.lat),
    copyValue(p?.lon),
    copyValue(p?.accuracyM),
    copyValue(p?.headingDeg),
    copyValue(p?.source),
  ].join('\t');
  for (const o of message.observations) {
    const extra = `${copyValue(o.category)}\t${copyValue(o.evidence?.sha256)}\t${copyValue(o.evidence?.bytes)}`;
    into.set(o.id, `${o.id}\t${head}\t${copyValue(o.label)}\t${o.classId}\t${o.score}\t${o.box[0] ?? 0}\t${o.box[1] ?? 0}\t${o.box[2] ?? 0}\t${o.box[3] ?? 0}\t${tail}\t${extra}\n`);
  }
}

/** Lines joined into chunks of 1000 for the COPY stream. */
function* chunked(lines: readonly string[]): Generator<string> {
  for (let start = 0; start < lines.length; start += 1000) yield lines.slice(start, start + 1000).join('');
}

const NEEDS_ESCAPE = /[\\\t\n\r]/;

/** One value in COPY text format: `\N` for null, times as ISO 8601, text escaped. */
function copyValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (value instanceof Date) return value.toISOString();
  const text = String(value);
  if (typeof value === 'number' || !NEEDS_ESCAPE.test(text)) return text;
  return text.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}
