/**
 * Non-maximum suppression: keep the best-scoring box of each cluster of overlapping boxes.
 *
 * Greedy NMS (Neubeck & Van Gool, "Efficient Non-Maximum Suppression", ICPR 2006; the form used
 * by every YOLO): visit boxes by descending score; keep a box unless a kept box **of the same
 * class** overlaps it with IoU > `iouThreshold`. Boxes of different classes never suppress each
 * other — the same contract as `torchvision.ops.batched_nms`, which YOLOX's `postprocess` and
 * Ultralytics' `non_max_suppression` call.
 *
 * Boxes are `[x1, y1, x2, y2]` in continuous pixel coordinates (area = (x2 − x1)·(y2 − y1), no
 * "+1" pixel convention, as in torchvision).
 *
 * @example
 * const kept = nms(candidates, 0.45); // candidates: {box, score, classId}[]
 */
import type { Box } from './preprocess/letterbox';

/** Intersection over union of two `[x1, y1, x2, y2]` boxes; 0 when either has no area. */
export function iou(a: Readonly<Box>, b: Readonly<Box>): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const areaA = (a[2] - a[0]) * (a[3] - a[1]);
  const areaB = (b[2] - b[0]) * (b[3] - b[1]);
  const union = areaA + areaB - inter;
  return union > 0 ? inter / union : 0;
}

/** Anything NMS can rank: a box, a score and a class. */
export interface Scored {
  box: Box;
  score: number;
  classId: number;
}

/**
 * Class-aware greedy NMS.
 *
 * @param items candidates in any order (not modified).
 * @param iouThreshold a box is dropped when its IoU with a kept box of the same class is
 *   **greater** than this (0..1; YOLOX and Ultralytics use 0.45 / 0.7).
 * @param maxKeep stop after keeping this many boxes overall (default: no limit).
 * @returns the kept items, sorted by descending score.
 */
export function nms<T extends Scored>(items: readonly T[], iouThreshold: number, maxKeep = Infinity): T[] {
  const order = items.slice().sort((a, b) => b.score - a.score);
  const keptByClass = new Map<number, T[]>();
  const kept: T[] = [];
  for (const item of order) {
    if (kept.length >= maxKeep) break;
    let same = keptByClass.get(item.classId);
    if (!same) {
      same = [];
      keptByClass.set(item.classId, same);
    }
    if (same.some((k) => iou(k.box, item.box) > iouThreshold)) continue;
    same.push(item);
    kept.push(item);
  }
  return kept;
}
