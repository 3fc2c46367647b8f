/**
 * The evidence photo of one observation: the frame, redacted (see `./redact`), with the observed
 * object's box drawn, as a JPEG for city staff. Published on
 * `sightline/v1/{deviceId}/evidence/{observationId}`.
 */
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { EvidenceMeta } from '@sightline/contracts';
import { decodeImage, type DecodedImage } from '../vision/preprocess/decode';
import type { Box } from '../vision/preprocess/letterbox';
import { obliterate, redactionRegions, toPixelRect } from './redact';

/** What evidence needs of a detection: its label and its `[x1, y1, x2, y2]` box in oriented-frame pixels. */
export interface EvidenceDetection {
  label: string;
  box: Box;
}

/** Options of {@link renderEvidence}. */
export interface EvidenceOptions {
  /** JPEG quality 1..100. Default 90. */
  quality?: number;
  /** Frames larger than this (pixels, longer side) are scaled down after redaction. Default 1920. */
  maxSide?: number;
  /** Outline colour of the focus box (CSS colour). Default `#ffd400` (signal yellow). */
  color?: string;
}

/**
 * Renders the redacted evidence JPEG of one observation.
 *
 * 1. Decodes the frame with its EXIF orientation applied (boxes are in oriented-frame pixels), to
 *    8-bit sRGB (`decodeImage`); an already decoded frame (video) is used as is (not modified).
 * 2. Redacts, for every detection of the frame: person boxes entirely, the lower half of car, bus,
 *    truck, motorcycle and bicycle boxes — irreversibly (see `redactionRegions`, `obliterate`).
 * 3. Scales down to `maxSide` if larger, draws the `focus` box (outline, no text), and encodes a
 *    JPEG without metadata (no EXIF: no camera serials, no original GPS, no orientation flag).
 *
 * @param image encoded bytes (JPEG, PNG, WebP, ...) or a decoded RGB frame.
 * @param detections every detection of the frame (all are redacted as their label requires).
 * @param focus the observation's detection, whose box is drawn (it may be among `detections`).
 * @returns JPEG bytes.
 * @throws ImageDecodeError when `image` cannot be decoded.
 *
 * @example
 * const jpeg = await renderEvidence(frame.image, result.detections, couch);
 */
export async function renderEvidence(
  image: Buffer | DecodedImage,
  detections: readonly EvidenceDetection[],
  focus: EvidenceDetection,
  options: EvidenceOptions = {},
): Promise<Buffer> {
  const decoded = Buffer.isBuffer(image) ? await decodeImage(image) : { ...image, data: Buffer.from(image.data) };
  const { width, height } = decoded;
  for (const region of redactionRegions(detections, width, height)) obliterate(decoded, region);

  const maxSide = options.maxSide ?? 1920;
  const scale = Math.max(width, height) > maxSide ? maxSide / Math.max(width, height) : 1;
  const outW = Math.max(1, Math.round(width * scale));
  const outH = Math.max(1, Math.round(height * scale));

  let pipeline = sharp(decoded.data, { raw: { width, height, channels: 3 } });
  if (scale !== 1) pipeline = sharp(await pipeline.resize(outW, outH, { kernel: 'lanczos3' }).raw().toBuffer(), { raw: { width: outW, height: outH, channels: 3 } });

  const outline = focusOutline(focus.box, scale, outW, outH, options.color ?? '#ffd400');
  if (outline) pipeline = pipeline.composite([{ input: Buffer.from(outline), top: 0, left: 0 }]);
  return pipeline.jpeg({ quality: options.quality ?? 90 }).toBuffer();
}

/** Line width of the focus box: 3 px on a 640 px frame, scaling with the frame, at least 2. */
export function outlineWidth(width: number, height: number): number {
  return Math.max(2, Math.round(Math.min(width, height) / 200));
}

/** SVG (frame-sized) drawing the focus box: a dark line under a coloured one, so it shows on any background. */
function focusOutline(box: Box, scale: number, width: number, height: number, color: string): string | undefined {
  const rect = toPixelRect([box[0] * scale, box[1] * scale, box[2] * scale, box[3] * scale], width, height);
  if (!rect) return undefined;
  const line = outlineWidth(width, height);
  // Inset by half a line so the whole stroke stays inside the frame.
  const x = rect.x + line / 2;
  const y = rect.y + line / 2;
  const w = Math.max(1, rect.width - line);
  const h = Math.max(1, rect.height - line);
  const safeColor = /^#[0-9a-fA-F]{3,8}$|^[a-zA-Z]+$/.test(color) ? color : '#ffd400';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="#000" stroke-opacity="0.6" stroke-width="${line + 2}"/>` +
    `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="${safeColor}" stroke-width="${line}"/>` +
    `</svg>`
  );
}

/**
 * The {@link EvidenceMeta} announcing an evidence JPEG in its observation: size, SHA-256, pixel
 * size, and the redactions applied.
 */
export async function describeEvidence(jpeg: Buffer): Promise<EvidenceMeta> {
  const { width, height } = await sharp(jpeg).metadata();
  if (!width || !height) throw new Error('evidence JPEG has no dimensions');
  return {
    contentType: 'image/jpeg',
    bytes: jpeg.length,
    sha256: createHash('sha256').update(jpeg).digest('hex'),
    width,
    height,
    redacted: ['persons', 'vehicle-lower-halves'],
  };
}
