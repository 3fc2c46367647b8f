/**
 * Opaque keyset cursors for listings ordered by `(captured_at desc, id desc)`.
 *
 * A cursor is base64url of `["<capturedAt ISO>","<id>"]`: the sort key of the last row of a page.
 * The next page holds rows strictly after it in that order, so pages never repeat or skip rows,
 * even while new rows arrive. Clients must treat it as opaque.
 */

/** Position after which the next page starts. */
export interface CursorPosition {
  /** Capture time of the last row served (millisecond precision, as stored). */
  capturedAt: Date;
  /** Id (uuid) of the last row served. */
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Encodes the sort key of the last row of a page. */
export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.capturedAt.toISOString(), position.id]), 'utf8').toString('base64url');
}

/** Decodes a cursor made by {@link encodeCursor}; `undefined` for anything else. Never throws. */
export function decodeCursor(cursor: string): CursorPosition | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const [time, id] = value as unknown[];
  if (typeof time !== 'string' || typeof id !== 'string' || !ISO_UTC.test(time) || !UUID.test(id)) return undefined;
  const capturedAt = new Date(time);
  if (!Number.isFinite(capturedAt.getTime())) return undefined;
  return { capturedAt, id: id.toLowerCase() };
}
