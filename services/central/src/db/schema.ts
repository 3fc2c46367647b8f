/**
 * The central database in types: one interface per table, one {@link Database} that lists them.
 * Queries are typed against these; migrations in `./migrations` create them.
 *
 * Conventions:
 * - times are `timestamptz`, read back as JS `Date` (millisecond precision — ingest stores
 *   millisecond-truncated capture times so keyset cursors round-trip exactly);
 * - `bigint` columns are read as JS `number` (both drivers are configured that way in
 *   `connect.ts`; values stay far below 2^53: message counters and row ids);
 * - `bytea` is read as `Uint8Array` (PGlite) or `Buffer` (node-postgres, a `Uint8Array` subclass).
 *
 * Future tables (incidents, incident_events, traffic_counts, cameras, api_keys) are added here and
 * in a new migration file; existing migrations are never edited.
 */
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/** A `timestamptz` column: read as `Date`, written as `Date` or an ISO 8601 string with offset. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;

/** A `timestamptz` column with a database default (`now()`), so inserts may omit it. */
export type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

/** `devices`: every device the ingest has heard from, with its latest message counter. */
export interface DevicesTable {
  /** Device id as in the topic `sightline/v1/{deviceId}/...` (text primary key). */
  id: string;
  /** When central first stored a message from the device (receive time). */
  first_seen: Timestamp;
  /** When central last stored a message from the device (receive time, never moves backwards). */
  last_seen: Timestamp;
  /** Highest `seq` stored for the device (bigint); gaps below it mean lost or late messages. */
  last_seq: number;
}

/**
 * `observations`: one row per detected object, idempotent on `id` (the observation's UUIDv7).
 * A message with N detections becomes N rows sharing `message_id`, `seq`, frame and position.
 */
export interface ObservationsTable {
  /** Observation id (uuid, primary key) from the message; re-delivery inserts nothing. */
  id: string;
  /** Id (uuid) of the ObservationMessage the observation came in. */
  message_id: string;
  /** The device's message counter (bigint). */
  seq: number;
  device_id: string;
  camera_id: string;
  /** Frame capture time (timestamptz, millisecond precision). */
  captured_at: Timestamp;
  /** When central received the MQTT message (timestamptz, defaults to now()). */
  received_at: DefaultedTimestamp;
  label: string;
  /** Model class index (integer). */
  class_id: number;
  /** Detection confidence 0..1 (real). */
  score: number;
  /** Box corners in pixels of the original, EXIF-oriented frame (real each): x1 <= x2, y1 <= y2. */
  box_x1: number;
  box_y1: number;
  box_x2: number;
  box_y2: number;
  /** Frame size in pixels (integer). */
  frame_width: number;
  frame_height: number;
  /** File name or stream the frame came from, when the device said. */
  frame_source: string | null;
  /** Id of the model that produced the detection. */
  model_id: string;
  /** WGS 84 degrees (double precision); null when the device had no position. */
  lat: number | null;
  lon: number | null;
  /** Horizontal accuracy in metres (real). */
  accuracy_m: number | null;
  /** Degrees clockwise from true north (real). */
  heading_deg: number | null;
  /** `fixed` | `gps` | `exif` (text). */
  position_source: string | null;
}

/**
 * `dead_letters`: messages the ingest could not store, with why. Nothing received is dropped
 * silently: a malformed, oversized or foreign message lands here.
 */
export interface DeadLettersTable {
  /** bigserial primary key. */
  id: Generated<number>;
  /** When central received the message (timestamptz, defaults to now()). */
  received_at: DefaultedTimestamp;
  /** MQTT topic the message arrived on. */
  topic: string;
  /** The raw payload (bytea), truncated to the first 64 KiB for oversized messages. */
  payload: Uint8Array;
  /** Human-readable reason, e.g. `invalid JSON: ...`, `schema violation: /seq: ...`. */
  reason: string;
  /** Device id taken from the topic, when the topic had one. */
  device_id: string | null;
}

/** Every table of the central database, keyed by table name. */
export interface Database {
  devices: DevicesTable;
  observations: ObservationsTable;
  dead_letters: DeadLettersTable;
}

export type DeviceRow = Selectable<DevicesTable>;
export type ObservationRow = Selectable<ObservationsTable>;
export type NewObservationRow = Insertable<ObservationsTable>;
export type DeadLetterRow = Selectable<DeadLettersTable>;
export type NewDeadLetterRow = Insertable<DeadLettersTable>;
