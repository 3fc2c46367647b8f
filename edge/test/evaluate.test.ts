/**
 * The evaluation helpers used by the accuracy test, on hand-made cases.
 */
import { describe, expect, it } from 'vitest';
import type { GroundTruthImage } from '../../tests/support/fixtures';
import { averagePrecision, matchImage, precisionRecall, type MatchedDetection } from './support/evaluate';

const gt: GroundTruthImage = {
  file: 'x.jpg',
  width: 100,
  height: 100,
  objects: [
    { class_id: 0, class: 'person', bbox_xyxy: [0, 0, 10, 10] },
    { class_id: 0, class: 'person', bbox_xyxy: [20, 0, 30, 10] },
    { class_id: 2, class: 'car', bbox_xyxy: [50, 50, 90, 90] },
    { class_id: 27, class: 'tie', bbox_xyxy: [0, 0, 5, 5] },
  ],
  crowd_regions: [{ class: 'person', bbox_xywh: [60, 0, 40, 40] }],
};

describe('matchImage', () => {
  it('matches greedily by score, one detection per ground truth, same class only, crowds ignored', () => {
    const m = matchImage(
      'x',
      gt,
      [
        { label: 'person', score: 0.5, box: [0, 0, 10, 10] }, // duplicate of the 0.9 one → fp
        { label: 'person', score: 0.9, box: [1, 0, 10, 10] }, // tp (IoU 0.9)
        { label: 'car', score: 0.8, box: [20, 0, 30, 10] }, // on a person: wrong class → fp
        { label: 'person', score: 0.7, box: [70, 10, 90, 30] }, // inside the crowd → ignored
        { label: 'tie', score: 0.99, box: [0, 0, 5, 5] }, // class not evaluated → left out
      ],
      { classes: ['person', 'car'] },
    );
    expect(m.map((d) => [d.label, d.score, d.outcome])).toEqual([
      ['person', 0.9, 'tp'],
      ['car', 0.8, 'fp'],
      ['person', 0.7, 'ignored'],
      ['person', 0.5, 'fp'],
    ]);
    expect(precisionRecall(m, 3, 0.6)).toEqual({ tp: 1, fp: 1, ignored: 1, gt: 3, precision: 0.5, recall: 1 / 3 });
  });
});

describe('averagePrecision', () => {
  const v = (score: number, outcome: MatchedDetection['outcome']): MatchedDetection => ({ image: 'x', label: 'a', score, outcome, iou: 0 });

  it('is the area under the monotone precision/recall curve (all-point)', () => {
    // Ranked: tp, fp, tp, fp with 4 GT → recall 0.25 @ P 1, recall 0.5 @ P 2/3 → AP = 0.25·1 + 0.25·2/3.
    const ranked = [v(0.9, 'tp'), v(0.8, 'fp'), v(0.7, 'tp'), v(0.6, 'fp'), v(0.65, 'ignored')];
    expect(averagePrecision(ranked, 4, 'all-point')).toBeCloseTo(0.25 + 0.25 * (2 / 3), 12);
    // 101-point: r = 0..0.25 (26 points) → 1, r = 0.26..0.5 (25 points) → 2/3, rest 0.
    expect(averagePrecision(ranked, 4, 'coco-101')).toBeCloseTo((26 + 25 * (2 / 3)) / 101, 12);
  });

  it('is 1 for a perfect ranking and 0 without true positives', () => {
    expect(averagePrecision([v(0.9, 'tp'), v(0.1, 'tp')], 2)).toBe(1);
    expect(averagePrecision([v(0.9, 'fp')], 2)).toBe(0);
    expect(averagePrecision([], 0)).toBeNaN();
  });
});
