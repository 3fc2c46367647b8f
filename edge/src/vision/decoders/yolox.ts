/**
 * YOLOX decoder (anchor-free, decoupled head).
 *
 * Output `[1, N, 5 + C]` (or `[N, 5 + C]`), N = Σ over strides s of (H/s)·(W/s) grid cells —
 * for a 416×416 input and strides 8, 16, 32: 52² + 26² + 13² = 3549. Cells are row-major within a
 * stride (y outer, x inner), stride 8 first. Per cell: `tx, ty, tw, th, objectness, p_0 … p_{C−1}`
 * with objectness and class probabilities already passed through a sigmoid in the exported graph.
 *
 * Decode, for the cell at grid column gx, row gy of stride s:
 * ```
 *   cx = (tx + gx)·s     cy = (ty + gy)·s     (network-input pixels)
 *   w  = exp(tw)·s       h  = exp(th)·s
 *   class = argmax_c p_c    score = objectness · p_class
 * ```
 * One candidate per cell (its best class), as YOLOX's own `postprocess` does before its
 * class-aware NMS.
 *
 * Sources: Ge et al., "YOLOX: Exceeding YOLO Series in 2021", arXiv:2107.08430; upstream
 * Megvii-BaseDetection/YOLOX `yolox/utils/demo_utils.py::demo_postprocess` (grid decode) and
 * `yolox/utils/boxes.py::postprocess` (score = obj · max class conf); the ONNX demo
 * `demo/ONNXRuntime/onnx_inference.py`.
 */
import { bestClass, rowMajorLayout, type Candidate, type DecodeContext, type Decoder, type RawOutput } from './types';

/** Default YOLOX strides when the manifest does not list them. */
export const YOLOX_DEFAULT_STRIDES = [8, 16, 32] as const;

/**
 * The grid of a YOLOX head: for each cell index (same order as the output rows) its column,
 * row and stride. Exported for tests.
 */
export function yoloxGrid(width: number, height: number, strides: readonly number[]): { gx: Int32Array; gy: Int32Array; stride: Int32Array } {
  let n = 0;
  for (const s of strides) n += Math.floor(height / s) * Math.floor(width / s);
  const gx = new Int32Array(n);
  const gy = new Int32Array(n);
  const stride = new Int32Array(n);
  let i = 0;
  for (const s of strides) {
    const gh = Math.floor(height / s);
    const gw = Math.floor(width / s);
    for (let y = 0; y < gh; y++) {
      for (let x = 0; x < gw; x++, i++) {
        gx[i] = x;
        gy[i] = y;
        stride[i] = s;
      }
    }
  }
  return { gx, gy, stride };
}

const gridCache = new Map<string, ReturnType<typeof yoloxGrid>>();

/** Decodes a YOLOX output tensor; see the module docstring. */
export const decodeYolox: Decoder = (output: RawOutput, ctx: DecodeContext): Candidate[] => {
  const { manifest, scoreThreshold } = ctx;
  const { rows, stride, numClasses } = rowMajorLayout('yolox', output, manifest.labels);

  const strides = manifest.output.strides ?? YOLOX_DEFAULT_STRIDES;
  const key = `${manifest.input.width}x${manifest.input.height}:${strides.join(',')}`;
  let grid = gridCache.get(key);
  if (!grid) {
    grid = yoloxGrid(manifest.input.width, manifest.input.height, strides);
    gridCache.set(key, grid);
  }
  if (grid.gx.length !== rows) {
    throw new Error(
      `yolox decoder: output has ${rows} rows but a ${manifest.input.width}x${manifest.input.height} input with strides ` +
        `[${strides.join(', ')}] has ${grid.gx.length} grid cells; check the manifest's input size and output.strides`,
    );
  }

  const d = output.data;
  const out: Candidate[] = [];
  for (let i = 0; i < rows; i++) {
    const o = i * stride;
    const objectness = d[o + 4]!;
    if (objectness < scoreThreshold) continue; // score = obj · p ≤ obj
    const { classId: best, score: bestP } = bestClass(d, o + 5, numClasses);
    const score = objectness * bestP;
    if (score < scoreThreshold) continue;
    const s = grid.stride[i]!;
    const cx = (d[o]! + grid.gx[i]!) * s;
    const cy = (d[o + 1]! + grid.gy[i]!) * s;
    const w = Math.exp(d[o + 2]!) * s;
    const h = Math.exp(d[o + 3]!) * s;
    out.push({ box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], score, classId: best });
  }
  return out;
};
