import { uuidv7 } from 'uuidv7';

/**
 * A new UUIDv7 (RFC 9562): time-ordered, so ids sort by creation time and index well.
 */
export function newId(): string {
  return uuidv7();
}
