import type { Position } from '@sightline/contracts';

/**
 * One camera frame as it enters the pipeline.
 *
 * `image` holds the encoded bytes (JPEG, PNG, WebP) exactly as the camera or file gave them;
 * decoding, EXIF orientation and colour conversion happen in `vision/preprocess`.
 */
export interface Frame {
  deviceId: string;
  cameraId: string;
  /** Capture time, UTC ISO 8601 with offset (`2026-11-29T16:38:09.000Z`). */
  capturedAt: string;
  /** Encoded image bytes. */
  image: Buffer;
  /** Size in pixels of the frame as displayed (after EXIF orientation). */
  width: number;
  height: number;
  /** Where the frame came from: file name (basename) or stream URL. */
  source: string;
  /** Camera position at capture time, where known. */
  position?: Position;
}
