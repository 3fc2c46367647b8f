/**
 * The observation as the API serves it: one shape, used for response validation/serialisation and
 * the OpenAPI document, plus the mapping from an `observations` row.
 */
import { Identifier } from '@sightline/contracts';
import Type, { type Static } from 'typebox';
import type { ObservationRow } from '../../db/schema';

export const ObservationPosition = Type.Object({
  lat: Type.Number({ description: 'WGS 84 latitude, degrees' }),
  lon: Type.Number({ description: 'WGS 84 longitude, degrees' }),
  accuracyM: Type.Optional(Type.Number({ description: 'horizontal accuracy, metres' })),
  headingDeg: Type.Optional(Type.Number({ description: 'degrees clockwise from true north' })),
  source: Type.String({ description: '`fixed`, `gps` or `exif`' }),
});

export const ObservationItem = Type.Object({
  id: Type.String({ format: 'uuid', description: 'observation id (UUIDv7, from the device)' }),
  messageId: Type.String({ format: 'uuid', description: 'id of the MQTT message it came in' }),
  seq: Type.Integer({ description: "the device's message counter" }),
  deviceId: Identifier,
  cameraId: Identifier,
  capturedAt: Type.String({ format: 'date-time', description: 'frame capture time, UTC' }),
  receivedAt: Type.String({ format: 'date-time', description: 'when central received the message, UTC' }),
  label: Type.String({ description: 'class label, e.g. `bus`' }),
  classId: Type.Integer({ description: 'class index of the model' }),
  score: Type.Number({ minimum: 0, maximum: 1, description: 'detection confidence' }),
  box: Type.Array(Type.Number(), {
    minItems: 4,
    maxItems: 4,
    description: '[x1, y1, x2, y2] in pixels of the original, EXIF-oriented frame',
  }),
  frame: Type.Object({
    width: Type.Integer({ description: 'pixels' }),
    height: Type.Integer({ description: 'pixels' }),
    source: Type.Optional(Type.String({ description: 'file name or stream the frame came from' })),
  }),
  modelId: Type.String({ description: 'model that produced the detection' }),
  position: Type.Optional(ObservationPosition),
  category: Type.Optional(Type.String({ description: "taxonomy category the device assigned, e.g. dumping.furniture.couch" })),
  evidenceAnnounced: Type.Optional(
    Type.Boolean({ description: 'the device announced an evidence JPEG (served at /v1/observations/{id}/evidence.jpg once it arrived and matched)' }),
  ),
});

export type ObservationItem = Static<typeof ObservationItem>;

/** The API form of a stored observation. Absent optional columns are omitted, not null. */
export function toObservationItem(row: ObservationRow): ObservationItem {
  const item: ObservationItem = {
    id: row.id,
    messageId: row.message_id,
    seq: row.seq,
    deviceId: row.device_id,
    cameraId: row.camera_id,
    capturedAt: row.captured_at.toISOString(),
    receivedAt: row.received_at.toISOString(),
    label: row.label,
    classId: row.class_id,
    score: row.score,
    box: [row.box_x1, row.box_y1, row.box_x2, row.box_y2],
    frame: {
      width: row.frame_width,
      height: row.frame_height,
      ...(row.frame_source !== null ? { source: row.frame_source } : {}),
    },
    modelId: row.model_id,
    ...(row.category !== null ? { category: row.category } : {}),
    ...(row.evidence_sha256 !== null ? { evidenceAnnounced: true } : {}),
  };
  if (row.lat !== null && row.lon !== null) {
    item.position = {
      lat: row.lat,
      lon: row.lon,
      ...(row.accuracy_m !== null ? { accuracyM: row.accuracy_m } : {}),
      ...(row.heading_deg !== null ? { headingDeg: row.heading_deg } : {}),
      source: row.position_source ?? 'fixed',
    };
  }
  return item;
}
