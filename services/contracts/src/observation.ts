import Type from 'typebox';
import { MAX_INT4, Seq, Text, Timestamp } from './limits';

/**
 * Identifier of a device or camera: letters, digits, `_` and `-`, 1..64 characters.
 * It is used verbatim as an MQTT topic level, so it can never contain `/`, `+` or `#`.
 */
export const Identifier = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', minLength: 1, maxLength: 64 });

/** Bounding box `[x1, y1, x2, y2]` in pixels of the original (EXIF-oriented) frame, x1 <= x2, y1 <= y2. */
export const BoxXyxy = Type.Array(Type.Number({ minimum: 0, maximum: 1e6 }), {
  minItems: 4,
  maxItems: 4,
  description: 'xyxy box in pixels of the original, EXIF-oriented frame',
});

/** Where the camera was when the frame was captured (WGS 84 degrees, metres, degrees clockwise from north). */
export const Position = Type.Object(
  {
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lon: Type.Number({ minimum: -180, maximum: 180 }),
    accuracyM: Type.Optional(Type.Number({ minimum: 0, description: 'horizontal accuracy, metres' })),
    headingDeg: Type.Optional(Type.Number({ minimum: 0, maximum: 360, description: 'degrees clockwise from true north' })),
    source: Type.Union([Type.Literal('fixed'), Type.Literal('gps'), Type.Literal('exif')]),
  },
  { additionalProperties: false },
);

/** Pattern of a city category name: lower-case dot-separated levels of letters, digits and `_`. */
export const CATEGORY_NAME_PATTERN = '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*$';

/**
 * City category of an observation, from the model's taxonomy (`models/taxonomies/*.json`):
 * lower-case dot-separated levels, most general first (`dumping.furniture.couch`, `road.pothole`,
 * `traffic.car`), so a prefix (`dumping`, `road.crack`) selects a whole branch.
 */
export const CategoryName = Type.String({
  pattern: CATEGORY_NAME_PATTERN,
  minLength: 1,
  maxLength: 128,
  description: 'dot-separated city category, e.g. dumping.furniture.couch',
});

/**
 * Announces the redacted evidence JPEG the device publishes for an observation on
 * `sightline/v1/{deviceId}/evidence/{observationId}` (raw JPEG bytes, see `evidenceTopic`).
 * The blob and the observation message travel on different topics, so either may arrive first;
 * `sha256` ties the blob to the observation.
 */
export const EvidenceMeta = Type.Object(
  {
    contentType: Type.Literal('image/jpeg'),
    /** Size of the JPEG in bytes. */
    bytes: Type.Integer({ minimum: 1 }),
    /** Lower-case hex SHA-256 of the JPEG bytes. */
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    /** Pixel size of the evidence image (the oriented frame). */
    width: Type.Integer({ minimum: 1 }),
    height: Type.Integer({ minimum: 1 }),
    /** What was made unrecoverable: every person box, the lower half of every vehicle box. */
    redacted: Type.Array(Type.Union([Type.Literal('persons'), Type.Literal('vehicle-lower-halves')]), { maxItems: 2 }),
  },
  { additionalProperties: false },
);

/** One detected object in one frame. Its `id` (UUIDv7) makes storage idempotent. */
export const Observation = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    label: Text({ minLength: 1, maxLength: 64 }),
    classId: Type.Integer({ minimum: 0, maximum: MAX_INT4 }),
    score: Type.Number({ minimum: 0, maximum: 1 }),
    box: BoxXyxy,
    /**
     * City category from the model's taxonomy: the observation counts as a sighting of it. Absent
     * when the label is not mapped, scores below the category's `minScore`, or (video) its track was
     * seen in fewer than the category's `minFrames` frames.
     */
    category: Type.Optional(CategoryName),
    /** Present when the device publishes a redacted evidence JPEG for this observation. */
    evidence: Type.Optional(EvidenceMeta),
  },
  { additionalProperties: false },
);

/**
 * Payload of `sightline/v1/{deviceId}/observations`: one message per frame that had at least one
 * detection, carrying one {@link Observation} per detected object.
 *
 * `id` (UUIDv7) identifies the message; `seq` is the device's monotonic message counter, so the
 * central side can detect gaps. Times are UTC ISO 8601 with offset.
 */
export const ObservationMessage = Type.Object(
  {
    schema: Type.Literal('sightline/v1/observations'),
    id: Type.String({ format: 'uuid' }),
    seq: Seq,
    deviceId: Identifier,
    cameraId: Identifier,
    capturedAt: Timestamp,
    frame: Type.Object(
      {
        width: Type.Integer({ minimum: 1, maximum: MAX_INT4 }),
        height: Type.Integer({ minimum: 1, maximum: MAX_INT4 }),
        source: Type.Optional(Text({ maxLength: 512, description: 'file name or stream the frame came from' })),
      },
      { additionalProperties: false },
    ),
    model: Type.Object({ id: Text({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false }),
    position: Type.Optional(Position),
    observations: Type.Array(Observation, { minItems: 1, maxItems: 1000 }),
  },
  { additionalProperties: false, $id: 'ObservationMessage' },
);

export type Position = Type.Static<typeof Position>;
export type Observation = Type.Static<typeof Observation>;
export type EvidenceMeta = Type.Static<typeof EvidenceMeta>;
export type ObservationMessage = Type.Static<typeof ObservationMessage>;
