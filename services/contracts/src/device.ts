import Type from 'typebox';
import { Seq, Text, Timestamp } from './limits';
import { Identifier } from './observation';

/**
 * Payload of the retained `sightline/v1/{deviceId}/status` topic: plain text `online` (on every
 * connect), `stopped` (clean shutdown) or `offline` (the broker's Last Will for an unclean loss).
 */
export const DEVICE_STATES = ['online', 'offline', 'stopped'] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];

/** Retained JSON on `sightline/v1/{deviceId}/status/info`: what the device runs. */
export const StatusInfoMessage = Type.Object(
  {
    deviceId: Identifier,
    /** When the agent process started, UTC ISO 8601. */
    startedAt: Timestamp,
    software: Type.Optional(Type.Object({ name: Text({ maxLength: 128 }), version: Text({ maxLength: 64 }) })),
    model: Type.Optional(Text({ maxLength: 128 })),
    cameras: Type.Optional(Type.Array(Identifier)),
  },
  { $id: 'StatusInfoMessage' },
);

/**
 * Payload of `sightline/v1/{deviceId}/stats`: the agent's health, sent every N seconds.
 * Counters are totals since the agent started (`startedAt`); times in ms.
 */
export const StatsMessage = Type.Object(
  {
    schema: Type.Literal('sightline/v1/stats'),
    id: Type.String({ format: 'uuid' }),
    seq: Seq,
    deviceId: Identifier,
    sentAt: Timestamp,
    startedAt: Timestamp,
    frames: Type.Object(
      {
        in: Type.Integer({ minimum: 0, description: 'frames read from the sources' }),
        processed: Type.Integer({ minimum: 0, description: 'frames through the detector' }),
        dropped: Type.Integer({ minimum: 0, description: 'frames skipped to keep up, or unreadable' }),
      },
      { additionalProperties: false },
    ),
    fps: Type.Number({ minimum: 0, description: 'processed frames per second over the last period' }),
    inferenceMs: Type.Object({ p50: Type.Number({ minimum: 0 }), p95: Type.Number({ minimum: 0 }) }, { additionalProperties: false }),
    spool: Type.Object(
      {
        depth: Type.Integer({ minimum: 0, description: 'messages waiting for a broker acknowledgement' }),
        bytes: Type.Integer({ minimum: 0 }),
        dropped: Type.Integer({ minimum: 0, description: 'oldest messages dropped because the spool was full' }),
      },
      { additionalProperties: false },
    ),
    reconnects: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false, $id: 'StatsMessage' },
);

export type StatusInfoMessage = Type.Static<typeof StatusInfoMessage>;
export type StatsMessage = Type.Static<typeof StatsMessage>;
