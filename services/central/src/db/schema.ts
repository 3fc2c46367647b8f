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
 * New tables are added here (or in a sibling file per concept, like `schema-incidents.ts`) and in
 * a new migration file; existing migrations are never edited.
 */
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { ApiKeysTable, EvidenceBlobsTable, EvidenceTable, IncidentEventsTable, IncidentObservationsTable, IncidentsTable } from './schema-incidents';

/** A `timestamptz` column: read as `Date`, written as `Date` or an ISO 8601 string with offset. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;

/** A `timestamptz` column with a database default (`now()`), so inserts may omit it. */
export type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

/** A nullable column the ingest fills later: optional on insert. */
type Later<T, W = T> = ColumnType<T | null, W | null | undefined, W | null>;

/** Device states from the retained `sightline/v1/{deviceId}/status` topic. */
export type DeviceStateText = 'online' | 'offline' | 'stopped';

/** The latest `StatsMessage` of a device as stored in `devices.stats` (the message minus `schema`). */
export interface StoredStats {
  id: string;
  seq: number;
  sentAt: string;
  startedAt: string;
  frames: { in: number; processed: number; dropped: number };
  fps: number;
  inferenceMs: { p50: number; p95: number };
  spool: { depth: number; bytes: number; dropped: number };
  reconnects: number;
}

/**
 * `devices`: every device the ingest has heard from: its latest message counter and seq gaps,
 * its state (status topic), what it runs (status/info) and its latest stats.
 *
 * All `*_at` guards are receive or send times; the ingest only moves them forward, so a late or
 * re-delivered message never rewinds a device.
 */
export interface DevicesTable {
  /** Device id as in the topic `sightline/v1/{deviceId}/...` (text primary key). */
  id: string;
  /** When central first received a message from the device (receive time). */
  first_seen: Timestamp;
  /**
   * When central last received a live message of any kind from the device (receive time, never
   * moves backwards). A retained status replayed by the broker at subscription does not count.
   */
  last_seen: Timestamp;
  /** Highest `seq` received (bigint); null while only status messages (which carry none) arrived. */
  last_seq: ColumnType<number | null, number | null | undefined, number | null>;
  /** `online` | `offline` | `stopped` from the status topic; null until one arrived. */
  state: Later<DeviceStateText>;
  /** Receive time of the status message that changed `state` to its current value. */
  state_changed_at: Later<Date, Date | string>;
  /** Receive time of the latest status message applied (orders status messages across workers). */
  status_at: Later<Date, Date | string>;
  /** From `status/info`: software name and version, model id, camera ids, agent start time. */
  software_name: Later<string>;
  software_version: Later<string>;
  model: Later<string>;
  /** Camera ids (jsonb array, written as JSON text). */
  cameras: Later<string[], string>;
  started_at: Later<Date, Date | string>;
  /** Receive time of the `status/info` message applied. */
  info_at: Later<Date, Date | string>;
  /** The latest `StatsMessage` (jsonb, written as JSON text) by `sentAt`, including the spool drop counter. */
  stats: Later<StoredStats, string>;
  /** `sentAt` of the stored stats. */
  stats_sent_at: Later<Date, Date | string>;
  /** Number of seq values currently missing (sum of the sizes of the `device_seq_gaps` rows). */
  seq_missing: ColumnType<number, number | undefined, number>;
  /** Number of `device_seq_gaps` rows (separate missing ranges). */
  seq_gaps: ColumnType<number, number | undefined, number>;
}

/**
 * `device_seq_gaps`: seq values of a device that central has not received, as inclusive ranges.
 *
 * One counter stamps every message of a device (observations, traffic, stats), so a gap means a
 * message of any of those kinds is missing: lost (e.g. dropped from a full spool), rejected to
 * the dead letters, or not yet arrived. A late message splits or removes its range. Nothing is
 * recorded before the first seq central received from a device.
 */
export interface DeviceSeqGapsTable {
  device_id: string;
  /** First missing seq (bigint, inclusive). */
  first_seq: number;
  /** Last missing seq (bigint, inclusive). */
  last_seq: number;
  /** When the gap was first noticed (receive time of the message after it). */
  detected_at: DefaultedTimestamp;
}

/**
 * `traffic_messages`: one row per stored TrafficCountMessage id. Inserting it (`ON CONFLICT DO
 * NOTHING`) in the same transaction as the counts is what makes a re-delivered message add nothing.
 */
export interface TrafficMessagesTable {
  /** Message id (uuid, primary key). */
  id: string;
  seq: number;
  device_id: string;
  camera_id: string;
  line_id: string;
  /** Interval start (timestamptz) and length in seconds as the device reported them. */
  interval_start: Timestamp;
  interval_seconds: number;
  received_at: DefaultedTimestamp;
}

/**
 * `traffic_counts`: line crossings per (device, camera, line, interval start, class, direction),
 * summed over the distinct messages that reported that key (a late message for the same interval
 * adds to it; a re-delivered one does not).
 */
export interface TrafficCountsTable {
  device_id: string;
  camera_id: string;
  line_id: string;
  interval_start: Timestamp;
  /** Class label, e.g. `car`. */
  label: string;
  /** `in` | `out` relative to the line's start → end. */
  direction: 'in' | 'out';
  /** Interval length in seconds (of the latest message for the key). */
  interval_seconds: number;
  /** Crossings (bigint). */
  count: number;
  updated_at: DefaultedTimestamp;
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
  /** Taxonomy category the device assigned (`dumping.furniture.couch`), if any (text, "C" collation). */
  category: Later<string>;
  /** SHA-256 (hex) and size of the evidence JPEG the device announced for this observation, if any. */
  evidence_sha256: Later<string>;
  evidence_bytes: Later<number>;
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
  device_seq_gaps: DeviceSeqGapsTable;
  observations: ObservationsTable;
  dead_letters: DeadLettersTable;
  traffic_messages: TrafficMessagesTable;
  traffic_counts: TrafficCountsTable;
  incidents: IncidentsTable;
  incident_observations: IncidentObservationsTable;
  incident_events: IncidentEventsTable;
  evidence: EvidenceTable;
  evidence_blobs: EvidenceBlobsTable;
  api_keys: ApiKeysTable;
}

export type DeviceRow = Selectable<DevicesTable>;
export type DeviceSeqGapRow = Selectable<DeviceSeqGapsTable>;
export type TrafficMessageRow = Selectable<TrafficMessagesTable>;
export type NewTrafficMessageRow = Insertable<TrafficMessagesTable>;
export type TrafficCountRow = Selectable<TrafficCountsTable>;
export type NewTrafficCountRow = Insertable<TrafficCountsTable>;
export type ObservationRow = Selectable<ObservationsTable>;
export type NewObservationRow = Insertable<ObservationsTable>;
export type DeadLetterRow = Selectable<DeadLettersTable>;
export type NewDeadLetterRow = Insertable<DeadLettersTable>;
