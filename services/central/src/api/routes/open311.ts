/**
 * The Open311 GeoReport v2 read side, JSON format: incidents as service requests, so 311 apps,
 * dashboards and city CRMs that speak GeoReport can show them.
 *
 * | route | GeoReport method |
 * |---|---|
 * | `GET /open311/v2/services.json` | GET Service List: one service per incident-raising category |
 * | `GET /open311/v2/requests.json` | GET Service Requests (filters `service_request_id`, `service_code`, `start_date`, `end_date`, `status`; `page`/`page_size` extension) |
 * | `GET /open311/v2/requests/{id}.json` | GET Service Request |
 * | `GET /open311/v2/media/{observationId}.jpg` | the `media_url` of a request: the redacted evidence JPEG of its latest sighting |
 *
 * Mapping: `service_code` = category (`dumping.furniture.couch`), `service_name` = its title;
 * status `open` = open or acknowledged, `closed` = resolved or dismissed; `status_notes` = the
 * latest note of the incident's audit trail; `requested_datetime` = first seen,
 * `updated_datetime` = last change, both ISO 8601 with a `+00:00` offset; `address`,
 * `address_id`, `zipcode` are null (no geocoder); `agency_responsible` is the configured agency
 * (`SIGHTLINE_OPEN311_AGENCY`) or null; `service_notice`, `expected_datetime` are null.
 *
 * Not implemented: XML (`.xml`), POST Service Request, GET Service Definition (no service has
 * metadata), tokens. `jurisdiction_id` is accepted and ignored (one jurisdiction per deployment).
 * Errors follow GeoReport v2: a JSON array `[{ "code": 400, "description": "..." }]`.
 *
 * These routes are public by default, as Open311 servers usually are (`SIGHTLINE_OPEN311_PUBLIC=false`
 * requires a read key): they publish what a city would publish anyway — category, position, times,
 * status — and the evidence JPEGs are redacted on the device.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { sql, type SelectQueryBuilder } from 'kysely';
import Type, { type Static } from 'typebox';
import type { Database } from '../../db/schema';
import type { IncidentRow, IncidentStatus } from '../../db/schema-incidents';
import type { EvidenceStore } from '../../evidence/store';
import type { CategoryRules } from '../../incidents/rules';
import type { Access } from '../auth';
import { HttpProblem, invalidParam } from '../problem';
import { sendEvidence } from './evidence';

/** Requests per page when `page_size` is not given (the GeoReport default limit), and the most allowed. */
export const DEFAULT_OPEN311_PAGE_SIZE = 1000;
/** Default `start_date` span when no date is given: 90 days (GeoReport v2). */
export const DEFAULT_OPEN311_SPAN_MS = 90 * 24 * 3600 * 1000;

export const Open311Service = Type.Object({
  service_code: Type.String({ description: 'the category, e.g. dumping.furniture.couch' }),
  service_name: Type.String(),
  description: Type.String(),
  metadata: Type.Boolean({ description: 'always false: no extra attributes' }),
  type: Type.Literal('realtime'),
  keywords: Type.String({ description: 'comma-separated category levels' }),
  group: Type.String({ description: 'the first category level, e.g. dumping, road' }),
});

export const Open311Request = Type.Object({
  service_request_id: Type.String({ description: 'incident id' }),
  status: Type.Union([Type.Literal('open'), Type.Literal('closed')]),
  status_notes: Type.Union([Type.String(), Type.Null()]),
  service_name: Type.String(),
  service_code: Type.String(),
  description: Type.String(),
  agency_responsible: Type.Union([Type.String(), Type.Null()]),
  service_notice: Type.Union([Type.String(), Type.Null()]),
  requested_datetime: Type.String({ description: 'first sighting, ISO 8601 with offset' }),
  updated_datetime: Type.String({ description: 'last change, ISO 8601 with offset' }),
  expected_datetime: Type.Union([Type.String(), Type.Null()]),
  address: Type.Union([Type.String(), Type.Null()]),
  address_id: Type.Union([Type.String(), Type.Null()]),
  zipcode: Type.Union([Type.String(), Type.Null()]),
  lat: Type.Number(),
  long: Type.Number(),
  media_url: Type.Union([Type.String(), Type.Null()], { description: "URL of the latest sighting's redacted JPEG" }),
});
export type Open311Request = Static<typeof Open311Request>;

const Open311Error = Type.Array(Type.Object({ code: Type.Integer(), description: Type.String() }), {
  description: 'GeoReport v2 error list',
});
const errors = Object.fromEntries(
  [400, 401, 403, 404, 429, 500, 503].map((code) => [code, { description: 'GeoReport v2 error', content: { 'application/json': { schema: Open311Error } } }]),
);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Options of {@link open311Routes}. */
export interface Open311RoutesOptions {
  db: Kysely<Database>;
  rules: CategoryRules;
  store: EvidenceStore;
  /** Public (default) or behind a read key. */
  access: Access;
  /** `agency_responsible` of every request (default null). */
  agency?: string;
  /** Base of `media_url` (e.g. `https://sightline.city.example`); default: from the request's Host. */
  publicUrl?: string;
}

/** ISO 8601 with an explicit `+00:00` offset, second precision, as GeoReport's examples. */
export function open311Time(date: Date): string {
  return `${date.toISOString().slice(0, 19)}+00:00`;
}

const OPEN_STATUSES: readonly IncidentStatus[] = ['open', 'acknowledged'];
const CLOSED_STATUSES: readonly IncidentStatus[] = ['resolved', 'dismissed'];

/** The Open311 routes as a Fastify plugin (with GeoReport's error format). */
export const open311Routes: FastifyPluginAsyncTypebox<Open311RoutesOptions> = async (app, options) => {
  const { db, rules, store, access } = options;

  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const status = error instanceof HttpProblem ? error.status : typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'open311 request failed');
    const description = status >= 500 ? `the server failed to answer; see its log for request ${request.id}` : error instanceof HttpProblem ? error.detail : error.message;
    return reply.code(status).type('application/json').send([{ code: status, description }]);
  });

  const baseUrl = (request: FastifyRequest): string => options.publicUrl?.replace(/\/+$/, '') ?? `${request.protocol}://${request.host}`;

  const toRequest = (row: IncidentRow & { status_note: string | null; has_evidence: boolean }, base: string): Open311Request => {
    const rule = rules.rule(row.category);
    const title = rule?.title ?? row.category;
    const times = row.sighting_count === 1 ? 'once' : `${row.sighting_count} times`;
    return {
      service_request_id: row.id,
      status: CLOSED_STATUSES.includes(row.status) ? 'closed' : 'open',
      status_notes: row.status_note ?? (row.status === 'dismissed' ? 'dismissed' : row.status === 'resolved' ? 'resolved' : null),
      service_name: title,
      service_code: row.category,
      description: `${title}: seen ${times} by street cameras between ${row.first_seen.toISOString()} and ${row.last_seen.toISOString()} (best detection score ${row.max_score.toFixed(2)})`,
      agency_responsible: options.agency ?? null,
      service_notice: null,
      requested_datetime: open311Time(row.first_seen),
      updated_datetime: open311Time(row.updated_at),
      expected_datetime: null,
      address: null,
      address_id: null,
      zipcode: null,
      lat: row.lat,
      long: row.lon,
      media_url: row.has_evidence ? `${base}/open311/v2/media/${row.last_observation_id}.jpg` : null,
    };
  };

  /** The selected incidents with their latest note and evidence flag (computed for the page only). */
  const withExtras = (page: SelectQueryBuilder<Database, 'incidents', IncidentRow>) =>
    db
      .selectFrom(page.as('page'))
      .selectAll('page')
      .select([
        sql<string | null>`(select ev.note from incident_events ev where ev.incident_id = page.id and ev.note is not null order by ev.id desc limit 1)`.as('status_note'),
        sql<boolean>`exists (select 1 from evidence e where e.observation_id = page.last_observation_id and e.verified)`.as('has_evidence'),
      ])
      .orderBy('page.first_seen', 'desc')
      .orderBy('page.id', 'desc');

  app.get(
    '/open311/v2/services.json',
    {
      config: { access },
      schema: {
        summary: 'GeoReport v2: service list',
        description: 'One service per category that raises incidents (service_code = category).',
        tags: ['open311'],
        querystring: Type.Object({ jurisdiction_id: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false }),
        response: { 200: Type.Array(Open311Service), ...errors },
      },
    },
    async () =>
      rules.incidentCategories().map(({ category, rule }) => ({
        service_code: category,
        service_name: rule.title,
        description: rule.description ?? rule.title,
        metadata: false,
        type: 'realtime' as const,
        keywords: category.split('.').join(', '),
        group: category.split('.')[0]!,
      })),
  );

  app.get(
    '/open311/v2/requests.json',
    {
      config: { access },
      schema: {
        summary: 'GeoReport v2: service requests (incidents)',
        description:
          'Incidents as service requests, newest first. With `service_request_id` (comma-separated) every other filter is ' +
          'ignored. Without dates: the last 90 days. `start_date`/`end_date` filter requested_datetime (first sighting). ' +
          '`status`: open, closed or open,closed. Extension: `page` (from 1) and `page_size` (1..1000, default 1000).',
        tags: ['open311'],
        querystring: Type.Object(
          {
            jurisdiction_id: Type.Optional(Type.String({ maxLength: 200 })),
            service_request_id: Type.Optional(Type.String({ maxLength: 4000 })),
            service_code: Type.Optional(Type.String({ maxLength: 2000 })),
            start_date: Type.Optional(Type.String({ format: 'date-time' })),
            end_date: Type.Optional(Type.String({ format: 'date-time' })),
            status: Type.Optional(Type.String({ maxLength: 20 })),
            page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 1 })),
            page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: DEFAULT_OPEN311_PAGE_SIZE, default: DEFAULT_OPEN311_PAGE_SIZE })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(Open311Request), ...errors },
      },
    },
    async (request) => {
      const q = request.query;
      let query = db.selectFrom('incidents').selectAll('incidents');
      if (q.service_request_id !== undefined) {
        const ids = q.service_request_id.split(',').map((s) => s.trim().toLowerCase());
        const bad = ids.find((id) => !UUID.test(id));
        if (bad !== undefined) throw invalidParam('service_request_id', 'query', `"${bad.slice(0, 40)}" is not a service request id (a UUID); separate several with commas`);
        query = query.where('id', 'in', ids);
      } else {
        if (q.service_code !== undefined) {
          const codes = q.service_code.split(',').map((s) => s.trim());
          const known = new Set(rules.incidentCategories().map((c) => c.category));
          const bad = codes.find((c) => !known.has(c));
          if (bad !== undefined) throw invalidParam('service_code', 'query', `"${bad.slice(0, 80)}" is not a service code; see services.json`);
          query = query.where('category', 'in', codes);
        }
        const end = q.end_date === undefined ? undefined : new Date(q.end_date);
        const start = q.start_date !== undefined ? new Date(q.start_date) : end === undefined ? new Date(Date.now() - DEFAULT_OPEN311_SPAN_MS) : undefined;
        if (start && !Number.isFinite(start.getTime())) throw invalidParam('start_date', 'query', 'is not a representable time');
        if (end && !Number.isFinite(end.getTime())) throw invalidParam('end_date', 'query', 'is not a representable time');
        if (start && end && end < start) throw invalidParam('end_date', 'query', 'must not be before start_date');
        if (start) query = query.where('first_seen', '>=', start);
        if (end) query = query.where('first_seen', '<=', end);
        if (q.status !== undefined) {
          const wanted = q.status.split(',').map((s) => s.trim());
          if (wanted.length === 0 || wanted.some((s) => s !== 'open' && s !== 'closed')) {
            throw invalidParam('status', 'query', `must be open, closed or open,closed; got "${q.status.slice(0, 40)}"`);
          }
          const statuses = [...(wanted.includes('open') ? OPEN_STATUSES : []), ...(wanted.includes('closed') ? CLOSED_STATUSES : [])];
          query = query.where('status', 'in', statuses);
        }
      }
      const size = q.page_size ?? DEFAULT_OPEN311_PAGE_SIZE;
      const rows = await withExtras(
        query
          .orderBy('first_seen', 'desc')
          .orderBy('id', 'desc')
          .limit(size)
          .offset(((q.page ?? 1) - 1) * size),
      ).execute();
      const base = baseUrl(request);
      return rows.map((r) => toRequest(r, base));
    },
  );

  app.get(
    '/open311/v2/requests/:id',
    {
      config: { access },
      schema: {
        summary: 'GeoReport v2: one service request',
        description: 'Path `/open311/v2/requests/{service_request_id}.json`; the answer is a one-element array, as in GeoReport v2.',
        tags: ['open311'],
        params: Type.Object({ id: Type.String({ maxLength: 64, description: '`{service_request_id}.json`' }) }),
        querystring: Type.Object({ jurisdiction_id: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false }),
        response: { 200: Type.Array(Open311Request), ...errors },
      },
    },
    async (request) => {
      const match = /^([0-9a-f-]{36})\.json$/i.exec(request.params.id);
      if (!match || !UUID.test(match[1]!)) throw invalidParam('service_request_id', 'path', 'must be {service_request_id}.json with the incident id (a UUID)');
      const row = await withExtras(db.selectFrom('incidents').selectAll('incidents').where('id', '=', match[1]!.toLowerCase())).executeTakeFirst();
      if (!row) throw new HttpProblem(404, `service request ${match[1]} does not exist`);
      return [toRequest(row, baseUrl(request))];
    },
  );

  app.get(
    '/open311/v2/media/:file',
    {
      config: { access },
      schema: {
        summary: "A service request's media: the redacted evidence JPEG of a sighting",
        tags: ['open311'],
        params: Type.Object({ file: Type.String({ maxLength: 64, description: '`{observationId}.jpg`' }) }),
        response: {
          200: { description: 'the JPEG', content: { 'image/jpeg': { schema: Type.String({ contentEncoding: 'binary' }) } } },
          304: { description: 'not modified', type: 'null' },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const match = /^([0-9a-f-]{36})\.jpg$/i.exec(request.params.file);
      if (!match || !UUID.test(match[1]!)) throw invalidParam('file', 'path', 'must be {observationId}.jpg');
      return sendEvidence(db, store, match[1]!.toLowerCase(), request.headers['if-none-match'], reply, { onlyIncidents: true });
    },
  );
};
