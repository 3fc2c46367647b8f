/**
 * Image decoding: any still image sharp/libvips can read (JPEG, PNG, WebP, TIFF, GIF, AVIF/HEIF)
 * → one canonical frame the rest of the vision stage can rely on.
 *
 * The canonical frame ({@link DecodedImage}) is:
 * - **oriented**: the EXIF `Orientation` tag is applied, so `width`/`height` and every pixel
 *   coordinate refer to the image *as displayed*, not as stored;
 * - **sRGB, 3 channels, 8 bit**: grey, CMYK, 16-bit, palette and alpha inputs are converted
 *   (alpha is flattened onto a background colour);
 * - **raw HWC**: `data[(y * width + x) * 3 + c]`, c = 0 R, 1 G, 2 B; row-major, no padding.
 *
 * Decoding is bounded: sharp's `limitInputPixels` stays on (default 268 402 689 = 16383², sharp's
 * own default) and is checked from the header, before any pixel buffer is allocated, so a
 * "decompression bomb" is rejected cheaply.
 *
 * @example
 * const frame = await decodeImage('/data/cam1/0001.jpg');
 * frame.data.length === frame.width * frame.height * 3; // true
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';

/** sharp's default `limitInputPixels` (0x3FFF × 0x3FFF): the largest frame we accept by default. */
export const DEFAULT_MAX_PIXELS = 268_402_689;

/** A decoded, EXIF-oriented, sRGB 8-bit RGB frame. */
export interface DecodedImage {
  /** Raw pixels, HWC, RGB, uint8: `data[(y * width + x) * 3 + c]`. Length `width * height * 3`. */
  data: Buffer;
  /** Width in pixels of the oriented (displayed) image. */
  width: number;
  /** Height in pixels of the oriented (displayed) image. */
  height: number;
  /** Always 3 (R, G, B). */
  channels: 3;
}

/** Options of {@link decodeImage}. */
export interface DecodeOptions {
  /**
   * Largest accepted `width * height` of the *stored* image, checked from the header before
   * decoding. Default {@link DEFAULT_MAX_PIXELS}. `Infinity` lifts the limit (not advised on
   * untrusted input).
   */
  maxPixels?: number;
  /**
   * Colour transparent pixels are composited onto (images with an alpha channel or a transparent
   * palette entry). Default white, as most viewers show transparency.
   */
  background?: { r: number; g: number; b: number };
  /**
   * How strict libvips is about damaged data (sharp's `failOn`): `'warning'` (default, sharp's
   * default) rejects any damage including a truncated file; `'truncated'` only rejects truncated
   * data; `'none'` decodes what it can (a truncated JPEG then has grey rows at the bottom).
   */
  failOn?: 'none' | 'truncated' | 'error' | 'warning';
}

/** Why an input could not be decoded. */
export type ImageDecodeReason = 'not-found' | 'unreadable' | 'empty' | 'not-an-image' | 'corrupt' | 'too-large' | 'unsupported';

/**
 * An input could not be turned into a {@link DecodedImage}. The message names the input (file path,
 * or `<buffer of N bytes>`), the cause, and what to do; `reason` is a machine-readable cause and
 * `cause` the underlying sharp/fs error.
 */
export class ImageDecodeError extends Error {
  override readonly name = 'ImageDecodeError';
  constructor(
    readonly input: string,
    readonly reason: ImageDecodeReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A human name for an input, used in error messages. */
function describeInput(input: Buffer | string): string {
  return typeof input === 'string' ? input : `<buffer of ${input.length} bytes>`;
}

/**
 * Decodes an image file or encoded bytes into an oriented sRGB RGB uint8 frame.
 *
 * Pipeline (one sharp pass): header check against `maxPixels` → decode → EXIF auto-orient →
 * colourspace to sRGB (CMYK via sharp's built-in profile, grey replicated to 3 channels, 16-bit
 * scaled to 8-bit) → flatten alpha onto `background` → raw uint8.
 *
 * @param input path of an image file, or its encoded bytes (not raw pixels).
 * @returns the decoded frame; `width`/`height` are the displayed (oriented) dimensions.
 * @throws ImageDecodeError with `reason`:
 *   `not-found` (no such file), `unreadable` (a directory, no permission, ...), `empty` (0 bytes),
 *   `not-an-image` (format not recognised),
 *   `corrupt` (truncated or damaged data), `too-large` (over `maxPixels`).
 */
export async function decodeImage(input: Buffer | string, opts: DecodeOptions = {}): Promise<DecodedImage> {
  const name = describeInput(input);
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!(maxPixels > 0)) throw new RangeError(`maxPixels must be a positive number of pixels, got ${maxPixels}`);

  let bytes: Buffer;
  if (typeof input === 'string') {
    try {
      bytes = await readFile(input);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        throw new ImageDecodeError(name, 'not-found', `cannot decode ${name}: no such file`, { cause: err });
      }
      throw new ImageDecodeError(name, 'unreadable', `cannot decode ${name}: cannot read it (${(err as Error).message})`, {
        cause: err,
      });
    }
  } else {
    bytes = input;
  }
  if (bytes.length === 0) {
    throw new ImageDecodeError(name, 'empty', `cannot decode ${name}: the file is empty (0 bytes), not an image`);
  }

  try {
    const { data, info } = await sharp(bytes, {
      limitInputPixels: Number.isFinite(maxPixels) ? Math.floor(maxPixels) : false,
      failOn: opts.failOn ?? 'warning',
    })
      .autoOrient()
      .toColourspace('srgb')
      .flatten({ background: opts.background ?? { r: 255, g: 255, b: 255 } })
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || data.length !== info.width * info.height * 3) {
      throw new ImageDecodeError(
        name,
        'unsupported',
        `cannot decode ${name}: expected 3 channels of 8 bits after conversion, got ${info.channels} channels ` +
          `(${data.length} bytes for ${info.width}x${info.height})`,
      );
    }
    return { data, width: info.width, height: info.height, channels: 3 };
  } catch (err) {
    if (err instanceof ImageDecodeError) throw err;
    throw await classifySharpError(bytes, name, maxPixels, err);
  }
}

/** Maps a sharp/libvips error onto an {@link ImageDecodeError} with a message a user can act on. */
async function classifySharpError(bytes: Buffer, name: string, maxPixels: number, err: unknown): Promise<ImageDecodeError> {
  const cause = err instanceof Error ? err.message : String(err);
  const options = { cause: err };
  if (/exceeds pixel limit/i.test(cause)) {
    // Read the header alone (no pixel allocation) to say how large the image claims to be.
    let size = '';
    try {
      const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
      if (meta.width && meta.height) size = ` (${meta.width}x${meta.height} = ${meta.width * meta.height} pixels)`;
    } catch {
      // The header alone may be unreadable; the limit message stands on its own.
    }
    return new ImageDecodeError(
      name,
      'too-large',
      `cannot decode ${name}: image exceeds pixel limit of ${maxPixels} pixels${size}; ` +
        `raise the maxPixels option if the image is trusted`,
      options,
    );
  }
  if (/unsupported image format|unknown format|not a known file format/i.test(cause)) {
    return new ImageDecodeError(
      name,
      'not-an-image',
      `cannot decode ${name}: not an image (format not recognised; expected JPEG, PNG, WebP, TIFF, GIF or AVIF)`,
      options,
    );
  }
  if (/premature end|truncated|unexpected end|read error|corrupt|invalid|bad|damaged/i.test(cause)) {
    return new ImageDecodeError(name, 'corrupt', `cannot decode ${name}: truncated or corrupt image data (${cause})`, options);
  }
  return new ImageDecodeError(name, 'corrupt', `cannot decode ${name}: ${cause}`, options);
}
