/**
 * `GET /v1/devices` (by id, filterable by state, keyset-paginated) and `GET /v1/devices/:id`
 * (with the most recent seq gaps).
 */
import { Identifier } from '@sightline/contracts';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import Type from 'typebox';
import type { Database } from '../../db/schema';
import { HttpProblem, invalidParam, problemResponses } from '../problem';
import { DeviceDetail, DeviceItem, toDeviceItem, toSeqGap } from '../schemas/device';

/** Page size when `limit` is not given, and the largest allowed. */
export const DEFAULT_DEVICE_LIMIT = 100;
export const MAX_DEVICE_LIMIT = 1000;

/** Most recent seq gaps shown per device. */
export const SEQ_GAPS_SHOWN = 100;

const ListQuery = Type.Object(
  {
    state: Type.Optional(
      Type.Union([Type.Literal('online'), Type.Literal('offline'), Type.Literal('stopped')], { description: 'only devices in this state' }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_DEVICE_LIMIT, default: DEFAULT_DEVICE_LIMIT, description: 'page size' })),
    cursor: Type.Optional(Type.String({ maxLength: 256, description: '`nextCursor` of the previous page (opaque)' })),
  },
  { additionalProperties: false },
);

const DevicePage = Type.Object({
  items: Type.Array(DeviceItem),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'pass as `cursor` for the next page; null on the last page' }),
});

/** Options of {@link deviceRoutes}. */
export interface DeviceRoutesOptions {
  db: Kysely<Database>;
}

/** The device routes as a Fastify plugin. */
export const deviceRoutes: FastifyPluginAsyncTypebox<DeviceRoutesOptions> = async (app, { db }) => {
  app.get(
    '/v1/devices',
    {
      config: { access: 'read' },
      schema: {
        summary: 'List devices',
        description:
          'Every device central has heard from, ordered by id: state from the status topic, versions from ' +
          'status/info, latest stats (spool drops included) and the message-counter gap totals.',
        tags: ['devices'],
        querystring: ListQuery,
        response: { 200: DevicePage, ...problemResponses(400, 500, 503) },
      },
    },
    async (request) => {
      const { state, cursor } = request.query;
      const limit = request.query.limit ?? DEFAULT_DEVICE_LIMIT;
      const after = cursor === undefined ? undefined : decodeIdCursor(cursor);
      if (cursor !== undefined && after === undefined) {
        throw invalidParam('cursor', 'query', 'is not a cursor this API returned; pass the nextCursor of the previous page or omit it');
      }
      let query = db.selectFrom('devices').selectAll();
      if (state !== undefined) query = query.where('state', '=', state);
      if (after !== undefined) query = query.where('id', '>', after);
      const rows = await query
        .orderBy('id')
        .limit(limit + 1)
        .execute();
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        items: page.map(toDeviceItem),
        nextCursor: rows.length > limit && last ? Buffer.from(last.id, 'utf8').toString('base64url') : null,
      };
    },
  );

  app.get(
    '/v1/devices/:id',
    {
      config: { access: 'read' },
      schema: {
        summary: 'One device by id, with its recent seq gaps',
        tags: ['devices'],
        params: Type.Object({ id: { ...Identifier, description: 'device id' } }),
        response: { 200: DeviceDetail, ...problemResponses(400, 404, 500, 503) },
      },
    },
    async (request) => {
      const row = await db.selectFrom('devices').selectAll().where('id', '=', request.params.id).executeTakeFirst();
      if (!row) throw new HttpProblem(404, `device ${request.params.id} is unknown: central has received nothing from it`);
      const gaps = await db
        .selectFrom('device_seq_gaps')
        .select(['first_seq', 'last_seq', 'detected_at'])
        .where('device_id', '=', row.id)
        .orderBy('first_seq', 'desc')
        .limit(SEQ_GAPS_SHOWN)
        .execute();
      return { ...toDeviceItem(row), seqGaps: gaps.map(toSeqGap) };
    },
  );
};

/** The device id inside a list cursor; undefined for anything this API did not produce. */
function decodeIdCursor(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(cursor)) return undefined;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  return /^[A-Za-z0-9_-]{1,64}$/.test(id) ? id : undefined;
}
