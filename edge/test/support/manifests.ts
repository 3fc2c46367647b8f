/**
 * Small hand-made manifests for unit tests of the decoders and the letterbox (no model file).
 */
import type { ModelFamily, ModelManifest } from '@sightline/models';

/** A manifest of `family` with `labels`, a `size`×`size` input and YOLOX-like preprocessing. */
export function testManifest(family: ModelFamily, labels: string[], overrides: Partial<ModelManifest['input']> = {}, size = 416): ModelManifest {
  return {
    id: `test-${family}`,
    name: `test ${family}`,
    family,
    file: 'none.onnx',
    url: 'https://example.invalid/none.onnx',
    sha256: '0'.repeat(64),
    bytes: 0,
    license: 'test',
    source: 'test',
    input: {
      name: 'images',
      width: size,
      height: size,
      layout: 'NCHW',
      channelOrder: 'BGR',
      scale: 1,
      mean: [0, 0, 0],
      std: [1, 1, 1],
      letterbox: { align: 'top-left', padValue: 114 },
      ...overrides,
    },
    output: { name: 'output', strides: [8, 16, 32] },
    defaults: { score: 0.3, iou: 0.45 },
    labels,
  };
}

/** The 80 COCO class names as placeholders `c0` … `c79`. */
export const EIGHTY = Array.from({ length: 80 }, (_, i) => `c${i}`);
