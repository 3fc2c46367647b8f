/**
 * Letterbox: fit a decoded frame into the network's fixed input size without distorting it, and
 * turn it into the input tensor the model was trained on.
 *
 * Geometry (the same as YOLOX `preproc` and Ultralytics `LetterBox`):
 * ```
 *   r     = min(W / w, H / h)            w×h frame (original, oriented), W×H network input
 *   w', h' = round(w·r), round(h·r)       size of the resized frame inside the input
 *   padX, padY                            offset of the resized frame: 0,0 for `top-left`,
 *                                         floor((W-w')/2), floor((H-h')/2) for `center`
 *   network = original · r + pad          for x (with padX) and y (with padY)
 *   original = (network − pad) / r
 * ```
 * Everything outside the resized frame is filled with `padValue` (114 for YOLOX and Ultralytics).
 *
 * Coordinates are continuous pixel coordinates: (0, 0) is the top-left corner of the top-left
 * pixel, (w, h) the bottom-right corner of the bottom-right pixel.
 *
 * Tensor layout: `Float32Array` NCHW `[1, 3, H, W]`, element `(c, y, x)` at `c·H·W + y·W + x`, channel
 * c in the manifest's `channelOrder` (YOLOX: B, G, R), value `(v · scale − mean[c]) / std[c]` where v
 * is the 0..255 pixel value and `mean`/`std` are indexed in tensor channel order.
 *
 * Sources: YOLOX `yolox/data/data_augment.py::preproc` (Megvii-BaseDetection/YOLOX, Apache-2.0);
 * Ultralytics `ultralytics/data/augment.py::LetterBox`.
 */
import sharp from 'sharp';
import type { ModelManifest } from '@sightline/models';
import type { DecodedImage } from './decode';

/** How a frame was placed into the network input; maps boxes between the two systems. */
export interface LetterboxTransform {
  /** `r`: network pixels per original pixel (same on both axes). */
  scale: number;
  /** Left offset of the resized frame in the network input, network pixels. */
  padX: number;
  /** Top offset of the resized frame in the network input, network pixels. */
  padY: number;
  /** Size of the resized frame inside the input, network pixels (`round(w·r)`, `round(h·r)`). */
  resizedWidth: number;
  resizedHeight: number;
  /** Size of the original (oriented) frame, pixels. */
  sourceWidth: number;
  sourceHeight: number;
}

/** The network input tensor and the transform that produced it. */
export interface LetterboxResult {
  /** Float32 NCHW `[1, 3, H, W]`, see the module docstring for layout, channel order and values. */
  tensor: Float32Array;
  /** `[1, 3, H, W]`. */
  dims: [1, 3, number, number];
  transform: LetterboxTransform;
}

/** An axis-aligned box `[x1, y1, x2, y2]` in continuous pixel coordinates. */
export type Box = [number, number, number, number];

/** The letterbox geometry of a `width`×`height` frame for a manifest's input (no pixels touched). */
export function letterboxTransform(width: number, height: number, input: ModelManifest['input']): LetterboxTransform {
  if (!(width > 0 && height > 0)) throw new RangeError(`letterbox: frame size must be positive, got ${width}x${height}`);
  const scale = Math.min(input.width / width, input.height / height);
  const resizedWidth = Math.min(input.width, Math.max(1, Math.round(width * scale)));
  const resizedHeight = Math.min(input.height, Math.max(1, Math.round(height * scale)));
  const center = input.letterbox.align === 'center';
  return {
    scale,
    padX: center ? Math.floor((input.width - resizedWidth) / 2) : 0,
    padY: center ? Math.floor((input.height - resizedHeight) / 2) : 0,
    resizedWidth,
    resizedHeight,
    sourceWidth: width,
    sourceHeight: height,
  };
}

/** Maps a box from original-frame pixels to network-input pixels: `x·r + padX`, `y·r + padY`. */
export function toNetworkBox(box: Readonly<Box>, t: LetterboxTransform): Box {
  return [box[0] * t.scale + t.padX, box[1] * t.scale + t.padY, box[2] * t.scale + t.padX, box[3] * t.scale + t.padY];
}

/**
 * Maps a box from network-input pixels back to original-frame pixels: `(x − padX) / r`,
 * `(y − padY) / r`. Not clipped; see {@link clipBox}.
 */
export function toOriginalBox(box: Readonly<Box>, t: LetterboxTransform): Box {
  return [
    (box[0] - t.padX) / t.scale,
    (box[1] - t.padY) / t.scale,
    (box[2] - t.padX) / t.scale,
    (box[3] - t.padY) / t.scale,
  ];
}

/** Clips a box to the frame `[0, width] × [0, height]`. */
export function clipBox(box: Readonly<Box>, width: number, height: number): Box {
  const cx = (v: number) => Math.min(Math.max(v, 0), width);
  const cy = (v: number) => Math.min(Math.max(v, 0), height);
  return [cx(box[0]), cy(box[1]), cx(box[2]), cy(box[3])];
}

/**
 * Resizes a decoded frame into the manifest's input (keeping aspect ratio), pads it and converts it
 * to the normalised NCHW float tensor.
 *
 * The resize runs in sharp (libvips, bilinear `linear` kernel — YOLOX trains with OpenCV
 * `INTER_LINEAR`); the HWC→CHW reorder, channel swap, normalisation and padding run here.
 *
 * @param image an oriented RGB uint8 frame from {@link decodeImage}.
 * @param input the manifest's `input` section (size, channel order, normalisation, letterbox).
 * @param out optional reusable tensor of length `3·H·W` (avoids a 2 MB allocation per frame).
 */
export async function letterbox(
  image: DecodedImage,
  input: ModelManifest['input'],
  out?: Float32Array,
): Promise<LetterboxResult> {
  if (input.layout !== 'NCHW') throw new Error(`letterbox: unsupported input layout ${String(input.layout)}, only NCHW`);
  const { width: W, height: H } = input;
  const t = letterboxTransform(image.width, image.height, input);

  const resized =
    t.resizedWidth === image.width && t.resizedHeight === image.height
      ? image.data
      : await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
          .resize(t.resizedWidth, t.resizedHeight, { fit: 'fill', kernel: 'linear' })
          .raw({ depth: 'uchar' })
          .toBuffer();

  const plane = W * H;
  const tensor = out ?? new Float32Array(3 * plane);
  if (tensor.length !== 3 * plane) throw new RangeError(`letterbox: out has ${tensor.length} elements, expected ${3 * plane}`);

  // Tensor channel c reads source channel src[c] (RGB frame: 0 R, 1 G, 2 B).
  const src = input.channelOrder === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  for (let c = 0; c < 3; c++) {
    const mul = input.scale / input.std[c]!;
    const add = -input.mean[c]! / input.std[c]!;
    const base = c * plane;
    tensor.fill(input.letterbox.padValue * mul + add, base, base + plane);
    const s = src[c]!;
    for (let y = 0; y < t.resizedHeight; y++) {
      let o = base + (y + t.padY) * W + t.padX;
      let i = y * t.resizedWidth * 3 + s;
      for (let x = 0; x < t.resizedWidth; x++, o++, i += 3) tensor[o] = resized[i]! * mul + add;
    }
  }
  return { tensor, dims: [1, 3, H, W], transform: t };
}
