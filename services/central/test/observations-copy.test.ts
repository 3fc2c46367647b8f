/**
 * The two ways observations are inserted on PostgreSQL give the same rows: the COPY fast path
 * (text format, escaping) and the INSERT ... ON CONFLICT path it falls back to when a batch holds
 * an id already stored.
 */
import { newId, type ObservationMessage } from '@sightline/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../src/index';
import { insertObservations } from '../src/ingest/observations';
import { createTestDatabase, type TestDatabase } from '../../../tests/support/postgres';
import { observationMessage } from './helpers';

describe('insertObservations on PostgreSQL', () => {
  let database: TestDatabase;
  let handle: DatabaseHandle;

  beforeAll(async () => {
    database = await createTestDatabase();
    handle = await openDatabase({ databaseUrl: database.url });
  });
  afterAll(async () => {
    await handle?.close();
    await database?.drop();
  });

  const withNewIds = (m: ObservationMessage): ObservationMessage => ({ ...m, id: newId(), observations: m.observations.map((o) => ({ ...o, id: newId() })) });
  const rowsOf = (messageId: string) =>
    database.query<Record<string, unknown>>(
      'select seq, device_id, camera_id, captured_at, received_at, label, class_id, score, box_x1, box_y1, box_x2, box_y2, frame_width, frame_height, frame_source, model_id, lat, lon, accuracy_m, heading_deg, position_source from observations where message_id = $1 order by label',
      [messageId],
    );

  it('writes the same rows by COPY as by INSERT, awkward text and missing position included', async () => {
    const awkward = observationMessage('dev-copy', 1, { labels: ['traffic light', 'tab\there', 'back\\slash', 'new\nline'] });
    awkward.frame.source = 'C:\\frames\\a\tb.jpg';
    delete awkward.position;
    awkward.observations[0]!.score = 1e-7;
    const twin = withNewIds(awkward);
    const receivedAt = new Date('2025-05-01T08:00:00.123Z');

    const byCopy = await handle.transactionWithCopy!((trx, copy) => insertObservations(trx, [{ message: awkward, receivedAt }], copy));
    const byInsert = await handle.db.transaction().execute((trx) => insertObservations(trx, [{ message: twin, receivedAt }]));
    expect([byCopy, byInsert]).toEqual([4, 4]);
    const copied = await rowsOf(awkward.id);
    expect(copied).toEqual(await rowsOf(twin.id));
    expect(copied.map((r) => r.label)).toEqual(['back\\slash', 'new\nline', 'tab\there', 'traffic light']);
    expect(copied[0]).toMatchObject({ frame_source: 'C:\\frames\\a\tb.jpg', lat: null, position_source: null });
  });

  it('falls back to INSERT ... ON CONFLICT when a batch repeats a stored id, and adds only the new rows', async () => {
    const first = observationMessage('dev-copy', 2);
    const second = observationMessage('dev-copy', 3);
    const receivedAt = new Date();
    await handle.transactionWithCopy!((trx, copy) => insertObservations(trx, [{ message: first, receivedAt }], copy));
    const inserted = await handle.transactionWithCopy!((trx, copy) =>
      insertObservations(trx, [{ message: first, receivedAt }, { message: second, receivedAt }, { message: second, receivedAt }], copy),
    );
    expect(inserted).toBe(2);
    const n = await database.query<{ n: number }>("select count(*)::int as n from observations where seq in (2, 3) and device_id = 'dev-copy'");
    expect(n[0]!.n).toBe(4);
  });
});
