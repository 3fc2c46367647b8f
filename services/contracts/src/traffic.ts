import Type from 'typebox';
import { Count, Seq, Text, Timestamp } from './limits';
import { Identifier } from './observation';

/** Direction of a line crossing relative to the line's start → end vector (see README, "Line crossing"). */
export const Direction = Type.Union([Type.Literal('in'), Type.Literal('out')]);

/**
 * Payload of `sightline/v1/{deviceId}/traffic`: the crossings of one counting line during one
 * clock-aligned interval, by class and direction. An interval with no crossings is still sent
 * (empty `counts`) so "zero vehicles" is distinguishable from "no data".
 *
 * Idempotency: the central side keys a count by (device, camera, line, intervalStart, class,
 * direction) and a redelivered message (same `id`) changes nothing.
 */
export const TrafficCountMessage = Type.Object(
  {
    schema: Type.Literal('sightline/v1/traffic'),
    id: Type.String({ format: 'uuid' }),
    seq: Seq,
    deviceId: Identifier,
    cameraId: Identifier,
    lineId: Identifier,
    /** Interval start, UTC ISO 8601, aligned to a multiple of `intervalSeconds` since the epoch. */
    intervalStart: Timestamp,
    intervalSeconds: Type.Integer({ minimum: 1, maximum: 86_400 }),
    counts: Type.Array(
      Type.Object(
        {
          label: Text({ minLength: 1, maxLength: 64 }),
          direction: Direction,
          count: Count(),
        },
        { additionalProperties: false },
      ),
      { maxItems: 1000 },
    ),
  },
  { additionalProperties: false, $id: 'TrafficCountMessage' },
);

export type Direction = Type.Static<typeof Direction>;
export type TrafficCountMessage = Type.Static<typeof TrafficCountMessage>;
