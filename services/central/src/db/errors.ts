/**
 * Telling database failures apart: is it this data, or is it the database?
 *
 * The ingest retries a failed write forever when the database is the problem (down, restarting,
 * out of connections, deadlock) and dead-letters a message when the database rejects its data
 * (a value out of a column's range, invalid text encoding). Anything unknown counts as the
 * database's problem: retrying loses nothing, dead-lettering good data would.
 */

/** SQLSTATE classes that mean "this row is wrong": 22 data exception, 23 integrity violation. */
const DATA_ERROR_CLASSES = new Set(['22', '23']);

/** The SQLSTATE code of a PostgreSQL error (node-postgres and PGlite both set `code`), if any. */
export function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** True when the database rejected the data itself, so retrying the same rows cannot succeed. */
export function isDataError(error: unknown): boolean {
  const state = sqlState(error);
  return state !== undefined && DATA_ERROR_CLASSES.has(state.slice(0, 2));
}

/** A one-line description of an error for logs and dead-letter reasons. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const state = sqlState(error);
    return state ? `${error.message} (SQLSTATE ${state})` : error.message || error.name;
  }
  return String(error);
}

const UNAVAILABLE_CLASSES = new Set(['08', '53', '57']);
const UNAVAILABLE_STATES = new Set(['55000']); // "database ... is not currently accepting connections"
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EPIPE']);

/**
 * True when the error says the database cannot be reached or is not serving (connection refused
 * or lost, server shutting down, too many connections) rather than that a query was wrong.
 */
export function isUnavailableError(error: unknown): boolean {
  const state = sqlState(error);
  if (state !== undefined) return UNAVAILABLE_CLASSES.has(state.slice(0, 2)) || UNAVAILABLE_STATES.has(state);
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message);
}
