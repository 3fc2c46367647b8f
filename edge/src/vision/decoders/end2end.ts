/**
 * End-to-end (NMS-free) decoder: models whose graph already returns final detections, e.g.
 * YOLOv10 and YOLO26 exports (`[1, 300, 6]`) or YOLOX/YOLOv8 exports with an ONNX NMS head.
 *
 * Output `[N, 6]` or `[1, N, 6]`; per row `x1, y1, x2, y2, score, classId` with the box in
 * network-input pixels. Rows are padding when their score is 0, so thresholding drops them.
 * The registry marks this family as not needing NMS.
 *
 * Source: ultralytics/ultralytics YOLOv10 export (`v10postprocess`, output `[1, 300, 6]`).
 */
import { assertOutputShape, type Candidate, type DecodeContext, type Decoder, type RawOutput } from './types';

/** Decodes an end-to-end `[N, 6]` output; see the module docstring. */
export const decodeEnd2end: Decoder = (output: RawOutput, ctx: DecodeContext): Candidate[] => {
  const dims = output.dims;
  const ok = (dims.length === 2 || (dims.length === 3 && dims[0] === 1)) && dims[dims.length - 1] === 6;
  assertOutputShape('end2end', output, '[N, 6] or [1, N, 6] (x1, y1, x2, y2, score, classId)', ok);
  const d = output.data;
  const rows = d.length / 6;
  const numClasses = ctx.manifest.labels.length;
  const out: Candidate[] = [];
  for (let i = 0; i < rows; i++) {
    const o = i * 6;
    const score = d[o + 4]!;
    if (!(score >= ctx.scoreThreshold)) continue;
    const classId = Math.round(d[o + 5]!);
    if (classId < 0 || classId >= numClasses) {
      throw new Error(`end2end decoder: row ${i} has class id ${d[o + 5]} outside 0..${numClasses - 1} (manifest labels)`);
    }
    out.push({ box: [d[o]!, d[o + 1]!, d[o + 2]!, d[o + 3]!], score, classId });
  }
  return out;
};
