import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { validator, EvidenceMeta } from '@sightline/contracts';
import { decodeImage, type DecodedImage } from '../../src/vision/preprocess/decode';
import type { Box } from '../../src/vision/preprocess/letterbox';
import { describeEvidence, outlineWidth, redactionRegions, renderEvidence, REDACTION_MARGIN, type EvidenceDetection } from '../../src/evidence';
import { fixture, groundTruth } from '../../../tests/support/fixtures';

/** Integer pixel rectangle [x0, y0, x1, y1) of a box, optionally shrunk (negative grows). */
function rect(box: Box, inset: number, w: number, h: number): [number, number, number, number] {
  return [
    Math.max(0, Math.ceil(box[0] + inset)),
    Math.max(0, Math.ceil(box[1] + inset)),
    Math.min(w, Math.floor(box[2] - inset)),
    Math.min(h, Math.floor(box[3] - inset)),
  ];
}

/** Mean absolute difference per channel value over the pixels where `inside(x, y)`. */
function meanAbsDiff(a: DecodedImage, b: DecodedImage, inside: (x: number, y: number) => boolean): { mad: number; pixels: number } {
  let sum = 0;
  let pixels = 0;
  for (let y = 0; y < a.height; y += 1) {
    for (let x = 0; x < a.width; x += 1) {
      if (!inside(x, y)) continue;
      const p = (y * a.width + x) * 3;
      sum += Math.abs(a.data[p]! - b.data[p]!) + Math.abs(a.data[p + 1]! - b.data[p + 1]!) + Math.abs(a.data[p + 2]! - b.data[p + 2]!);
      pixels += 1;
    }
  }
  return { mad: sum / (pixels * 3), pixels };
}

/** Variance of the 4-neighbour Laplacian of luma inside [x0, x1) × [y0, y1): the high-frequency detail. */
function laplacianVariance(
  img: DecodedImage,
  [x0, y0, x1, y1]: [number, number, number, number],
  skip: (x: number, y: number) => boolean = () => false,
): number {
  const luma = (x: number, y: number) => {
    const p = (y * img.width + x) * 3;
    return 0.299 * img.data[p]! + 0.587 * img.data[p + 1]! + 0.114 * img.data[p + 2]!;
  };
  const values: number[] = [];
  for (let y = y0 + 1; y < y1 - 1; y += 1) {
    for (let x = x0 + 1; x < x1 - 1; x += 1) {
      if (skip(x, y)) continue;
      values.push(luma(x - 1, y) + luma(x + 1, y) + luma(x, y - 1) + luma(x, y + 1) - 4 * luma(x, y));
    }
  }
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
}

function streetPhoto(file: string) {
  const gt = groundTruth()[file]!;
  const detections: EvidenceDetection[] = gt.objects.map((o) => ({ label: o.class, box: o.bbox_xyxy }));
  return { gt, detections, path: fixture(`street/images/${file}`) };
}

/** Pixels on or next to the drawn outline of `focus` (its stroke plus the dark border, plus 2 px). */
function onOutline(focus: EvidenceDetection, w: number, h: number): (x: number, y: number) => boolean {
  const band = outlineWidth(w, h) + 4;
  const [x0, y0, x1, y1] = rect(focus.box, 0, w, h);
  const near = (v: number, edge: number) => Math.abs(v - edge) <= band;
  return (x, y) =>
    x >= x0 - band && x <= x1 + band && y >= y0 - band && y <= y1 + band && (near(x, x0) || near(x, x1) || near(y, y0) || near(y, y1));
}

/** No outline drawn: a focus box of zero size. */
const NO_FOCUS: EvidenceDetection = { label: 'none', box: [0, 0, 0, 0] };

/** Mask of pixels near any redaction region or the focus outline (JPEG blocks bleed up to 16 px). */
function nearChanges(detections: EvidenceDetection[], focus: EvidenceDetection, w: number, h: number): (x: number, y: number) => boolean {
  const guard = 16 + outlineWidth(w, h);
  const boxes = [
    ...redactionRegions(detections, w, h).map((r) => [r.x, r.y, r.x + r.width, r.y + r.height] as Box),
    focus.box,
  ].map((b) => rect(b, -guard, w, h));
  return (x, y) => boxes.some(([x0, y0, x1, y1]) => x >= x0 && x < x1 && y >= y0 && y < y1);
}

describe('renderEvidence on a real street photo (COCO val2017 #1584: 11 people, 3 buses)', () => {
  const file = 'coco_val2017_000000001584.jpg';

  it('makes every person unrecognisable and leaves the rest of the frame as it was', async () => {
    const { gt, detections, path } = streetPhoto(file);
    const original = await readFile(path);
    const bus = detections.find((d) => d.label === 'bus')!;
    const jpeg = await renderEvidence(original, detections, bus);
    expect(jpeg.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));

    const before = await decodeImage(original);
    const after = await decodeImage(jpeg);
    expect([after.width, after.height]).toEqual([gt.width, gt.height]);

    // Inside each person box at least 16 px on both sides (the people behind the bus windows),
    // 2 px in from the edge and off the drawn outline.
    const people = detections.filter((d) => d.label === 'person' && d.box[2] - d.box[0] >= 16 && d.box[3] - d.box[1] >= 16);
    expect(people.length).toBe(7);
    const outline = onOutline(bus, gt.width, gt.height);
    const inPerson = (b: Box) => {
      const [x0, y0, x1, y1] = rect(b, 2, gt.width, gt.height);
      return (x: number, y: number) => x >= x0 && x < x1 && y >= y0 && y < y1 && !outline(x, y);
    };
    // All person pixels together differ strongly from the original...
    const pooled = meanAbsDiff(before, after, (x, y) => people.some((p) => inPerson(p.box)(x, y)));
    expect(pooled.mad).toBeGreaterThan(15);
    for (const person of people) {
      // ...each person far more than JPEG re-encoding changes a pixel (< 1 here, see below), and
      // its fine detail (edges of eyes, mouth, hair) is gone.
      const [x0, y0, x1, y1] = rect(person.box, 2, gt.width, gt.height);
      const { mad } = meanAbsDiff(before, after, inPerson(person.box));
      const detailBefore = laplacianVariance(before, [x0, y0, x1, y1], outline);
      const detailAfter = laplacianVariance(after, [x0, y0, x1, y1], outline);
      if (process.env.SIGHTLINE_PRINT_EVIDENCE) console.log(person.box.map(Math.round).join(","), mad.toFixed(1), (detailAfter / detailBefore).toFixed(4));
      expect(mad, `person ${person.box.join(',')}: mean abs diff`).toBeGreaterThan(4);
      expect(detailAfter / detailBefore, `person ${person.box.join(',')}: Laplacian variance ratio`).toBeLessThan(0.1);
    }

    // Away from every redaction and from the drawn outline: only JPEG re-encoding differs.
    const near = nearChanges(detections, bus, gt.width, gt.height);
    const outside = meanAbsDiff(before, after, (x, y) => !near(x, y));
    expect(outside.pixels).toBeGreaterThan(0.25 * gt.width * gt.height);
    expect(outside.mad).toBeLessThan(2);
    if (process.env.SIGHTLINE_PRINT_EVIDENCE) console.log('pooled', pooled.mad.toFixed(1), 'outside', outside.mad.toFixed(2));
  });

  it('redacts the lower half of each bus and keeps its upper half', async () => {
    const { gt, detections, path } = streetPhoto(file);
    const original = await readFile(path);
    const buses = detections.filter((d) => d.label === 'bus');
    const jpeg = await renderEvidence(original, buses, NO_FOCUS);
    const before = await decodeImage(original);
    const after = await decodeImage(jpeg);
    const bus = buses.reduce((a, b) => ((b.box[2] - b.box[0]) * (b.box[3] - b.box[1]) > (a.box[2] - a.box[0]) * (a.box[3] - a.box[1]) ? b : a));
    const [x1, y1, x2, y2] = bus.box;
    const mid = (y1 + y2) / 2;
    const lower = rect([x1, mid, x2, y2], 2, gt.width, gt.height);
    expect(laplacianVariance(after, lower) / laplacianVariance(before, lower)).toBeLessThan(0.05);
    // Upper half, inside the outline and away from the other buses' regions.
    const near = nearChanges(buses.filter((b) => b !== bus), { label: 'bus', box: [0, 0, 0, 0] }, gt.width, gt.height);
    const guard = outlineWidth(gt.width, gt.height) + 16;
    const [ux0, uy0, ux1, uy1] = rect([x1, y1, x2, mid - (y2 - y1) * REDACTION_MARGIN], guard, gt.width, gt.height);
    const upper = meanAbsDiff(before, after, (x, y) => x >= ux0 && x < ux1 && y >= uy0 && y < uy1 && !near(x, y));
    expect(upper.pixels).toBeGreaterThan(1000);
    expect(upper.mad).toBeLessThan(2.5);
  });

  it('draws the focus box', async () => {
    const { gt, detections, path } = streetPhoto(file);
    const bus = detections.find((d) => d.label === 'bus')!;
    const after = await decodeImage(await renderEvidence(await readFile(path), [], bus));
    // The middle of the top edge of the box is signal yellow (#ffd400), give or take JPEG.
    const line = outlineWidth(gt.width, gt.height);
    const x = Math.round((bus.box[0] + bus.box[2]) / 2);
    const y = Math.floor(bus.box[1]) + Math.floor(line / 2);
    const p = (y * after.width + x) * 3;
    expect(after.data[p]!).toBeGreaterThan(200);
    expect(after.data[p + 1]!).toBeGreaterThan(170);
    expect(after.data[p + 2]!).toBeLessThan(90);
  });
});

describe('renderEvidence on every street photo with people', () => {
  it('changes nothing away from the redactions beyond what the JPEG encoder does anyway', async () => {
    const files = Object.keys(groundTruth()).filter((f) => f.startsWith('coco_') && groundTruth()[f]!.objects.some((o) => o.class === 'person'));
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const file of files) {
      const { gt, detections, path } = streetPhoto(file);
      const original = await readFile(path);
      const focus = NO_FOCUS;
      // Same encoder, no redaction: the baseline the redacted render is compared to.
      const plain = await decodeImage(await renderEvidence(original, [], focus));
      const redacted = await decodeImage(await renderEvidence(original, detections, focus));
      const near = nearChanges(detections, focus, gt.width, gt.height);
      const outside = meanAbsDiff(plain, redacted, (x, y) => !near(x, y));
      if (outside.pixels > 0) expect(outside.mad, file).toBeLessThan(0.5);
      for (const person of detections.filter((d) => d.label === 'person' && d.box[2] - d.box[0] >= 24 && d.box[3] - d.box[1] >= 24)) {
        const r = rect(person.box, 2, gt.width, gt.height);
        expect(laplacianVariance(redacted, r) / laplacianVariance(plain, r), `${file} person ${person.box.join(',')}`).toBeLessThan(0.1);
      }
    }
  });
});

describe('renderEvidence and EXIF orientation', () => {
  it('redacts the same pixels of a photo stored sideways with Orientation 6 as of the upright photo', async () => {
    const { detections, path } = streetPhoto('coco_val2017_000000007816.jpg');
    const upright = await readFile(path);
    // Store the pixels turned 90° counter-clockwise and tag them "rotate 90° CW to display".
    const sideways = await sharp(upright).rotate(270).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toBuffer();
    const meta = await sharp(sideways).metadata();
    expect(meta.orientation).toBe(6);
    const focus = detections.find((d) => d.label === 'motorcycle')!;
    const a = await decodeImage(await renderEvidence(upright, detections, focus));
    const b = await decodeImage(await renderEvidence(sideways, detections, focus));
    expect([b.width, b.height]).toEqual([a.width, a.height]);
    expect(meanAbsDiff(a, b, () => true).mad).toBeLessThan(3);
    // And the evidence carries no EXIF at all (no orientation flag to apply twice, no GPS).
    expect((await sharp(await renderEvidence(sideways, detections, focus)).metadata()).orientation).toBeUndefined();
  });

  it('takes an already decoded frame (video) without modifying it', async () => {
    const { detections, path } = streetPhoto('coco_val2017_000000001584.jpg');
    const decoded = await decodeImage(await readFile(path));
    const copy = Buffer.from(decoded.data);
    const fromPixels = await decodeImage(await renderEvidence(decoded, detections, detections[0]!));
    const fromBytes = await decodeImage(await renderEvidence(await readFile(path), detections, detections[0]!));
    expect(decoded.data.equals(copy)).toBe(true);
    expect(meanAbsDiff(fromPixels, fromBytes, () => true).mad).toBe(0);
  });
});

describe('describeEvidence', () => {
  it('announces size, sha256 and pixel size in the contract shape', async () => {
    const { detections, path } = streetPhoto('coco_val2017_000000001584.jpg');
    const jpeg = await renderEvidence(await readFile(path), detections, detections[0]!);
    const meta = await describeEvidence(jpeg);
    expect(meta).toMatchObject({ contentType: 'image/jpeg', bytes: jpeg.length, width: 612, height: 612, redacted: ['persons', 'vehicle-lower-halves'] });
    expect(meta.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(validator(EvidenceMeta)(meta).ok).toBe(true);
  });

  it('scales large frames down to maxSide', async () => {
    const { path } = streetPhoto('coco_val2017_000000001584.jpg');
    const focus: EvidenceDetection = { label: 'bus', box: [100, 100, 300, 300] };
    const meta = await describeEvidence(await renderEvidence(await readFile(path), [], focus, { maxSide: 306 }));
    expect([meta.width, meta.height]).toEqual([306, 306]);
  });
});
