import type { Position } from '@sightline/contracts';
import { decodeImage, type DecodedImage } from '../vision/preprocess/decode';

/** What every frame carries, whatever its source. */
export interface FrameInfo {
  deviceId: string;
  cameraId: string;
  /**
   * Capture time, UTC ISO 8601 (`2026-11-29T16:38:09.000Z`). Still images: EXIF or file time.
   * Video files: the run's start time + the frame's presentation time. Live streams and snapshot
   * URLs: wall-clock arrival at the agent.
   */
  capturedAt: string;
  /** Size in pixels of the frame as displayed (after EXIF orientation); the coordinate system of every box. */
  width: number;
  height: number;
  /** Where the frame came from: file name (basename) or stream URL (credentials removed). */
  source: string;
  /** Camera position at capture time, where known. */
  position?: Position;
  /**
   * Presentation time in ms since the first frame of the stream (video sources). Files: exact,
   * `index / fps`; live streams: arrival time since the stream was opened.
   */
  ptsMs?: number;
  /** 0-based index of the frame among the frames the source delivered (video and snapshot sources). */
  index?: number;
}

/**
 * One camera frame as it enters the pipeline: {@link FrameInfo} plus the picture, either
 *
 * - `image`: the encoded bytes (JPEG, PNG, WebP) exactly as a file or snapshot URL gave them —
 *   decoding, EXIF orientation and colour conversion happen in `vision/preprocess`; or
 * - `pixels`: an already decoded RGB frame (video sources: ffmpeg decodes straight to raw RGB, so
 *   nothing is re-encoded) — pass it to `ObjectDetector.detectDecoded`.
 *
 * At least one of the two is set; {@link framePixels} gives the pixels either way.
 */
export type Frame = FrameInfo &
  (
    | { image: Buffer; pixels?: DecodedImage }
    | { image?: undefined; pixels: DecodedImage }
  );

/**
 * The decoded RGB pixels of a frame: `frame.pixels` as is, else `frame.image` decoded (EXIF
 * orientation applied, see `decodeImage`).
 * @throws ImageDecodeError when the encoded bytes cannot be decoded.
 */
export async function framePixels(frame: Frame): Promise<DecodedImage> {
  if (frame.pixels) return frame.pixels;
  if (frame.image) return decodeImage(frame.image);
  throw new TypeError(`frame from ${frame.source} has neither pixels nor encoded image bytes`);
}
