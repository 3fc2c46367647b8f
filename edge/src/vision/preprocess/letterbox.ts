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
 * **Pre-scaled frames.** A video decoder can scale frames itself, far cheaper than a resize per
 * frame here (ffmpeg's swscale in its own process; a 1080p frame also shrinks 20× on the pipe).
 * Pass `frameSize`, the size of the frame the pixels show: the geometry (and so the returned
 * transform, and every box mapped back with it) is that of the frame, and pixels that already have
 * the letterbox's resized size (`round(w·r) × round(h·r)` of the frame) are used as they are; any
 * other size is resized as usual.
 *
 * @param image an oriented RGB uint8 frame from {@link decodeImage} (or a video frame's pixels).
 * @param input the manifest's `input` section (size, channel order, normalisation, letterbox).
 * @param out optional reusable tensor of length `3·H·W` (avoids a 2 MB allocation per frame).
 * @param frameSize size of the frame `image` shows, when its pixels were scaled; default the image's own size.
 */
export async function letterbox(
  image: DecodedImage,
  input: ModelManifest['input'],
  out?: Float32Array,
  frameSize?: { width: number; height: number },
): Promise<LetterboxResult> {
  if (input.layout !== 'NCHW') throw new Error(`letterbox: unsupported input layout ${String(input.layout)}, only NCHW`);
  const { width: W, height: H } = input;
  const t = letterboxTransform(frameSize?.width ?? image.width, frameSize?.height ?? image.height, input);

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

  // Tensor channel c reads source channel src[c] (RGB frame: 0 R, 1 G, 2 B); value v·mul[c] + add[c].
  const src = input.channelOrder === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  const mul = [0, 1, 2].map((c) => input.scale / input.std[c]!);
  const add = [0, 1, 2].map((c) => -input.mean[c]! / input.std[c]!);
  const { resizedWidth: rw, resizedHeight: rh, padX, padY } = t;
  // Padding first, only where the frame does not cover (this runs for every video frame).
  for (let c = 0; c < 3; c++) {
    const base = c * plane;
    const pad = input.letterbox.padValue * mul[c]! + add[c]!;
    tensor.fill(pad, base, base + padY * W);
    tensor.fill(pad, base + (padY + rh) * W, base + plane);
    if (rw < W) {
      for (let y = padY; y < padY + rh; y++) {
        const row = base + y * W;
        tensor.fill(pad, row, row + padX);
        tensor.fill(pad, row + padX + rw, row + W);
      }
    }
  }
  // Then the frame, one pass over its pixels writing the three planes.
  const [s0, s1, s2] = src as [number, number, number];
  const [m0, m1, m2] = mul as [number, number, number];
  const [a0, a1, a2] = add as [number, number, number];
  for (let y = 0; y < rh; y++) {
    let o = (y + padY) * W + padX;
    let i = y * rw * 3;
    for (let x = 0; x < rw; x++, o++, i += 3) {
      tensor[o] = resized[i + s0]! * m0 + a0;
      tensor[o + plane] = resized[i + s1]! * m1 + a1;
      tensor[o + 2 * plane] = resized[i + s2]! * m2 + a2;
    }
  }
  return { tensor, dims: [1, 3, H, W], transform: t };
}
