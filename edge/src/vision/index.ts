/**
 * Vision stage of the edge agent: image → detections.
 *
 * - `preprocess/decode.ts`    image file/bytes → oriented sRGB RGB uint8 frame
 * - `preprocess/letterbox.ts` frame → network input tensor (+ the transform back)
 * - `decoders/`               raw output → candidates, one decoder per model family
 * - `nms.ts`                  class-aware greedy NMS
 * - `detector.ts`             `ObjectDetector`: the whole chain on one onnxruntime session
 * - `inference-session.ts`    where that session runs: this thread, or a worker thread (`inference-worker.mjs`)
 */
export { decodeImage, ImageDecodeError, DEFAULT_MAX_PIXELS } from './preprocess/decode';
export type { DecodedImage, DecodeOptions, ImageDecodeReason } from './preprocess/decode';
export { letterbox, letterboxTransform, toNetworkBox, toOriginalBox, clipBox } from './preprocess/letterbox';
export type { Box, LetterboxTransform, LetterboxResult } from './preprocess/letterbox';
export {
  decoderFor,
  supportedFamilies,
  decodeYolox,
  decodeUltralytics,
  decodeYolov5,
  decodeEnd2end,
  yoloxGrid,
} from './decoders/index';
export type { Decoder, DecoderEntry, DecodeContext, Candidate, RawOutput } from './decoders/index';
export { nms, iou } from './nms';
export type { Scored } from './nms';
export { ObjectDetector, toDetections } from './detector';
export type { Detection, DetectionResult, DetectionTimings, DetectorOptions, DetectOptions, PreparedInput } from './detector';
export { LocalSession, WorkerSession } from './inference-session';
export type { SessionRunner, SessionResult } from './inference-session';
