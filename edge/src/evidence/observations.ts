/**
 * One frame's detections → the observations the agent publishes: each with its city category
 * (from the model's taxonomy) and, for categories that raise incidents, a redacted evidence JPEG.
 *
 * ```
 * detections ─▶ categorize(label, score, taxonomy) ─▶ minFrames gate ─▶ category on the observation
 *                                                         └─ rule.raisesIncident ─▶ renderEvidence ─▶ EvidenceMeta + JPEG
 * ```
 *
 * `category` means "counts as a sighting of this category": the label maps, the score reaches the
 * category's `minScore`, and the object was seen in at least `minFrames` frames. Still images
 * have no tracks, so their gate is 1 (every frame stands alone); a video pipeline passes each
 * detection's track hit count in `hits`. Detections that do not qualify are still observations,
 * without a category.
 */
import { newId, type Observation } from '@sightline/contracts';
import { categorize, meetsMinFrames, type CategoryRule, type Taxonomy } from '@sightline/models';
import type { DecodedImage } from '../vision/preprocess/decode';
import { decodeImage } from '../vision/preprocess/decode';
import type { Detection } from '../vision/detector';
import { describeEvidence, renderEvidence, type EvidenceOptions } from './render';

/** The redacted JPEG to publish for one observation on `sightline/v1/{deviceId}/evidence/{observationId}`. */
export interface EvidenceJpeg {
  observationId: string;
  category: string;
  jpeg: Buffer;
}

/** What {@link observeFrame} returns. */
export interface FrameObservations {
  /** One per detection, in detection order. */
  observations: Observation[];
  /** The category rule of each observation that has a category, by observation id. */
  rules: Map<string, CategoryRule>;
  /** Evidence to publish (after the observation message), one per incident-raising observation. */
  evidence: EvidenceJpeg[];
}

/** Options of {@link observeFrame}. */
export interface ObserveOptions {
  /** Taxonomy of the model; without one no observation gets a category (and none gets evidence). */
  taxonomy?: Taxonomy;
  /**
   * Frames the object of detection `i` was seen in (its track's hits), for the `minFrames` gate;
   * `'still'` (default) for still images, whose gate is 1.
   */
  hits?: 'still' | ((detection: Detection, index: number) => number);
  /** Whether to render evidence at all (default true); e.g. off when the frame's pixels are gone. */
  evidence?: boolean;
  /** Passed to {@link renderEvidence}. */
  render?: EvidenceOptions;
}

/**
 * Categorises a frame's detections and renders evidence for incident-raising categories. The frame
 * is decoded at most once, and only when some observation needs evidence.
 *
 * @param image the frame: encoded bytes, or decoded pixels (video).
 * @param detections the frame's detections (boxes in oriented-frame pixels).
 */
export async function observeFrame(
  image: Buffer | DecodedImage | undefined,
  detections: readonly Detection[],
  options: ObserveOptions = {},
): Promise<FrameObservations> {
  const observations: Observation[] = [];
  const rules = new Map<string, CategoryRule>();
  const wanted: Array<{ observation: Observation; detection: Detection; category: string }> = [];
  detections.forEach((d, i) => {
    const observation: Observation = { id: newId(), label: d.label, classId: d.classId, score: d.score, box: d.box };
    const hit = options.taxonomy ? categorize(d.label, d.score, options.taxonomy) : undefined;
    const hits = options.hits === undefined || options.hits === 'still' ? 'still' : options.hits(d, i);
    if (hit && meetsMinFrames(hit.rule, hits)) {
      observation.category = hit.category;
      rules.set(observation.id, hit.rule);
      if (hit.rule.raisesIncident) wanted.push({ observation, detection: d, category: hit.category });
    }
    observations.push(observation);
  });

  const evidence: EvidenceJpeg[] = [];
  if (wanted.length > 0 && image !== undefined && options.evidence !== false) {
    const pixels = Buffer.isBuffer(image) ? await decodeImage(image) : image;
    for (const { observation, detection, category } of wanted) {
      const jpeg = await renderEvidence(pixels, detections, detection, options.render);
      observation.evidence = await describeEvidence(jpeg);
      evidence.push({ observationId: observation.id, category, jpeg });
    }
  }
  return { observations, rules, evidence };
}
