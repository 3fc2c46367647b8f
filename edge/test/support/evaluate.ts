/**
 * Detection evaluation against COCO-style ground truth: greedy matching, precision / recall at a
 * score threshold, and average precision at IoU 0.5 (AP50).
 *
 * Conventions (those of the COCO evaluation, `pycocotools/cocoeval.py::evaluateImg`, restricted to
 * one IoU threshold):
 * - Boxes are `[x1, y1, x2, y2]` in pixels of the original image; IoU without the "+1" convention.
 * - Matching is per image and per class, **greedy by descending score**: each detection takes the
 *   still-unmatched ground-truth box of its class with the highest IoU, if that IoU ≥ `iouThreshold`
 *   (true positive); otherwise it is a false positive ...
 * - ... unless it lies mostly inside a crowd region (`iscrowd`) of its class: intersection area /
 *   detection area ≥ `crowdCoverage` (COCO matches crowds by this "IoU over the detection"); such
 *   detections are ignored — they count neither as right nor as wrong.
 * - Only the classes listed in `classes` take part, on both sides.
 */
import type { GroundTruthImage } from '../../../tests/support/fixtures';

/** `[x1, y1, x2, y2]` in pixels. */
export type Xyxy = readonly [number, number, number, number];

/** A detection as produced by the detector (only the fields evaluation needs). */
export interface EvalDetection {
  label: string;
  score: number;
  box: Xyxy;
}

/** The verdict on one detection. */
export interface MatchedDetection {
  image: string;
  label: string;
  score: number;
  outcome: 'tp' | 'fp' | 'ignored';
  /** IoU with the matched ground truth (tp) or the best same-class IoU found (fp/ignored). */
  iou: number;
}

/** Matching options. */
export interface MatchOptions {
  /** Class names taking part. */
  classes: readonly string[];
  /** Minimum IoU for a true positive; default 0.5. */
  iouThreshold?: number;
  /** Fraction of a detection's area inside a crowd region to ignore it; default 0.5. */
  crowdCoverage?: number;
}

/** IoU of two `[x1, y1, x2, y2]` boxes. */
export function boxIou(a: Xyxy, b: Xyxy): number {
  const inter = intersection(a, b);
  if (inter === 0) return 0;
  return inter / (area(a) + area(b) - inter);
}

function area(b: Xyxy): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

function intersection(a: Xyxy, b: Xyxy): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  return w > 0 && h > 0 ? w * h : 0;
}

/**
 * Matches the detections of one image against its ground truth (see the module docstring).
 * @returns one verdict per detection of a listed class, in descending score order.
 */
export function matchImage(
  image: string,
  gt: GroundTruthImage,
  detections: readonly EvalDetection[],
  opts: MatchOptions,
): MatchedDetection[] {
  const iouThreshold = opts.iouThreshold ?? 0.5;
  const crowdCoverage = opts.crowdCoverage ?? 0.5;
  const classes = new Set(opts.classes);
  const objects = gt.objects.filter((o) => classes.has(o.class));
  const taken = new Array<boolean>(objects.length).fill(false);
  // `crowd_regions` is null for some images of ground_truth.json.
  const crowds = (gt.crowd_regions ?? []).map((c) => ({
    class: c.class,
    box: [c.bbox_xywh[0], c.bbox_xywh[1], c.bbox_xywh[0] + c.bbox_xywh[2], c.bbox_xywh[1] + c.bbox_xywh[3]] as const,
  }));

  const sorted = detections.filter((d) => classes.has(d.label)).sort((a, b) => b.score - a.score);
  const out: MatchedDetection[] = [];
  for (const d of sorted) {
    let best = -1;
    let bestIou = 0;
    let anyIou = 0;
    objects.forEach((o, i) => {
      if (o.class !== d.label) return;
      const v = boxIou(d.box, o.bbox_xyxy);
      anyIou = Math.max(anyIou, v);
      if (!taken[i] && v >= iouThreshold && v > bestIou) {
        best = i;
        bestIou = v;
      }
    });
    if (best >= 0) {
      taken[best] = true;
      out.push({ image, label: d.label, score: d.score, outcome: 'tp', iou: bestIou });
      continue;
    }
    const detArea = area(d.box);
    const inCrowd = crowds.some((c) => c.class === d.label && detArea > 0 && intersection(d.box, c.box) / detArea >= crowdCoverage);
    out.push({ image, label: d.label, score: d.score, outcome: inCrowd ? 'ignored' : 'fp', iou: anyIou });
  }
  return out;
}

/** Number of ground-truth boxes per listed class over all images. */
export function countGroundTruth(images: readonly GroundTruthImage[], classes: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>(classes.map((c) => [c, 0]));
  for (const img of images) for (const o of img.objects) if (counts.has(o.class)) counts.set(o.class, counts.get(o.class)! + 1);
  return counts;
}

/** True / false positives, precision and recall at a score threshold. */
export interface PrecisionRecall {
  tp: number;
  fp: number;
  ignored: number;
  /** Ground-truth boxes (listed classes). */
  gt: number;
  /** tp / (tp + fp); 0 when there are no detections. */
  precision: number;
  /** tp / gt. */
  recall: number;
}

/** Precision and recall of the verdicts whose score is ≥ `minScore`. */
export function precisionRecall(matched: readonly MatchedDetection[], gtTotal: number, minScore: number): PrecisionRecall {
  let tp = 0;
  let fp = 0;
  let ignored = 0;
  for (const m of matched) {
    if (m.score < minScore) continue;
    if (m.outcome === 'tp') tp++;
    else if (m.outcome === 'fp') fp++;
    else ignored++;
  }
  return { tp, fp, ignored, gt: gtTotal, precision: tp + fp > 0 ? tp / (tp + fp) : 0, recall: gtTotal > 0 ? tp / gtTotal : 0 };
}

/** Interpolation of the precision/recall curve for AP. */
export type ApMethod = 'all-point' | 'coco-101';

/**
 * Average precision of one class from its verdicts over all images.
 *
 * The verdicts are ranked by descending score (ignored ones removed); cumulative precision
 * P(k) = TP(k) / k and recall R(k) = TP(k) / nGt give the curve; precision is made monotone
 * (p̂(r) = max precision at recall ≥ r), then
 * - `all-point` (PASCAL VOC 2010+ `voc_ap` with `use_07_metric=False`): AP = Σ (R_{k} − R_{k−1}) · p̂(R_k),
 *   the exact area under the monotone curve;
 * - `coco-101` (COCO `cocoeval.py::accumulate`): AP = mean of p̂(r) at r = 0, 0.01, …, 1 (0 where the
 *   curve does not reach r).
 *
 * @returns AP in 0..1; 0 when the class has ground truth but no detections, NaN when `nGt` is 0.
 */
export function averagePrecision(matched: readonly MatchedDetection[], nGt: number, method: ApMethod = 'all-point'): number {
  if (nGt === 0) return Number.NaN;
  const ranked = matched.filter((m) => m.outcome !== 'ignored').sort((a, b) => b.score - a.score);
  const recall: number[] = [];
  const precision: number[] = [];
  let tp = 0;
  ranked.forEach((m, k) => {
    if (m.outcome === 'tp') tp++;
    recall.push(tp / nGt);
    precision.push(tp / (k + 1));
  });
  // Monotone envelope from the right.
  for (let i = precision.length - 2; i >= 0; i--) precision[i] = Math.max(precision[i]!, precision[i + 1]!);

  if (method === 'all-point') {
    let ap = 0;
    let prevRecall = 0;
    for (let i = 0; i < recall.length; i++) {
      ap += (recall[i]! - prevRecall) * precision[i]!;
      prevRecall = recall[i]!;
    }
    return ap;
  }
  let sum = 0;
  let k = 0;
  for (let step = 0; step <= 100; step++) {
    const r = step / 100;
    while (k < recall.length && recall[k]! < r - 1e-12) k++;
    sum += k < recall.length ? precision[k]! : 0;
  }
  return sum / 101;
}

/** AP50 per class and its mean over the classes with ground truth. */
export interface ApReport {
  perClass: Array<{ class: string; gt: number; detections: number; ap: number }>;
  /** Mean AP over the listed classes that have at least one ground-truth box. */
  mAP: number;
}

/** AP per listed class (see {@link averagePrecision}) and their mean over classes present in GT. */
export function apReport(
  matched: readonly MatchedDetection[],
  gtCounts: ReadonlyMap<string, number>,
  method: ApMethod = 'all-point',
): ApReport {
  const perClass = [...gtCounts].map(([cls, gt]) => {
    const mine = matched.filter((m) => m.label === cls);
    return { class: cls, gt, detections: mine.length, ap: averagePrecision(mine, gt, method) };
  });
  const present = perClass.filter((c) => c.gt > 0);
  return { perClass, mAP: present.reduce((s, c) => s + c.ap, 0) / present.length };
}
