/**
 * `GET /v1/traffic/counts` (line-crossing counts as time series re-bucketed to a width) and
 * `GET /v1/traffic/flows` (the same as FIWARE `TrafficFlowObserved` entities).
 */
import { Identifier } from '@sightline/contracts';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import Type from 'typebox';
import type { Database } from '../../db/schema';
import { bucketCount, MAX_BUCKETS, parseBucket } from '../../traffic/buckets';
import { trafficFlows } from '../../traffic/fiware';
import { GROUP_DIMENSIONS, trafficSeries, type GroupDimension, type TrafficFilter } from '../../traffic/series';
import { invalidParam, problemResponses } from '../problem';
import { TrafficCounts, TrafficFlowObservedEntity } from '../schemas/traffic';

/** Bucket width when `bucket` is not given. */
export const DEFAULT_BUCKET = '15m';
/** Range when `from` is not given: this long before `to`. */
export const DEFAULT_RANGE_MS = 24 * 3600 * 1000;
/** `groupBy` when not given. */
export const DEFAULT_GROUP_BY = 'class,direction';
/** Flow entities per page when `limit` is not given, and the most allowed. */
export const DEFAULT_FLOW_LIMIT = 1000;
export const MAX_FLOW_LIMIT = 10_000;

const RangeParams = {
  device: Type.Optional({ ...Identifier, description: 'only this device id' }),
  camera: Type.Optional({ ...Identifier, description: 'only this camera id' }),
  line: Type.Optional({ ...Identifier, description: 'only this counting line id' }),
  from: Type.Optional(
    Type.String({ format: 'date-time', description: 'intervals starting at or after (RFC 3339 with offset); default `to` minus 24 h' }),
  ),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'intervals starting before (exclusive); default now' })),
  bucket: Type.Optional(
    Type.String({
      maxLength: 16,
      description: `bucket width: whole minutes from 1m to 1d dividing 24 h (e.g. 5m, 15m, 1h, 1d); default ${DEFAULT_BUCKET}. Buckets align to multiples of the width since 1970-01-01T00:00Z`,
    }),
  ),
};

const CountsQuery = Type.Object(
  {
    ...RangeParams,
    groupBy: Type.Optional(
      Type.String({
        maxLength: 64,
        description: `comma-separated dimensions to split series by: ${GROUP_DIMENSIONS.join(', ')}; empty = one total series; default ${DEFAULT_GROUP_BY}`,
      }),
    ),
  },
  { additionalProperties: false },
);

const FlowsQuery = Type.Object(
  {
    ...RangeParams,
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_FLOW_LIMIT, default: DEFAULT_FLOW_LIMIT, description: 'entities per page' })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'entities to skip' })),
  },
  { additionalProperties: false },
);

/** Options of {@link trafficRoutes}. */
export interface TrafficRoutesOptions {
  db: Kysely<Database>;
}

/** The traffic routes as a Fastify plugin. */
export const trafficRoutes: FastifyPluginAsyncTypebox<TrafficRoutesOptions> = async (app, { db }) => {
  app.get(
    '/v1/traffic/counts',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Line-crossing counts as time series',
        description:
          'Counts of the counting lines re-bucketed to `bucket` and split into one series per value of the ' +
          '`groupBy` dimensions. A point is present for every bucket in which the series\' line(s) reported ' +
          '(count 0 = watched, nothing crossed); a missing bucket means no data. An interval counts in the ' +
          'bucket that contains its start; a re-delivered device message never counts twice.',
        tags: ['traffic'],
        querystring: CountsQuery,
        response: { 200: TrafficCounts, ...problemResponses(400, 500, 503) },
      },
    },
    async (request) => {
      const filter = rangeFilter(request.query);
      const groupBy = parseGroupBy(request.query.groupBy ?? DEFAULT_GROUP_BY);
      const series = await trafficSeries(db, filter, groupBy);
      return {
        bucket: request.query.bucket ?? DEFAULT_BUCKET,
        bucketSeconds: filter.bucketSeconds,
        from: filter.from.toISOString(),
        to: filter.to.toISOString(),
        groupBy: GROUP_DIMENSIONS.filter((d) => groupBy.includes(d)),
        series,
      };
    },
  );

  app.get(
    '/v1/traffic/flows',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Vehicle flows as FIWARE TrafficFlowObserved entities',
        description:
          'The counts per device, camera, line, bucket, direction and vehicle type as FIWARE Smart Data Models ' +
          '`TrafficFlowObserved` entities (key-values representation): `intensity` = vehicles in the bucket, ' +
          '`laneDirection` in → forward and out → backward, `vehicleType` from the COCO class (car → car, bus → bus, ' +
          'truck → lorry, motorcycle → motorcycle, bicycle → bicycle). Non-vehicle classes (person, ...) are not ' +
          'included. `location` is the camera position from its latest observation, when known.',
        tags: ['traffic'],
        querystring: FlowsQuery,
        response: { 200: Type.Array(TrafficFlowObservedEntity), ...problemResponses(400, 500, 503) },
      },
    },
    async (request) => {
      const filter = rangeFilter(request.query);
      return trafficFlows(db, filter, { limit: request.query.limit ?? DEFAULT_FLOW_LIMIT, offset: request.query.offset ?? 0 });
    },
  );
};

/** The filter from the range parameters, with defaults; 400 naming the parameter when wrong. */
function rangeFilter(query: { device?: string; camera?: string; line?: string; from?: string; to?: string; bucket?: string }): TrafficFilter {
  const bucket = parseBucket(query.bucket ?? DEFAULT_BUCKET);
  if (!bucket.ok) throw invalidParam('bucket', 'query', bucket.reason);
  const to = query.to === undefined ? new Date() : parseTime('to', query.to);
  const from = query.from === undefined ? new Date(to.getTime() - DEFAULT_RANGE_MS) : parseTime('from', query.from);
  if (to <= from) throw invalidParam('to', 'query', `must be after from (${from.toISOString()}); the range is from <= intervalStart < to`);
  const buckets = bucketCount(from, to, bucket.seconds);
  if (buckets > MAX_BUCKETS) {
    throw invalidParam(
      'bucket',
      'query',
      `${query.bucket ?? DEFAULT_BUCKET} buckets over ${from.toISOString()}..${to.toISOString()} are ${buckets}, more than ${MAX_BUCKETS}; choose a wider bucket or a shorter range`,
    );
  }
  return {
    from,
    to,
    bucketSeconds: bucket.seconds,
    ...(query.device !== undefined ? { device: query.device } : {}),
    ...(query.camera !== undefined ? { camera: query.camera } : {}),
    ...(query.line !== undefined ? { line: query.line } : {}),
  };
}

/** `class,direction` → the dimensions; 400 naming `groupBy` for an unknown one. */
function parseGroupBy(text: string): GroupDimension[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = names.filter((n) => !(GROUP_DIMENSIONS as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw invalidParam('groupBy', 'query', `${unknown.map((u) => `"${u}"`).join(', ')} is not a dimension; use a comma-separated list of ${GROUP_DIMENSIONS.join(', ')} (or empty)`);
  }
  return names as GroupDimension[];
}

/** RFC 3339 text (already format-checked) to a Date; 400 naming `name` if out of range. */
function parseTime(name: string, text: string): Date {
  const date = new Date(text);
  if (!Number.isFinite(date.getTime())) throw invalidParam(name, 'query', `"${text}" is not a representable time`);
  return date;
}
