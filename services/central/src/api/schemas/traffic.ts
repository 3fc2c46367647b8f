/**
 * Traffic API shapes: the counts time series and FIWARE `TrafficFlowObserved` entities.
 */
import Type from 'typebox';
import { GROUP_DIMENSIONS } from '../../traffic/series';

/** One bucket of a series. */
export const SeriesPoint = Type.Object({
  start: Type.String({ format: 'date-time', description: 'bucket start (aligned to the width since 1970-01-01T00:00Z)' }),
  end: Type.String({ format: 'date-time', description: 'bucket end (exclusive)' }),
  count: Type.Integer({ minimum: 0, description: 'crossings in the bucket; 0 = watched and nothing crossed' }),
  intervals: Type.Integer({ minimum: 0, description: "device intervals reported inside the bucket (per line), to judge the bucket's completeness" }),
});

/** One series: counts of one combination of the grouped dimensions. */
export const TrafficSeries = Type.Object({
  key: Type.Object(Object.fromEntries(GROUP_DIMENSIONS.map((d) => [d, Type.Optional(Type.String())])), {
    description: 'the value of each grouped dimension (`class` is the detector label); `{}` when not grouped',
  }),
  total: Type.Integer({ minimum: 0 }),
  points: Type.Array(SeriesPoint, { description: 'covered buckets only, oldest first: a missing bucket means no data' }),
});

/** Response of `GET /v1/traffic/counts`. */
export const TrafficCounts = Type.Object({
  bucket: Type.String({ description: 'the bucket width as requested, e.g. `15m`' }),
  bucketSeconds: Type.Integer(),
  from: Type.String({ format: 'date-time', description: 'intervals starting at or after this time are included' }),
  to: Type.String({ format: 'date-time', description: 'intervals starting before this time are included' }),
  groupBy: Type.Array(Type.String()),
  series: Type.Array(TrafficSeries),
});

/** FIWARE Smart Data Models `TrafficFlowObserved`, key-values representation. */
export const TrafficFlowObservedEntity = Type.Object(
  {
    id: Type.String({ description: 'urn:ngsi-ld:TrafficFlowObserved:sightline:<device>:<camera>:<line>:<start>:<laneDirection>:<vehicleType>' }),
    type: Type.Literal('TrafficFlowObserved'),
    dateObserved: Type.String({ description: 'ISO 8601 interval `start/end`' }),
    dateObservedFrom: Type.String({ format: 'date-time' }),
    dateObservedTo: Type.String({ format: 'date-time' }),
    intensity: Type.Integer({ minimum: 0, description: 'vehicles crossing the line in the period' }),
    laneDirection: Type.Union([Type.Literal('forward'), Type.Literal('backward')], { description: 'in → forward, out → backward' }),
    vehicleType: Type.String({ description: 'car, bus, lorry (COCO truck), motorcycle or bicycle' }),
    name: Type.String(),
    description: Type.String(),
    dataProvider: Type.String(),
    location: Type.Optional(
      Type.Object({
        type: Type.Literal('Point'),
        coordinates: Type.Array(Type.Number(), { minItems: 2, maxItems: 2, description: '[longitude, latitude]' }),
      }),
    ),
  },
  { description: 'https://github.com/smart-data-models/dataModel.Transportation/tree/master/TrafficFlowObserved' },
);
