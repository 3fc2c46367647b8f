/**
 * Ultralytics YOLOv8 / YOLO11 decoder (anchor-free, no objectness).
 *
 * Output `[1, 4 + C, N]` (or `[4 + C, N]`) — channel-major, i.e. transposed compared with
 * YOLOX/YOLOv5: value k of candidate i is at `k·N + i`. Rows 0..3 are `cx, cy, w, h` already in
 * network-input pixels (the DFL and grid decode are inside the exported graph); rows 4..4+C−1 are
 * class scores already passed through a sigmoid. For a 640×640 input N = 80² + 40² + 20² = 8400.
 *
 * ```
 *   class = argmax_c p_c    score = p_class
 *   box   = [cx − w/2, cy − h/2, cx + w/2, cy + h/2]
 * ```
 * One candidate per column (its best class), as Ultralytics `non_max_suppression` does with
 * `multi_label=False` (its default for prediction).
 *
 * Source: ultralytics/ultralytics `ultralytics/utils/nms.py::non_max_suppression` (formerly
 * `utils/ops.py`) and the ONNX Runtime example `examples/YOLOv8-ONNXRuntime/main.py`.
 */
import { assertOutputShape, bestClass, type Candidate, type DecodeContext, type Decoder, type RawOutput } from './types';

/** Decodes an Ultralytics v8/v11 output tensor; see the module docstring. */
export const decodeUltralytics: Decoder = (output: RawOutput, ctx: DecodeContext): Candidate[] => {
  const { manifest, scoreThreshold } = ctx;
  const dims = output.dims;
  const rank3 = dims.length === 3 && dims[0] === 1;
  const channels = (rank3 ? dims[1] : dims[0]) ?? 0;
  const n = (rank3 ? dims[2] : dims[1]) ?? 0;
  const numClasses = channels - 4;
  assertOutputShape('ultralytics', output, `[1, 4 + ${manifest.labels.length}, N]`, (rank3 || dims.length === 2) && numClasses === manifest.labels.length);

  const d = output.data;
  const out: Candidate[] = [];
  for (let i = 0; i < n; i++) {
    const { classId: best, score } = bestClass(d, 4 * n + i, numClasses, n);
    if (score < scoreThreshold) continue;
    const cx = d[i]!;
    const cy = d[n + i]!;
    const w = d[2 * n + i]!;
    const h = d[3 * n + i]!;
    out.push({ box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], score, classId: best });
  }
  return out;
};
