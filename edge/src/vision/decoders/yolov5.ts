/**
 * YOLOv5 decoder (anchor-based, grid decode inside the exported graph).
 *
 * Output `[1, N, 5 + C]` (or `[N, 5 + C]`); per row: `cx, cy, w, h` in network-input pixels,
 * objectness, then C class probabilities (all already sigmoid and anchor-decoded by the export).
 * For a 640×640 input N = 3·(80² + 40² + 20²) = 25200.
 *
 * ```
 *   class = argmax_c p_c    score = objectness · p_class
 *   box   = [cx − w/2, cy − h/2, cx + w/2, cy + h/2]
 * ```
 *
 * Source: ultralytics/yolov5 `utils/general.py::non_max_suppression` (`x[:, 5:] *= x[:, 4:5]`,
 * conf = obj · cls; best class per row when `multi_label=False`).
 */
import { bestClass, rowMajorLayout, type Candidate, type DecodeContext, type Decoder, type RawOutput } from './types';

/** Decodes a YOLOv5 output tensor; see the module docstring. */
export const decodeYolov5: Decoder = (output: RawOutput, ctx: DecodeContext): Candidate[] => {
  const { manifest, scoreThreshold } = ctx;
  const { rows, stride, numClasses } = rowMajorLayout('yolov5', output, manifest.labels);

  const d = output.data;
  const out: Candidate[] = [];
  for (let i = 0; i < rows; i++) {
    const o = i * stride;
    const objectness = d[o + 4]!;
    if (objectness < scoreThreshold) continue;
    const { classId: best, score: bestP } = bestClass(d, o + 5, numClasses);
    const score = objectness * bestP;
    if (score < scoreThreshold) continue;
    const cx = d[o]!;
    const cy = d[o + 1]!;
    const w = d[o + 2]!;
    const h = d[o + 3]!;
    out.push({ box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], score, classId: best });
  }
  return out;
};
