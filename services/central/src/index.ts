/**
 * `@sightline/central`: the central service — MQTT ingest into Postgres (or embedded PGlite) and
 * the HTTP API. Start everything with {@link startCentral}; the parts are exported for tools and tests.
 */
export { startCentral, type Central, type CentralConfig } from './central';
export { loadCentralConfig, ConfigError, type LoadedCentralConfig, type LogLevel } from './config';
export { openDatabase, DEFAULT_DATA_DIR, IN_MEMORY, type DatabaseHandle, type OpenDatabaseOptions } from './db/connect';
export { migrateToLatest } from './db/migrate';
export type {
  Database,
  DevicesTable,
  ObservationsTable,
  DeadLettersTable,
  DeviceRow,
  ObservationRow,
  DeadLetterRow,
} from './db/schema';
export { startEmbeddedBroker, type EmbeddedBroker, type EmbeddedBrokerOptions } from './broker/embedded';
export {
  startIngest,
  defaultIngestClientId,
  DEFAULT_SHARED_GROUP,
  DEFAULT_SESSION_EXPIRY_SECONDS,
  type Ingest,
  type IngestOptions,
  type IngestStats,
} from './ingest/ingest';
export { DEFAULT_BATCHER_OPTIONS, type BatcherOptions } from './ingest/batcher';
export { DEFAULT_MAX_PAYLOAD_BYTES, decodeDeviceMessage, type DecodedMessage } from './ingest/decode';
export type { DeviceRecord } from './ingest/items';
export { buildApi, type ApiOptions, type ApiServer } from './api/server';
export { createApiKey, listApiKeys, revokeApiKey, findApiKey, hashApiKey, scopeAllows, API_KEY_SCOPES, type ApiKeyInfo, type CreatedApiKey } from './auth/keys';
export type { AuthOptions, Access } from './api/auth';
export type { ApiKeyScope, IncidentStatus, IncidentRow } from './db/schema-incidents';
export { CategoryRules, type IncidentRule } from './incidents/rules';
export { mergeSightings, type Sighting, type MergeOutcome } from './incidents/merge';
export { changeIncident, canTransition, TRANSITIONS, INCIDENT_STATUSES, TransitionError } from './incidents/lifecycle';
export { incidentPageQuery, listIncidents, parseIncidentFilter, type IncidentFilter, type IncidentSort } from './incidents/query';
export { PostgresEvidenceStore, type EvidenceStore, type EvidenceKey } from './evidence/store';
