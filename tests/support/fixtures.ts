/**
 * Paths of the shared, third-party fixtures (never copied into this repository).
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';

/** Root of `../shared/fixtures` (from `SIGHTLINE_FIXTURES_DIR`). */
export function fixturesDir(): string {
  const dir = process.env.SIGHTLINE_FIXTURES_DIR;
  if (!dir) throw new Error('SIGHTLINE_FIXTURES_DIR is not set (tests/support/env.ts sets a default)');
  return dir;
}

/** Absolute path of a fixture file, e.g. `fixture('demo/bus.jpg')`. */
export function fixture(relative: string): string {
  return join(fixturesDir(), relative);
}

/** One labelled object of `ground_truth.json`: COCO class name and pixel box `[x1, y1, x2, y2]`. */
export interface GroundTruthObject {
  class_id: number;
  class: string;
  bbox_xyxy: [number, number, number, number];
}

/** One labelled image of `ground_truth.json`. */
export interface GroundTruthImage {
  file: string;
  width: number;
  height: number;
  objects: GroundTruthObject[];
  /** Crowd regions (COCO iscrowd), `bbox_xywh` in pixels: detections inside count neither way. */
  crowd_regions: Array<{ class: string; bbox_xywh: [number, number, number, number] }>;
}

/** The COCO ground truth for the street and sign photos, keyed by file name. */
export function groundTruth(): Record<string, GroundTruthImage> {
  const data = JSON.parse(readFileSync(fixture('ground_truth.json'), 'utf8')) as { images: Record<string, GroundTruthImage> };
  return data.images;
}
