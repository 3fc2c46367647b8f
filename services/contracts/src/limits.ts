import Type from 'typebox';

/**
 * Bounds that keep every valid message storable: a value the contract accepts must never be one
 * PostgreSQL rejects (which would cost the ingest a batch retry, one message at a time).
 */

/** Largest value of a PostgreSQL `integer` (int4) column. */
export const MAX_INT4 = 2_147_483_647;

/** Pattern for text without NUL characters (PostgreSQL `text` cannot hold U+0000). */
const NO_NUL = '^[^\\u0000]*$';

/** A string PostgreSQL can store: no NUL characters, at most `maxLength` characters. */
export function Text(options: { minLength?: number; maxLength: number; description?: string }) {
  return Type.String({ ...options, pattern: NO_NUL });
}

/** A non-negative count stored in an int4 column. */
export function Count(description?: string) {
  return Type.Integer({ minimum: 0, maximum: MAX_INT4, ...(description ? { description } : {}) });
}

/** A device's message counter: non-negative and exactly representable (2^53 − 1 at most). */
export const Seq = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

/** A UTC ISO 8601 date-time with offset, years 1900–2999 (what a camera clock can sanely say). */
export const Timestamp = Type.String({ format: 'date-time', pattern: '^(19|2\\d)\\d\\d-' });
