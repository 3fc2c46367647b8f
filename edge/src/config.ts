import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import Type from 'typebox';
import { Identifier, Position, validator } from '@sightline/contracts';
import { GpsSourceConfig } from './geo/locator';

/** A camera whose frames are still images from folders or files. */
export const ImagesSourceConfig = Type.Object(
  {
    type: Type.Literal('images'),
    /** Folders (their JPEG/PNG/WebP files, by name) and files, relative to the config file. */
    paths: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    /** Frames per second; 0 = as fast as the detector goes. */
    fps: Type.Optional(Type.Number({ minimum: 0, maximum: 240 })),
    /** Start over after the last file, until stopped. */
    loop: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/**
 * A camera whose frames come from a video: a file (path relative to the config file, or
 * `file://`), an RTSP camera (`rtsp://user:pass@host:554/stream`) or an HTTP(S) stream (MJPEG,
 * MPEG-TS …), decoded by ffmpeg at `fps` (see `sources/video.ts`). Live streams reconnect with
 * backoff; a camera that does not answer is reported (logs, agent stats), not fatal.
 */
export const VideoSourceConfig = Type.Object(
  {
    type: Type.Literal('video'),
    url: Type.String({ minLength: 1 }),
    /** Detection rate, frames per second (ffmpeg drops the others); default the video's own rate. */
    fps: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 240 })),
    /** RTSP transport; default ffmpeg's (UDP, then TCP). */
    rtspTransport: Type.Optional(Type.Union([Type.Literal('udp'), Type.Literal('tcp')])),
    /** Files: start over at the end, until stopped. */
    loop: Type.Optional(Type.Boolean()),
    /** Files: deliver frames at the video's own speed, as a camera would. */
    realtime: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** A camera that offers only a "current picture" URL, fetched every `intervalSeconds` (see `sources/snapshot.ts`). */
export const SnapshotSourceConfig = Type.Object(
  {
    type: Type.Literal('snapshot'),
    /** `http://` or `https://` URL answering with one JPEG/PNG/WebP; `user:pass@` is sent as basic auth. */
    url: Type.String({ pattern: '^https?://' }),
    intervalSeconds: Type.Number({ exclusiveMinimum: 0, maximum: 86_400 }),
  },
  { additionalProperties: false },
);

/** `[x, y]` in pixels of the camera's frame (x right, y down). */
const PixelPoint = Type.Tuple([Type.Number(), Type.Number()]);

/**
 * A counting line in the camera's frame. IN = crossing from the right side of start→end to its
 * left side (a line drawn left to right counts objects moving up the image as IN).
 */
export const CountingLineConfig = Type.Object(
  { id: Identifier, start: PixelPoint, end: PixelPoint },
  { additionalProperties: false },
);

/** A zone (polygon, at least 3 points) in the camera's frame. */
export const ZoneConfig = Type.Object(
  { id: Identifier, polygon: Type.Array(PixelPoint, { minItems: 3 }) },
  { additionalProperties: false },
);

/** One camera of the device. */
export const CameraConfig = Type.Object(
  {
    id: Identifier,
    source: Type.Union([ImagesSourceConfig, VideoSourceConfig, SnapshotSourceConfig]),
    /**
     * Video cameras: counting lines; the agent tracks objects and publishes, per line and per
     * `intervalSeconds`, a TrafficCount (counts by class and direction) on `sightline/v1/{deviceId}/traffic`.
     */
    lines: Type.Optional(Type.Array(CountingLineConfig)),
    /** Video cameras: zones (occupancy and dwell per track, in the agent's logs). */
    zones: Type.Optional(Type.Array(ZoneConfig)),
    /** Width of a traffic count's interval, seconds, aligned to the clock; default 60. */
    intervalSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
    /** Labels tracked and counted; default car, truck, bus, motorcycle, bicycle, person. */
    classes: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
    /** Fixed camera position (WGS 84 degrees; `headingDeg` clockwise from true north; `accuracyM` metres). */
    position: Type.Optional(Type.Omit(Position, ['source'])),
    /**
     * GPS of a moving camera: `{ "type": "nmea" | "gpx", "file": "track.nmea" }` (a recorded log,
     * relative to the config file) or `{ "type": "gpsd", "host": "127.0.0.1", "port": 2947 }`;
     * frames get the position interpolated at their capture time (see `edge/src/geo/locator.ts`).
     */
    gps: Type.Optional(GpsSourceConfig),
    /** Use the frames' own EXIF GPS tags when present (they win over `gps` and `position`). Default true. */
    exifGps: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/**
 * The edge agent's configuration file (JSON). Paths are relative to the file's folder.
 *
 * ```json
 * { "deviceId": "pole-17", "mqtt": { "url": "mqtt://127.0.0.1:1883" },
 *   "cameras": [
 *     { "id": "north", "source": { "type": "images", "paths": ["frames"], "fps": 2 } },
 *     { "id": "junction", "source": { "type": "video", "url": "rtsp://10.0.0.5/stream1", "fps": 10 },
 *       "lines": [{ "id": "main-st-in", "start": [0, 540], "end": [1920, 540] }], "intervalSeconds": 60 }
 *   ] }
 * ```
 */
export const AgentConfig = Type.Object(
  {
    deviceId: Identifier,
    mqtt: Type.Object(
      {
        url: Type.String({ pattern: '^(mqtts?|wss?|tcp)://' }),
        username: Type.Optional(Type.String()),
        password: Type.Optional(Type.String()),
        /** 4 = MQTT 3.1.1 (default, every broker), 5 = MQTT 5. */
        protocolVersion: Type.Optional(Type.Union([Type.Literal(4), Type.Literal(5)])),
        /** MQTT 5: seconds the broker keeps the device's session while it is offline; default 604800 (7 days). */
        sessionExpirySeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 4_294_967_295 })),
        /** Spooled messages on the wire awaiting PUBACK at once; default 100 (capped by the broker's Receive Maximum). */
        inFlightWindow: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_535 })),
      },
      { additionalProperties: false },
    ),
    /** The outbox spool (`<stateDir>/spool.sqlite`): every message waits here until the broker acknowledged it. */
    spool: Type.Optional(
      Type.Object(
        {
          /** Bound in bytes (topic + payload); when full the oldest messages are dropped and counted. Default 268435456 (256 MiB). */
          maxBytes: Type.Optional(Type.Integer({ minimum: 65_536 })),
          /** On a clean stop, how long to wait for the spool to drain before leaving the rest for the next start; default 10. */
          flushOnStopSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 3600 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** Seconds between health reports on `sightline/v1/<deviceId>/stats`; default 30. */
    statsIntervalSeconds: Type.Optional(Type.Number({ minimum: 1, maximum: 86_400 })),
    model: Type.Optional(
      Type.Object(
        {
          id: Type.Optional(Type.String({ minLength: 1 })),
          /** Minimum detection score 0..1 (default: the manifest's, 0.3 for YOLOX-Nano). */
          score: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
          /** NMS IoU threshold 0..1 (default: the manifest's, 0.45). */
          iou: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
          intraOpThreads: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
          interOpThreads: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
          /**
           * Taxonomy mapping the model's labels to city categories: a shipped id (`coco`,
           * `rdd2022`) or a JSON file relative to the config file. Default: the manifest's `taxonomy`.
           */
          taxonomy: Type.Optional(Type.String({ minLength: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** Folder for the agent's state (the outbox spool with the message counter); default `.sightline/edge-<deviceId>`. */
    stateDir: Type.Optional(Type.String({ minLength: 1 })),
    cameras: Type.Array(CameraConfig, { minItems: 1 }),
  },
  { additionalProperties: false },
);

export type AgentConfig = Type.Static<typeof AgentConfig>;
export type CameraConfig = Type.Static<typeof CameraConfig>;

const validateAgentConfig = validator(AgentConfig);

/**
 * Checks a parsed configuration and resolves its relative paths against `baseDir`.
 * @throws Error naming the offending field (`/cameras/0/id: must match pattern ...`).
 */
export function parseAgentConfig(value: unknown, baseDir: string): AgentConfig {
  const result = validateAgentConfig(value);
  if (!result.ok) throw new Error(`invalid edge config: ${result.reason}`);
  const config = result.value;
  const taxonomy = config.model?.taxonomy;
  return {
    ...config,
    ...(config.model && taxonomy && isTaxonomyPath(taxonomy) ? { model: { ...config.model, taxonomy: resolve(baseDir, taxonomy) } } : {}),
    stateDir: resolve(baseDir, config.stateDir ?? `.sightline/edge-${config.deviceId}`),
    cameras: config.cameras.map((camera) => ({
      ...camera,
      source: resolveSource(camera.source, baseDir),
      ...(camera.gps && camera.gps.type !== 'gpsd' ? { gps: { ...camera.gps, file: resolve(baseDir, camera.gps.file) } } : {}),
    })),
  };
}

/** Image paths and video files resolved against `baseDir`; stream URLs unchanged. */
function resolveSource(source: CameraConfig['source'], baseDir: string): CameraConfig['source'] {
  if (source.type === 'images') return { ...source, paths: source.paths.map((p) => resolve(baseDir, p)) };
  if (source.type === 'video' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(source.url)) return { ...source, url: resolve(baseDir, source.url) };
  return source;
}

/** A taxonomy given as a file (contains a path separator or ends in `.json`) rather than a shipped id. */
function isTaxonomyPath(value: string): boolean {
  return value.includes('/') || value.includes('\\') || value.endsWith('.json');
}

/**
 * Reads an edge config file (JSON).
 * @throws Error naming the file when it is missing, not JSON, or invalid.
 */
export async function loadAgentConfig(file: string): Promise<AgentConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read edge config ${file}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`edge config ${file} is not valid JSON: ${(err as Error).message}`);
  }
  try {
    return parseAgentConfig(value, dirname(resolve(file)));
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
}
