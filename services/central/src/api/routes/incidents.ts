/**
 * `GET /v1/incidents` (filters, sort, keyset pagination; JSON or GeoJSON by `Accept`),
 * `GET /v1/incidents/:id` (with its latest sightings, evidence links and audit trail) and
 * `PATCH /v1/incidents/:id` (status, assignee, note; invalid transitions → 409).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import Type from 'typebox';
import type { Database } from '../../db/schema';
import { changeIncident, TRANSITIONS, TransitionError } from '../../incidents/lifecycle';
import {
  decodeIncidentCursor,
  encodeIncidentCursor,
  INCIDENT_SORTS,
  InvalidFilter,
  listIncidents,
  MAX_NEAR_RADIUS_M,
  parseIncidentFilter,
  type IncidentSort,
} from '../../incidents/query';
import type { CategoryRules } from '../../incidents/rules';
import { actorOf } from '../auth';
import { HttpProblem, invalidParam, problemResponses } from '../problem';
import {
  evidencePath,
  IncidentDetail,
  IncidentFeatureCollection,
  IncidentPage,
  IncidentStatusSchema,
  toEvent,
  toFeature,
  toIncident,
  type Sighting,
} from '../schemas/incident';

/** Page size when `limit` is not given, and the largest allowed. */
export const DEFAULT_INCIDENT_LIMIT = 100;
export const MAX_INCIDENT_LIMIT = 1000;
/** Sightings shown in the detail view. */
export const SIGHTINGS_SHOWN = 100;

export const GEOJSON_CONTENT_TYPE = 'application/geo+json';

const ListQuery = Type.Object(
  {
    category: Type.Optional(Type.String({ maxLength: 128, description: 'category or prefix: `dumping` matches `dumping.furniture.couch`' })),
    status: Type.Optional(Type.String({ maxLength: 100, description: 'one status or a comma-separated list, e.g. `open,acknowledged`' })),
    bbox: Type.Optional(Type.String({ maxLength: 200, description: '`minLon,minLat,maxLon,maxLat` (WGS 84 degrees)' })),
    near: Type.Optional(Type.String({ maxLength: 100, description: '`lat,lon`: incidents within `radius` metres (great-circle distance) of this point' })),
    radius: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: MAX_NEAR_RADIUS_M, description: 'metres, with `near`' })),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'last seen at or after (RFC 3339 with offset)' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'last seen before (exclusive)' })),
    minScore: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'best detection score at least' })),
    sort: Type.Optional(Type.String({ maxLength: 32, description: '`lastSeen` (default, newest first) or `sightings` (most sighted first)' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_INCIDENT_LIMIT, default: DEFAULT_INCIDENT_LIMIT, description: 'page size' })),
    cursor: Type.Optional(Type.String({ maxLength: 256, description: '`nextCursor` of the previous page (opaque; same sort)' })),
  },
  { additionalProperties: false },
);

const IdParams = Type.Object({ id: Type.String({ format: 'uuid', description: 'incident id' }) });

const PatchBody = Type.Object(
  {
    status: Type.Optional(IncidentStatusSchema),
    assignee: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()], { description: 'who works on it; null clears' })),
    note: Type.Optional(Type.String({ maxLength: 2000, description: 'recorded in the audit trail with the change (or alone)' })),
  },
  { additionalProperties: false, minProperties: 1 },
);

/** Options of {@link incidentRoutes}. */
export interface IncidentRoutesOptions {
  db: Kysely<Database>;
  rules: CategoryRules;
}

/** True when the client asked for GeoJSON (`Accept: application/geo+json`). */
function wantsGeoJson(accept: string | undefined): boolean {
  return accept !== undefined && /(^|,)\s*application\/geo\+json\s*(;(?!\s*q=0(\.0*)?\s*(,|$))[^,]*)?(,|$)/i.test(accept);
}

/** The incident routes as a Fastify plugin. */
export const incidentRoutes: FastifyPluginAsyncTypebox<IncidentRoutesOptions> = async (app, { db, rules }) => {
  /** The detail view of one incident, or undefined. */
  const detail = async (id: string): Promise<IncidentDetail | undefined> => {
    const row = await db
      .selectFrom('incidents')
      .selectAll('incidents')
      .select(sql<boolean>`exists (select 1 from evidence e where e.observation_id = incidents.last_observation_id and e.verified)`.as('has_evidence'))
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    const sightings = await db
      .selectFrom('incident_observations as io')
      .innerJoin('observations as o', 'o.id', 'io.observation_id')
      .select([
        'io.observation_id',
        'io.captured_at',
        'io.score',
        'io.distance_m',
        'o.device_id',
        'o.camera_id',
        'o.label',
        'o.lat',
        'o.lon',
        sql<boolean>`exists (select 1 from evidence e where e.observation_id = io.observation_id and e.verified)`.as('has_evidence'),
      ])
      .where('io.incident_id', '=', id)
      .orderBy('io.captured_at', 'desc')
      .orderBy('io.observation_id', 'desc')
      .limit(SIGHTINGS_SHOWN)
      .execute();
    const events = await db.selectFrom('incident_events').selectAll().where('incident_id', '=', id).orderBy('id').limit(1000).execute();
    return {
      ...toIncident(row, rules),
      sightings: sightings.map(
        (s): Sighting => ({
          observationId: s.observation_id,
          capturedAt: s.captured_at.toISOString(),
          deviceId: s.device_id,
          cameraId: s.camera_id,
          label: s.label,
          score: s.score,
          position: s.lat !== null && s.lon !== null ? { lat: s.lat, lon: s.lon } : null,
          distanceM: s.distance_m,
          evidenceUrl: s.has_evidence ? evidencePath(s.observation_id) : null,
        }),
      ),
      events: events.map(toEvent),
    };
  };

  app.get(
    '/v1/incidents',
    {
      config: { access: 'read' },
      schema: {
        summary: 'List incidents',
        description:
          'Incidents filtered by category prefix, status, bounding box, distance from a point, last-seen range and best ' +
          'score; sorted by last seen (default) or sighting count, newest/most first; paged with `limit` and the opaque ' +
          '`nextCursor`. With `Accept: application/geo+json` the page is an RFC 7946 FeatureCollection of Points ' +
          '(`coordinates: [lon, lat]`). Every bad parameter is a 400 naming it.',
        tags: ['incidents'],
        querystring: ListQuery,
        response: {
          200: {
            description: 'a page of incidents',
            content: { 'application/json': { schema: IncidentPage }, [GEOJSON_CONTENT_TYPE]: { schema: IncidentFeatureCollection } },
          },
          ...problemResponses(400, 401, 403, 429, 500, 503),
        },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const sort = (q.sort ?? 'lastSeen') as IncidentSort;
      if (!(INCIDENT_SORTS as readonly string[]).includes(sort)) {
        throw invalidParam('sort', 'query', `must be ${INCIDENT_SORTS.join(' or ')}, got "${String(q.sort).slice(0, 40)}"`);
      }
      let filter;
      let after;
      try {
        filter = parseIncidentFilter(q);
        after = q.cursor === undefined ? undefined : decodeIncidentCursor(q.cursor, sort);
      } catch (error) {
        if (error instanceof InvalidFilter) throw invalidParam(error.parameter, 'query', error.reason);
        throw error;
      }
      const page = await listIncidents(db, filter, sort, q.limit ?? DEFAULT_INCIDENT_LIMIT, after);
      const items = page.rows.map((r) => toIncident(r, rules));
      const nextCursor = page.next ? encodeIncidentCursor(page.next) : null;
      reply.header('vary', 'Accept');
      if (wantsGeoJson(request.headers.accept)) {
        const collection: IncidentFeatureCollection = { type: 'FeatureCollection', features: items.map(toFeature), nextCursor };
        return reply.type(GEOJSON_CONTENT_TYPE).send(collection as never);
      }
      return reply.type('application/json').send({ items, nextCursor } as never);
    },
  );

  app.get(
    '/v1/incidents/:id',
    {
      config: { access: 'read' },
      schema: {
        summary: 'One incident with its sightings, evidence links and audit trail',
        tags: ['incidents'],
        params: IdParams,
        response: { 200: IncidentDetail, ...problemResponses(400, 401, 403, 404, 429, 500, 503) },
      },
    },
    async (request) => {
      const found = await detail(request.params.id.toLowerCase());
      if (!found) throw new HttpProblem(404, `incident ${request.params.id} does not exist`);
      return found;
    },
  );

  app.patch(
    '/v1/incidents/:id',
    {
      config: { access: 'operate' },
      schema: {
        summary: 'Change status, assignee or add a note',
        description:
          'Allowed status changes: ' +
          Object.entries(TRANSITIONS)
            .map(([from, to]) => `${from} → ${to.join(' | ')}`)
            .join('; ') +
          '. Any other change is a 409 (setting the current status again changes nothing). Every change is recorded in ' +
          "the incident's audit trail with the key that made it and the note.",
        tags: ['incidents'],
        params: IdParams,
        body: PatchBody,
        response: { 200: IncidentDetail, ...problemResponses(400, 401, 403, 404, 409, 429, 500, 503) },
      },
    },
    async (request) => {
      const id = request.params.id.toLowerCase();
      try {
        const changed = await changeIncident(db, id, request.body, actorOf(request));
        if (!changed) throw new HttpProblem(404, `incident ${request.params.id} does not exist`);
      } catch (error) {
        if (error instanceof TransitionError) throw new HttpProblem(409, error.message);
        throw error;
      }
      const found = await detail(id);
      if (!found) throw new HttpProblem(404, `incident ${request.params.id} does not exist`);
      return found;
    },
  );
};
