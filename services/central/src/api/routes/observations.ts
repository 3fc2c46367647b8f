/**
 * `GET /v1/observations` (filtered, newest first, keyset-paginated) and
 * `GET /v1/observations/:id`.
 */
import { Identifier } from '@sightline/contracts';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import Type from 'typebox';
import type { Database } from '../../db/schema';
import { decodeCursor, encodeCursor } from '../cursor';
import { HttpProblem, invalidParam, problemResponses } from '../problem';
import { ObservationItem, toObservationItem } from '../schemas/observation';

/** Page size when `limit` is not given, and the largest allowed. */
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

const ListQuery = Type.Object(
  {
    device: Type.Optional({ ...Identifier, description: 'only this device id' }),
    camera: Type.Optional({ ...Identifier, description: 'only this camera id' }),
    label: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'only this class label, e.g. `bus`' })),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'captured at or after (inclusive), RFC 3339 with offset' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'captured before (exclusive), RFC 3339 with offset' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT, description: 'page size' })),
    cursor: Type.Optional(Type.String({ maxLength: 256, description: '`nextCursor` of the previous page (opaque)' })),
  },
  { additionalProperties: false },
);

const ObservationPage = Type.Object({
  items: Type.Array(ObservationItem),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'pass as `cursor` for the next page; null on the last page' }),
});

/** Options of {@link observationRoutes}. */
export interface ObservationRoutesOptions {
  db: Kysely<Database>;
}

/** The observation routes as a Fastify plugin. */
export const observationRoutes: FastifyPluginAsyncTypebox<ObservationRoutesOptions> = async (app, { db }) => {
  app.get(
    '/v1/observations',
    {
      config: { access: 'read' },
      schema: {
        summary: 'List observations, newest first',
        description:
          'Observations ordered by capture time (newest first), filtered by device, camera, label and ' +
          'capture time range. Page with `limit` and the opaque `nextCursor`; pages never repeat or skip rows.',
        tags: ['observations'],
        querystring: ListQuery,
        response: { 200: ObservationPage, ...problemResponses(400, 500, 503) },
      },
    },
    async (request) => {
      const { device, camera, label, from, to, cursor } = request.query;
      const limit = request.query.limit ?? DEFAULT_LIMIT;
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      if (cursor !== undefined && after === undefined) {
        throw invalidParam('cursor', 'query', 'is not a cursor this API returned; pass the nextCursor of the previous page or omit it');
      }
      const fromDate = from === undefined ? undefined : parseTime('from', from);
      const toDate = to === undefined ? undefined : parseTime('to', to);
      if (fromDate !== undefined && toDate !== undefined && toDate < fromDate) {
        throw invalidParam('to', 'query', `must not be before from (${from}); the range is from <= capturedAt < to`);
      }

      let query = db.selectFrom('observations').selectAll();
      if (device !== undefined) query = query.where('device_id', '=', device);
      if (camera !== undefined) query = query.where('camera_id', '=', camera);
      if (label !== undefined) query = query.where('label', '=', label);
      if (fromDate !== undefined) query = query.where('captured_at', '>=', fromDate);
      if (toDate !== undefined) query = query.where('captured_at', '<', toDate);
      if (after !== undefined) {
        query = query.where((eb) => eb(eb.refTuple('captured_at', 'id'), '<', eb.tuple(after.capturedAt, after.id)));
      }
      const rows = await query
        .orderBy('captured_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();

      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        items: page.map(toObservationItem),
        nextCursor: rows.length > limit && last ? encodeCursor({ capturedAt: last.captured_at, id: last.id }) : null,
      };
    },
  );

  app.get(
    '/v1/observations/:id',
    {
      config: { access: 'read' },
      schema: {
        summary: 'One observation by id',
        tags: ['observations'],
        params: Type.Object({ id: Type.String({ format: 'uuid', description: 'observation id' }) }),
        response: { 200: ObservationItem, ...problemResponses(400, 404, 500, 503) },
      },
    },
    async (request) => {
      const row = await db.selectFrom('observations').selectAll().where('id', '=', request.params.id.toLowerCase()).executeTakeFirst();
      if (!row) throw new HttpProblem(404, `observation ${request.params.id} does not exist`);
      return toObservationItem(row);
    },
  );
};

/** RFC 3339 text (already format-checked) to a Date; 400 naming `name` if out of range. */
function parseTime(name: string, text: string): Date {
  const date = new Date(text);
  if (!Number.isFinite(date.getTime())) throw invalidParam(name, 'query', `"${text}" is not a representable time`);
  return date;
}
