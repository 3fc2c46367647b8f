/**
 * Acceptance test of the whole vision chain (decode → letterbox → YOLOX-Nano → decode → NMS →
 * map back) on real COCO street photos with their COCO ground truth.
 *
 * Reference: a correct YOLOX-Nano pipeline reaches about 52 TP, precision 0.73 at score 0.3 and
 * AP50 ≈ 0.50 on these 18 images; a wrong channel order, letterbox or grid decode loses most of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveModel } from '@sightline/models';
import { ObjectDetector, type DetectionResult } from '../src/index';
import { fixture, groundTruth } from '../../tests/support/fixtures';
import { apReport, countGroundTruth, matchImage, precisionRecall, type MatchedDetection } from './support/evaluate';

/** The street classes the edge agent cares about. */
const STREET_CLASSES = [
  'person',
  'bicycle',
  'car',
  'motorcycle',
  'bus',
  'truck',
  'train',
  'traffic light',
  'stop sign',
  'fire hydrant',
] as const;

let detector: ObjectDetector;

beforeAll(async () => {
  const { manifest, path } = await resolveModel('yolox-nano');
  detector = await ObjectDetector.create({ manifest, modelPath: path });
});

afterAll(async () => {
  await detector?.close();
});

describe('YOLOX-Nano on the COCO street fixtures', () => {
  it('finds the labelled street objects with COCO-level precision and AP50', async () => {
    const gt = groundTruth();
    const names = Object.keys(gt).sort();
    expect(names).toHaveLength(18);

    const matched: MatchedDetection[] = [];
    const inference: number[] = [];
    for (const name of names) {
      const image = gt[name]!;
      // Score 0.01 to trace the whole precision/recall curve; the 0.3 metrics filter it below
      // (greedy NMS keeps the same high-score boxes whatever the lower threshold).
      const result: DetectionResult = await detector.detect(fixture(image.file), { score: 0.01 });
      expect([result.width, result.height], name).toEqual([image.width, image.height]);
      inference.push(result.timings.inferenceMs);
      matched.push(...matchImage(name, image, result.detections, { classes: STREET_CLASSES }));
    }

    const gtCounts = countGroundTruth(Object.values(gt), STREET_CLASSES);
    const gtTotal = [...gtCounts.values()].reduce((a, b) => a + b, 0);
    const at03 = precisionRecall(matched, gtTotal, 0.3);
    const ap = apReport(matched, gtCounts, 'all-point');
    const ap101 = apReport(matched, gtCounts, 'coco-101');

    inference.sort((a, b) => a - b);
    console.log(
      `[accuracy] score>=0.3: TP ${at03.tp}  FP ${at03.fp}  ignored ${at03.ignored}  GT ${at03.gt}  ` +
        `precision ${at03.precision.toFixed(3)}  recall ${at03.recall.toFixed(3)}\n` +
        `[accuracy] AP50 all-point ${ap.mAP.toFixed(3)}  (COCO 101-point ${ap101.mAP.toFixed(3)}) over ` +
        `${ap.perClass.filter((c) => c.gt > 0).length} classes present in GT\n` +
        ap.perClass
          .filter((c) => c.gt > 0)
          .map((c) => `  ${c.class.padEnd(14)} GT ${String(c.gt).padStart(3)}  dets ${String(c.detections).padStart(4)}  AP50 ${c.ap.toFixed(3)}`)
          .join('\n') +
        `\n[accuracy] inference ms over ${inference.length} frames: median ${inference[inference.length >> 1]!.toFixed(1)}`,
    );

    expect(at03.tp).toBeGreaterThanOrEqual(48);
    expect(at03.precision).toBeGreaterThanOrEqual(0.68);
    expect(ap.mAP).toBeGreaterThanOrEqual(0.45);
  });

  it('finds the bus and at least three persons in demo/bus.jpg', async () => {
    const result = await detector.detect(fixture('demo/bus.jpg'));
    expect([result.width, result.height]).toEqual([810, 1080]);
    const labels = result.detections.map((d) => d.label);
    expect(labels).toContain('bus');
    expect(labels.filter((l) => l === 'person').length).toBeGreaterThanOrEqual(3);
    // Default threshold (manifest.defaults.score = 0.3), boxes inside the frame, sorted by score.
    for (const d of result.detections) {
      expect(d.score).toBeGreaterThanOrEqual(0.3);
      expect(d.box[0]).toBeGreaterThanOrEqual(0);
      expect(d.box[1]).toBeGreaterThanOrEqual(0);
      expect(d.box[2]).toBeLessThanOrEqual(810);
      expect(d.box[3]).toBeLessThanOrEqual(1080);
    }
    const scores = result.detections.map((d) => d.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    // The bus spans most of the frame width.
    const bus = result.detections.find((d) => d.label === 'bus')!;
    expect(bus.box[2] - bus.box[0]).toBeGreaterThan(600);
  });
});
