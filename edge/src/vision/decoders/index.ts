/**
 * Decoder registry: picks the decoder for a manifest's `family`. Adding a family = one new file
 * exporting a {@link Decoder} plus one entry here.
 *
 * | family        | output              | decode                                  | NMS |
 * |---------------|---------------------|-----------------------------------------|-----|
 * | `yolox`       | `[1, N, 5 + C]`     | grid + stride, score = obj · cls        | yes |
 * | `ultralytics` | `[1, 4 + C, N]`     | cx,cy,w,h in pixels, score = cls        | yes |
 * | `yolov5`      | `[1, N, 5 + C]`     | cx,cy,w,h in pixels, score = obj · cls  | yes |
 * | `end2end`     | `[N, 6]`            | x1,y1,x2,y2,score,class                 | no  |
 */
import type { ModelFamily } from '@sightline/models';
import type { Decoder } from './types';
import { decodeYolox } from './yolox';
import { decodeUltralytics } from './ultralytics';
import { decodeYolov5 } from './yolov5';
import { decodeEnd2end } from './end2end';

export * from './types';
export { decodeYolox, yoloxGrid, YOLOX_DEFAULT_STRIDES } from './yolox';
export { decodeUltralytics } from './ultralytics';
export { decodeYolov5 } from './yolov5';
export { decodeEnd2end } from './end2end';

/** A registered family: its decoder and whether its candidates still need NMS. */
export interface DecoderEntry {
  family: ModelFamily;
  decode: Decoder;
  /** False for families whose graph already ran NMS (end-to-end models). */
  needsNms: boolean;
}

const REGISTRY: ReadonlyMap<string, DecoderEntry> = new Map<string, DecoderEntry>([
  ['yolox', { family: 'yolox', decode: decodeYolox, needsNms: true }],
  ['ultralytics', { family: 'ultralytics', decode: decodeUltralytics, needsNms: true }],
  ['yolov5', { family: 'yolov5', decode: decodeYolov5, needsNms: true }],
  ['end2end', { family: 'end2end', decode: decodeEnd2end, needsNms: false }],
]);

/** Families with a decoder. */
export function supportedFamilies(): string[] {
  return [...REGISTRY.keys()];
}

/**
 * The decoder for a model family.
 * @throws Error naming the family and the supported ones when there is no decoder for it.
 */
export function decoderFor(family: string): DecoderEntry {
  const entry = REGISTRY.get(family);
  if (!entry) {
    throw new Error(
      `no decoder for model family "${family}": supported families are ${supportedFamilies().join(', ')}; ` +
        `fix the manifest's "family" or add a decoder in edge/src/vision/decoders/`,
    );
  }
  return entry;
}
