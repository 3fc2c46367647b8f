/**
 * The incident, evidence and API-key tables in types (created by migrations 0003–0005); listed in
 * {@link Database} in `schema.ts`. Same conventions as there: `timestamptz` read as `Date`,
 * `bigint`/`bigserial` as `number`, `bytea` as `Uint8Array`.
 */
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/** A `timestamptz` column with a database default (`now()`), so inserts may omit it. */
type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** A `timestamptz` column: read as `Date`, written as `Date` or an ISO 8601 string with offset. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** A nullable column: optional on insert. */
type Optional<T> = ColumnType<T | null, T | null | undefined, T | null>;

/** Lifecycle state of an incident; see `incidents/lifecycle.ts` for the transitions. */
export type IncidentStatus = 'open' | 'acknowledged' | 'resolved' | 'dismissed';

/**
 * `incidents`: one real-world thing (a couch on the pavement, a pothole) merged from the sightings
 * of its category within the category's merge radius. See `incidents/merge.ts`.
 */
export interface IncidentsTable {
  /** UUIDv7, made by central when the first sighting created the incident. */
  id: string;
  /** Taxonomy category (text, "C" collation), e.g. `dumping.furniture.couch`. */
  category: string;
  status: IncidentStatus;
  /** Running mean of the sightings' positions, WGS 84 degrees (double precision). */
  lat: number;
  lon: number;
  /** Capture time of the earliest and the latest sighting. */
  first_seen: Timestamp;
  last_seen: Timestamp;
  /** Number of sightings (observations) merged into the incident. */
  sighting_count: number;
  /** Highest detection score among the sightings (real). */
  max_score: number;
  /** Who works on it (free text set through the API), or null. */
  assignee: Optional<string>;
  /** The sighting with the latest capture time (its evidence is the incident's picture). */
  last_observation_id: string;
  created_at: DefaultedTimestamp;
  /** Last change of any field (a sighting, a status, an assignee). */
  updated_at: DefaultedTimestamp;
  /** When `status` last changed. */
  status_changed_at: DefaultedTimestamp;
}

/** `incident_observations`: the sightings of each incident (an observation joins at most one). */
export interface IncidentObservationsTable {
  /** Observation id (primary key). */
  observation_id: string;
  incident_id: string;
  /** The observation's capture time and score, copied for listing an incident's sightings in order. */
  captured_at: Timestamp;
  score: number;
  /** Haversine distance (m) from the incident's position at the time the sighting joined (0 for the first). */
  distance_m: number;
}

/** What an `incident_events` row records. */
export type IncidentEventAction = 'created' | 'status' | 'assignee' | 'note';

/**
 * `incident_events`: the audit trail of an incident. `actor` is the API key's name and id
 * (`name (key <id>)`) for changes made through the API, `system` for changes the ingest made
 * (creation, reopening on a new sighting).
 */
export interface IncidentEventsTable {
  id: Generated<number>;
  incident_id: string;
  at: DefaultedTimestamp;
  actor: string;
  action: IncidentEventAction;
  from_status: Optional<IncidentStatus>;
  to_status: Optional<IncidentStatus>;
  from_assignee: Optional<string>;
  to_assignee: Optional<string>;
  note: Optional<string>;
  /** The sighting that caused a system change (creation, reopening). */
  observation_id: Optional<string>;
}

/**
 * `evidence`: one evidence JPEG per (observation, publishing device). `verified` once checked
 * against the observation's announced size and SHA-256 (see `evidence/ingest.ts`).
 */
export interface EvidenceTable {
  observation_id: string;
  device_id: string;
  received_at: DefaultedTimestamp;
  content_type: string;
  bytes: number;
  /** Lower-case hex SHA-256 of the bytes, computed by central. */
  sha256: string;
  verified: ColumnType<boolean, boolean | undefined, boolean>;
}

/** `evidence_blobs`: the JPEG bytes of the database evidence store. */
export interface EvidenceBlobsTable {
  observation_id: string;
  device_id: string;
  data: Uint8Array;
}

/** Scope of an API key: `read` ⊂ `operate` ⊂ `admin`. */
export type ApiKeyScope = 'read' | 'operate' | 'admin';

/** `api_keys`: API keys, stored as the SHA-256 of the key (see `auth/keys.ts`). */
export interface ApiKeysTable {
  id: string;
  name: string;
  scope: ApiKeyScope;
  /** Hex SHA-256 of the whole key text (unique). */
  key_hash: string;
  /** First characters of the key, for telling keys apart in listings. */
  prefix: string;
  created_at: DefaultedTimestamp;
  /** Who created it: an admin key's id, or `cli`. */
  created_by: Optional<string>;
  last_used_at: Optional<Date>;
  revoked_at: Optional<Date>;
}

export type IncidentRow = Selectable<IncidentsTable>;
export type NewIncidentRow = Insertable<IncidentsTable>;
export type IncidentEventRow = Selectable<IncidentEventsTable>;
export type NewIncidentEventRow = Insertable<IncidentEventsTable>;
export type EvidenceRow = Selectable<EvidenceTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
