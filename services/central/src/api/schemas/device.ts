/**
 * The device as the API serves it (one shape for validation, serialisation and OpenAPI), and the
 * mapping from a `devices` row.
 */
import { Identifier } from '@sightline/contracts';
import Type, { type Static } from 'typebox';
import type { DeviceRow, DeviceSeqGapRow } from '../../db/schema';

const Nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** The device's latest health report (its last `stats` message by `sentAt`). */
export const DeviceStats = Type.Object({
  sentAt: Type.String({ format: 'date-time', description: 'when the device sent the report' }),
  startedAt: Type.String({ format: 'date-time', description: 'when the agent started; counters are totals since then' }),
  frames: Type.Object({
    in: Type.Integer({ description: 'frames read from the sources' }),
    processed: Type.Integer({ description: 'frames through the detector' }),
    dropped: Type.Integer({ description: 'frames skipped to keep up, or unreadable' }),
  }),
  fps: Type.Number({ description: 'processed frames per second over the last period' }),
  inferenceMs: Type.Object({ p50: Type.Number(), p95: Type.Number() }),
  spool: Type.Object({
    depth: Type.Integer({ description: 'messages waiting on the device for a broker acknowledgement' }),
    bytes: Type.Integer(),
    dropped: Type.Integer({ description: 'oldest messages the device dropped because its spool was full' }),
  }),
  reconnects: Type.Integer({ description: 'broker reconnections since the agent started' }),
});

/** One device. */
export const DeviceItem = Type.Object({
  id: Identifier,
  state: Nullable(
    Type.Union([Type.Literal('online'), Type.Literal('offline'), Type.Literal('stopped')], {
      description: '`online`, `offline` (lost without saying goodbye: the broker published its Last Will) or `stopped` (clean shutdown); null when no status arrived yet',
    }),
  ),
  stateChangedAt: Nullable(Type.String({ format: 'date-time', description: 'when central received the status that set the current state' })),
  firstSeen: Type.String({ format: 'date-time', description: 'first message received from the device' }),
  lastSeen: Type.String({ format: 'date-time', description: 'latest live message of any kind received from the device' }),
  software: Nullable(Type.Object({ name: Type.String(), version: Type.String() }, { description: 'from status/info' })),
  model: Nullable(Type.String({ description: 'detector model id, from status/info' })),
  cameras: Type.Array(Identifier, { description: 'camera ids, from status/info' }),
  startedAt: Nullable(Type.String({ format: 'date-time', description: 'agent start time, from status/info' })),
  stats: Nullable(DeviceStats),
  seq: Type.Object(
    {
      last: Nullable(Type.Integer({ description: 'highest message counter received' })),
      missing: Type.Integer({ description: 'counter values not received (lost, dead-lettered or still late)' }),
      gaps: Type.Integer({ description: 'separate missing ranges' }),
    },
    { description: "the device's message counter, which stamps observations, traffic counts and stats alike" },
  ),
});

/** One missing range of the device's message counter. */
export const SeqGap = Type.Object({
  from: Type.Integer({ description: 'first missing seq (inclusive)' }),
  to: Type.Integer({ description: 'last missing seq (inclusive)' }),
  count: Type.Integer(),
  detectedAt: Type.String({ format: 'date-time', description: 'when central noticed the gap' }),
});

/** A device with its most recent missing seq ranges. */
export const DeviceDetail = Type.Intersect([
  DeviceItem,
  Type.Object({ seqGaps: Type.Array(SeqGap, { description: 'the most recent missing ranges, newest first (at most 100)' }) }),
]);

export type DeviceItem = Static<typeof DeviceItem>;
export type DeviceDetail = Static<typeof DeviceDetail>;

/** The API form of a `devices` row. */
export function toDeviceItem(row: DeviceRow): DeviceItem {
  const stats = row.stats;
  return {
    id: row.id,
    state: row.state,
    stateChangedAt: row.state_changed_at?.toISOString() ?? null,
    firstSeen: row.first_seen.toISOString(),
    lastSeen: row.last_seen.toISOString(),
    software: row.software_name !== null && row.software_version !== null ? { name: row.software_name, version: row.software_version } : null,
    model: row.model,
    cameras: row.cameras ?? [],
    startedAt: row.started_at?.toISOString() ?? null,
    stats: stats
      ? {
          sentAt: stats.sentAt,
          startedAt: stats.startedAt,
          frames: stats.frames,
          fps: stats.fps,
          inferenceMs: stats.inferenceMs,
          spool: stats.spool,
          reconnects: stats.reconnects,
        }
      : null,
    seq: { last: row.last_seq, missing: row.seq_missing, gaps: row.seq_gaps },
  };
}

/** The API form of a `device_seq_gaps` row. */
export function toSeqGap(row: Pick<DeviceSeqGapRow, 'first_seq' | 'last_seq' | 'detected_at'>): Static<typeof SeqGap> {
  return { from: row.first_seq, to: row.last_seq, count: row.last_seq - row.first_seq + 1, detectedAt: row.detected_at.toISOString() };
}
