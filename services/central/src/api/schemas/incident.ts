/**
 * Incidents as the API serves them (JSON and GeoJSON), their sightings and audit events, and the
 * mappings from database rows. One shape per concept, used for serialisation and the OpenAPI document.
 */
import { Identifier } from '@sightline/contracts';
import Type, { type Static } from 'typebox';
import type { IncidentEventRow, IncidentRow } from '../../db/schema-incidents';
import type { CategoryRules } from '../../incidents/rules';

export const IncidentStatusSchema = Type.Union(
  [Type.Literal('open'), Type.Literal('acknowledged'), Type.Literal('resolved'), Type.Literal('dismissed')],
  { description: 'lifecycle state: open → acknowledged → resolved | dismissed (see PATCH)' },
);

/** Path of the evidence JPEG of an observation. */
export function evidencePath(observationId: string): string {
  return `/v1/observations/${observationId}/evidence.jpg`;
}

const incidentFields = {
  id: Type.String({ format: 'uuid', description: 'incident id (UUIDv7)' }),
  category: Type.String({ description: 'taxonomy category, e.g. dumping.furniture.couch' }),
  title: Type.String({ description: "the category's human title, e.g. Dumped couch or sofa" }),
  status: IncidentStatusSchema,
  firstSeen: Type.String({ format: 'date-time', description: 'capture time of the earliest sighting, UTC' }),
  lastSeen: Type.String({ format: 'date-time', description: 'capture time of the latest sighting, UTC' }),
  sightingCount: Type.Integer({ minimum: 1, description: 'observations merged into the incident' }),
  maxScore: Type.Number({ minimum: 0, maximum: 1, description: 'best detection score among the sightings' }),
  assignee: Type.Union([Type.String(), Type.Null()], { description: 'who works on it, or null' }),
  lastObservationId: Type.String({ format: 'uuid', description: 'the latest sighting' }),
  evidenceUrl: Type.Union([Type.String(), Type.Null()], { description: "path of the latest sighting's redacted JPEG, or null when none arrived" }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time', description: 'last change of any kind (sighting, status, assignee)' }),
  statusChangedAt: Type.String({ format: 'date-time' }),
};

export const Incident = Type.Object({
  ...incidentFields,
  position: Type.Object(
    {
      lat: Type.Number({ description: 'WGS 84 latitude: mean of the sightings' }),
      lon: Type.Number({ description: 'WGS 84 longitude: mean of the sightings' }),
    },
    { description: 'running mean of the positions the incident was seen from' },
  ),
});
export type Incident = Static<typeof Incident>;

export const IncidentPage = Type.Object({
  items: Type.Array(Incident),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'pass as `cursor` for the next page; null on the last page' }),
});

/** RFC 7946 Point: `coordinates` are `[longitude, latitude]`. */
export const GeoJsonPoint = Type.Object({
  type: Type.Literal('Point'),
  coordinates: Type.Array(Type.Number(), { minItems: 2, maxItems: 2, description: '[longitude, latitude], WGS 84 (RFC 7946 order)' }),
});

export const IncidentFeature = Type.Object({
  type: Type.Literal('Feature'),
  id: Type.String({ description: 'incident id' }),
  geometry: GeoJsonPoint,
  properties: Type.Object(incidentFields),
});

export const IncidentFeatureCollection = Type.Object(
  {
    type: Type.Literal('FeatureCollection'),
    features: Type.Array(IncidentFeature),
    nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'foreign member (RFC 7946 §6.1): the next page cursor, null on the last page' }),
  },
  { description: 'RFC 7946 GeoJSON FeatureCollection of incidents (Accept: application/geo+json)' },
);
export type IncidentFeatureCollection = Static<typeof IncidentFeatureCollection>;

export const Sighting = Type.Object({
  observationId: Type.String({ format: 'uuid' }),
  capturedAt: Type.String({ format: 'date-time' }),
  deviceId: Identifier,
  cameraId: Identifier,
  label: Type.String(),
  score: Type.Number(),
  position: Type.Union([Type.Object({ lat: Type.Number(), lon: Type.Number() }), Type.Null()]),
  distanceM: Type.Number({ description: "metres from the incident's position when the sighting joined" }),
  evidenceUrl: Type.Union([Type.String(), Type.Null()], { description: 'path of the redacted JPEG, or null' }),
});
export type Sighting = Static<typeof Sighting>;

export const IncidentEvent = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  actor: Type.String({ description: '`system` (the ingest) or the API key: `name (key <id>)`' }),
  action: Type.Union([Type.Literal('created'), Type.Literal('status'), Type.Literal('assignee'), Type.Literal('note')]),
  fromStatus: Type.Union([IncidentStatusSchema, Type.Null()]),
  toStatus: Type.Union([IncidentStatusSchema, Type.Null()]),
  fromAssignee: Type.Union([Type.String(), Type.Null()]),
  toAssignee: Type.Union([Type.String(), Type.Null()]),
  note: Type.Union([Type.String(), Type.Null()]),
  observationId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], { description: 'the sighting behind a system change' }),
});
export type IncidentEvent = Static<typeof IncidentEvent>;

export const IncidentDetail = Type.Object({
  ...Incident.properties,
  sightings: Type.Array(Sighting, { description: 'the latest sightings, newest first (at most 100; sightingCount has the total)' }),
  events: Type.Array(IncidentEvent, { description: 'audit trail, oldest first' }),
});
export type IncidentDetail = Static<typeof IncidentDetail>;

/** The API form of an incident row. */
export function toIncident(row: IncidentRow & { has_evidence: boolean }, rules: CategoryRules): Incident {
  return {
    id: row.id,
    category: row.category,
    title: rules.rule(row.category)?.title ?? row.category,
    status: row.status,
    position: { lat: row.lat, lon: row.lon },
    firstSeen: row.first_seen.toISOString(),
    lastSeen: row.last_seen.toISOString(),
    sightingCount: row.sighting_count,
    maxScore: row.max_score,
    assignee: row.assignee,
    lastObservationId: row.last_observation_id,
    evidenceUrl: row.has_evidence ? evidencePath(row.last_observation_id) : null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    statusChangedAt: row.status_changed_at.toISOString(),
  };
}

/** An incident as a GeoJSON Feature: Point `[lon, lat]`, everything else in `properties`. */
export function toFeature(incident: Incident): Static<typeof IncidentFeature> {
  const { position, ...properties } = incident;
  return { type: 'Feature', id: incident.id, geometry: { type: 'Point', coordinates: [position.lon, position.lat] }, properties };
}

/** The API form of an event row. */
export function toEvent(row: IncidentEventRow): IncidentEvent {
  return {
    id: row.id,
    at: row.at.toISOString(),
    actor: row.actor,
    action: row.action,
    fromStatus: row.from_status,
    toStatus: row.to_status,
    fromAssignee: row.from_assignee,
    toAssignee: row.to_assignee,
    note: row.note,
    observationId: row.observation_id,
  };
}
