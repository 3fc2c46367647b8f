/**
 * Privacy redaction of a frame before it leaves the device: every person entirely, and the lower
 * half of every vehicle (where number plates are), made unrecoverable.
 *
 * Method: each region is reduced to a coarse grid of cell averages (cells of at least
 * {@link MIN_CELL_PX} px and at least 1/{@link CELLS_ACROSS} of the region's larger side) and
 * rebuilt from those averages by bilinear interpolation. The output depends on the cell averages
 * alone — a few dozen numbers per region — so the detail inside (faces, plate characters) is not
 * in the evidence at all; no deblurring can bring it back. Cells of 1/10 of a person's height are
 * larger than a face, and cells of 1/10 of a vehicle's width are about as wide as a whole plate
 * (unlike fine mosaics, which "depixelation" attacks on known fonts can sometimes read).
 * Bilinear rebuilding (rather than flat mosaic squares) leaves a smooth blob with no block edges.
 */
import type { Box } from '../vision/preprocess/letterbox';
import type { DecodedImage } from '../vision/preprocess/decode';

/** Labels whose whole box is redacted (COCO). */
export const PERSON_LABELS: ReadonlySet<string> = new Set(['person']);

/** Labels whose lower half (number plate) is redacted (COCO). */
export const VEHICLE_LABELS: ReadonlySet<string> = new Set(['car', 'bus', 'truck', 'motorcycle', 'bicycle']);

/** Smallest redaction cell, pixels. */
export const MIN_CELL_PX = 8;

/** A region is at most this many cells across its larger side. */
export const CELLS_ACROSS = 10;

/** Each region grows by this fraction of the box's width/height on every side (boxes are tight). */
export const REDACTION_MARGIN = 0.05;

/** A pixel rectangle: integer `x`, `y` of the top-left pixel, `width` × `height` pixels. */
export interface PixelRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** What is redacted for one detection and why. */
export interface RedactionRegion extends PixelRect {
  kind: 'person' | 'vehicle-lower-half';
}

/**
 * The regions to redact for a frame's detections: person boxes whole, vehicle boxes' lower half,
 * each grown by {@link REDACTION_MARGIN} and clipped to the `width` × `height` frame. Boxes are
 * `[x1, y1, x2, y2]` in pixels of the oriented frame.
 */
export function redactionRegions(
  detections: ReadonlyArray<{ label: string; box: Box }>,
  width: number,
  height: number,
): RedactionRegion[] {
  const regions: RedactionRegion[] = [];
  for (const { label, box } of detections) {
    const [x1, y1, x2, y2] = box;
    const w = x2 - x1;
    const h = y2 - y1;
    if (!(w > 0 && h > 0)) continue;
    const mx = w * REDACTION_MARGIN;
    const my = h * REDACTION_MARGIN;
    let region: Box | undefined;
    let kind: RedactionRegion['kind'] | undefined;
    if (PERSON_LABELS.has(label)) {
      region = [x1 - mx, y1 - my, x2 + mx, y2 + my];
      kind = 'person';
    } else if (VEHICLE_LABELS.has(label)) {
      region = [x1 - mx, y1 + h / 2, x2 + mx, y2 + my];
      kind = 'vehicle-lower-half';
    }
    if (!region || !kind) continue;
    const rect = toPixelRect(region, width, height);
    if (rect) regions.push({ kind, ...rect });
  }
  return regions;
}

/**
 * The pixels a continuous box covers (any overlap counts), clipped to the frame;
 * `undefined` when nothing is left.
 */
export function toPixelRect(box: Box, width: number, height: number): PixelRect | undefined {
  const x0 = Math.max(0, Math.floor(box[0]));
  const y0 = Math.max(0, Math.floor(box[1]));
  const x1 = Math.min(width, Math.ceil(box[2]));
  const y1 = Math.min(height, Math.ceil(box[3]));
  if (x1 <= x0 || y1 <= y0) return undefined;
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/**
 * Replaces the pixels of `rect` in `image` (in place) by the bilinear rebuild of its coarse cell
 * averages (see the module docs). `image` is an RGB frame as `decodeImage` returns it.
 */
export function obliterate(image: DecodedImage, rect: PixelRect): void {
  const { data, width: stride } = image;
  const { x: rx, y: ry, width: w, height: h } = rect;
  const cell = Math.max(MIN_CELL_PX, Math.ceil(Math.max(w, h) / CELLS_ACROSS));
  const gx = Math.max(1, Math.round(w / cell));
  const gy = Math.max(1, Math.round(h / cell));
  const cw = w / gx;
  const ch = h / gy;

  // Cell averages per channel.
  const sums = new Float64Array(gx * gy * 3);
  const counts = new Float64Array(gx * gy);
  for (let y = 0; y < h; y += 1) {
    const cy = Math.min(gy - 1, Math.floor(y / ch));
    let p = ((ry + y) * stride + rx) * 3;
    for (let x = 0; x < w; x += 1, p += 3) {
      const c = cy * gx + Math.min(gx - 1, Math.floor(x / cw));
      sums[c * 3] = sums[c * 3]! + data[p]!;
      sums[c * 3 + 1] = sums[c * 3 + 1]! + data[p + 1]!;
      sums[c * 3 + 2] = sums[c * 3 + 2]! + data[p + 2]!;
      counts[c] = counts[c]! + 1;
    }
  }
  for (let i = 0; i < sums.length; i += 1) sums[i] = sums[i]! / (counts[Math.floor(i / 3)]! || 1);

  // Bilinear rebuild between cell centres.
  for (let y = 0; y < h; y += 1) {
    const v = Math.min(gy - 1, Math.max(0, (y + 0.5) / ch - 0.5));
    const j0 = Math.floor(v);
    const j1 = Math.min(gy - 1, j0 + 1);
    const fy = v - j0;
    let p = ((ry + y) * stride + rx) * 3;
    for (let x = 0; x < w; x += 1, p += 3) {
      const u = Math.min(gx - 1, Math.max(0, (x + 0.5) / cw - 0.5));
      const i0 = Math.floor(u);
      const i1 = Math.min(gx - 1, i0 + 1);
      const fx = u - i0;
      const a = (j0 * gx + i0) * 3;
      const b = (j0 * gx + i1) * 3;
      const c = (j1 * gx + i0) * 3;
      const d = (j1 * gx + i1) * 3;
      for (let k = 0; k < 3; k += 1) {
        const top = sums[a + k]! + fx * (sums[b + k]! - sums[a + k]!);
        const bottom = sums[c + k]! + fx * (sums[d + k]! - sums[c + k]!);
        data[p + k] = Math.round(top + fy * (bottom - top));
      }
    }
  }
}
