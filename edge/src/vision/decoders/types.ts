/**
 * The decoder interface: one function per model family that turns the network's raw output
 * tensor into scored boxes, before NMS. A decoder knows the family's output layout and nothing
 * else (no letterbox, no NMS, no labels); the registry in `./index.ts` picks it by the manifest's
 * `family`, so supporting a new family means adding one file.
 */
import type { ModelManifest } from '@sightline/models';
import type { Box } from '../preprocess/letterbox';

/** A raw model output: a flat float32 buffer and its shape (row-major, last axis fastest). */
export interface RawOutput {
  data: Float32Array;
  dims: readonly number[];
}

/** What a decoder may use besides the tensor. */
export interface DecodeContext {
  manifest: ModelManifest;
  /** Candidates scoring below this (0..1) are dropped. */
  scoreThreshold: number;
}

/** One scored box before NMS. */
export interface Candidate {
  /** `[x1, y1, x2, y2]` in network-input pixels (the letterboxed `W×H` frame), not clipped. */
  box: Box;
  /** Confidence 0..1 (for YOLOX / YOLOv5 objectness × class probability). */
  score: number;
  /** Index into `manifest.labels`. */
  classId: number;
}

/** Turns a family's raw output into candidates with `score >= ctx.scoreThreshold`. */
export type Decoder = (output: RawOutput, ctx: DecodeContext) => Candidate[];

/** Throws a clear error when an output tensor does not have the shape a family expects. */
export function assertOutputShape(family: string, output: RawOutput, expected: string, ok: boolean): void {
  if (!ok || output.data.length !== output.dims.reduce((a, b) => a * b, 1)) {
    throw new Error(
      `${family} decoder: output tensor has shape [${output.dims.join(', ')}] (${output.data.length} values), ` +
        `expected ${expected}; is the manifest's family right for this model?`,
    );
  }
}

/**
 * The best class of one candidate: arg-max over `count` class scores stored at
 * `data[start + c * step]` for c = 0..count-1 (`step` 1 for row-major `[N, 5 + C]` rows,
 * N for channel-major `[4 + C, N]` outputs).
 * @returns the class id and its score (`-Infinity` when `count` is 0).
 */
export function bestClass(data: Float32Array, start: number, count: number, step = 1): { classId: number; score: number } {
  let classId = 0;
  let score = -Infinity;
  for (let c = 0; c < count; c++) {
    const p = data[start + c * step]!;
    if (p > score) {
      score = p;
      classId = c;
    }
  }
  return { classId, score };
}

/**
 * Shape of a row-major `[1, N, 5 + C]` (or `[N, 5 + C]`) output, as YOLOX and YOLOv5 export it:
 * N candidate rows of `cx, cy, w, h, objectness, C class scores`.
 * @throws Error naming `family` and the expected shape when the output does not match the labels.
 */
export function rowMajorLayout(family: string, output: RawOutput, labels: readonly string[]): { rows: number; stride: number; numClasses: number } {
  const dims = output.dims;
  const rank3 = dims.length === 3 && dims[0] === 1;
  const rows = (rank3 ? dims[1] : dims[0]) ?? 0;
  const stride = (rank3 ? dims[2] : dims[1]) ?? 0;
  const numClasses = stride - 5;
  assertOutputShape(family, output, `[1, N, 5 + ${labels.length}]`, (rank3 || dims.length === 2) && numClasses === labels.length);
  return { rows, stride, numClasses };
}
