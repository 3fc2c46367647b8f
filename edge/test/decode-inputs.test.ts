/**
 * Real-world and hostile inputs: damaged files, non-images, unusual colour formats, EXIF
 * orientation and decompression bombs. Each must give a correct result or a clear
 * ImageDecodeError — never a crash, never a silently wrong frame.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { resolveModel } from '@sightline/models';
import { decodeImage, ImageDecodeError, ObjectDetector, DEFAULT_MAX_PIXELS, iou, type Detection } from '../src/index';
import { fixture } from '../../tests/support/fixtures';

let dir: string;
let bus: Buffer;
let detector: ObjectDetector;
let reference: Detection[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sightline-decode-'));
  bus = await readFile(fixture('demo/bus.jpg'));
  const { manifest, path } = await resolveModel('yolox-nano');
  detector = await ObjectDetector.create({ manifest, modelPath: path });
  reference = (await detector.detect(bus)).detections;
});

afterAll(async () => {
  await detector?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Writes `bytes` to `name` in the temporary folder and returns the path. */
async function file(name: string, bytes: Buffer | string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

/** Expects `promise` to reject with an ImageDecodeError of `reason` whose message matches every pattern. */
async function expectDecodeError(promise: Promise<unknown>, reason: ImageDecodeError['reason'], ...patterns: Array<string | RegExp>) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImageDecodeError);
  const e = err as ImageDecodeError;
  expect(e.reason).toBe(reason);
  for (const p of patterns) expect(e.message).toMatch(p);
}

/**
 * A PNG whose IHDR claims `width`×`height` RGB pixels but that holds almost no data:
 * signature, IHDR, one tiny IDAT (libspng wants an IDAT before it trusts the header), IEND — all
 * with correct CRCs. A decoder that allocates before checking the size would need width·height·3 bytes.
 */
function pngClaiming(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body) >>> 0, 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(16))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const show = (dets: Detection[]) => dets.map((d) => `${d.label} ${d.score} [${d.box.join(', ')}]`).join(' | ');

/** Every reference detection scoring over 0.5 has a same-label twin in `got` within `tolerance` px per coordinate. */
function expectSameBoxes(got: Detection[], tolerance: number) {
  for (const ref of reference.filter((d) => d.score > 0.5)) {
    const twin = got.find((d) => d.label === ref.label && d.box.every((v, i) => Math.abs(v - ref.box[i]!) <= tolerance));
    expect(twin, `${ref.label} [${ref.box.join(', ')}] within ${tolerance} px in ${show(got)}`).toBeDefined();
  }
}

/**
 * Every reference detection scoring over 0.5 has a same-label twin in `got` with IoU ≥ `minIou`
 * (colour conversions change pixel values, so the boxes move a little, partly hidden objects more).
 */
function expectSameObjects(got: Detection[], minIou: number) {
  for (const ref of reference.filter((d) => d.score > 0.5)) {
    const twin = got.find((d) => d.label === ref.label && iou(d.box, ref.box) >= minIou);
    expect(twin, `${ref.label} [${ref.box.join(', ')}] with IoU >= ${minIou} in ${show(got)}`).toBeDefined();
  }
}

describe('broken inputs give a clear ImageDecodeError', () => {
  it('truncated JPEG (first half of the bytes)', async () => {
    const path = await file('truncated.jpg', bus.subarray(0, bus.length >> 1));
    await expectDecodeError(decodeImage(path), 'corrupt', path, /truncated or corrupt/, /premature end of JPEG/i);
  });

  it('zero-byte file', async () => {
    const path = await file('empty.jpg', Buffer.alloc(0));
    await expectDecodeError(decodeImage(path), 'empty', path, /empty \(0 bytes\)/);
  });

  it('a text file named .jpg', async () => {
    const path = await file('notes.jpg', 'camera 7 offline since Tuesday\n');
    await expectDecodeError(decodeImage(path), 'not-an-image', path, /not an image/);
  });

  it('a missing file', async () => {
    const path = join(dir, 'does-not-exist.jpg');
    await expectDecodeError(decodeImage(path), 'not-found', path, /no such file/);
  });

  it('a directory', async () => {
    await expectDecodeError(decodeImage(dir), 'unreadable', dir, /cannot read it/);
  });

  it('bytes instead of a path are named by their size', async () => {
    await expectDecodeError(decodeImage(Buffer.from('just some text')), 'not-an-image', '<buffer of 14 bytes>');
  });

  it('a PNG header claiming 30000x30000 pixels is rejected from the header, before allocation', async () => {
    const path = await file('bomb.png', pngClaiming(30000, 30000));
    const before = process.memoryUsage().rss;
    await expectDecodeError(
      decodeImage(path),
      'too-large',
      path,
      `exceeds pixel limit of ${DEFAULT_MAX_PIXELS} pixels`,
      '(30000x30000 = 900000000 pixels)',
      /raise the maxPixels option/,
    );
    // 900 M pixels · 3 bytes would be 2.7 GB.
    expect(process.memoryUsage().rss - before).toBeLessThan(500 * 1024 * 1024);
  });

  it('the pixel limit is configurable, per call of detect too', async () => {
    await expectDecodeError(decodeImage(bus, { maxPixels: 100_000 }), 'too-large', 'exceeds pixel limit of 100000 pixels', '(810x1080');
    await expectDecodeError(detector.detect(bus, { maxPixels: 100_000 }), 'too-large', 'exceeds pixel limit of 100000');
    const ok = await decodeImage(pngClaiming(64, 64), { maxPixels: 64 * 64 }).catch((e: Error) => e);
    // Within the limit the (deliberately empty) pixel data is what fails, not the limit.
    expect((ok as ImageDecodeError).reason).toBe('corrupt');
  });

  it('the detector rejects broken frames with the same errors and keeps working', async () => {
    const path = await file('truncated2.jpg', bus.subarray(0, 20_000));
    await expectDecodeError(detector.detect(path), 'corrupt', path);
    await expectDecodeError(detector.detect(Buffer.alloc(0)), 'empty');
    const after = await detector.detect(bus);
    expect(after.detections).toEqual(reference);
  });
});

describe('unusual but valid images decode to sRGB RGB 8-bit and detect like the original', () => {
  const cases: Array<[string, () => Promise<Buffer>]> = [
    ['16-bit PNG', () => sharp(bus).toColourspace('rgb16').png().toBuffer()],
    ['CMYK JPEG', () => sharp(bus).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer()],
    ['PNG with an (opaque) alpha channel', () => sharp(bus).ensureAlpha(1).png().toBuffer()],
    ['palette PNG', () => sharp(bus).png({ palette: true, colours: 256 }).toBuffer()],
  ];

  for (const [name, make] of cases) {
    it(name, async () => {
      const bytes = await make();
      const image = await decodeImage(bytes);
      expect([image.width, image.height, image.channels, image.data.length]).toEqual([810, 1080, 3, 810 * 1080 * 3]);
      const result = await detector.detectDecoded(image);
      expectSameObjects(result.detections, 0.8);
    });
  }

  it('16-bit PNG keeps the 8-bit values (scaled, not truncated)', async () => {
    const original = await decodeImage(bus);
    const wide = await decodeImage(await sharp(bus).toColourspace('rgb16').png().toBuffer());
    let maxDiff = 0;
    for (let i = 0; i < original.data.length; i += 997) maxDiff = Math.max(maxDiff, Math.abs(original.data[i]! - wide.data[i]!));
    expect(maxDiff).toBeLessThanOrEqual(1);
  });

  it('transparent pixels are flattened onto white by default', async () => {
    const rgba = Buffer.alloc(2 * 1 * 4);
    rgba.set([255, 0, 0, 255, 0, 0, 255, 0]); // opaque red, fully transparent blue
    const png = await sharp(rgba, { raw: { width: 2, height: 1, channels: 4 } }).png().toBuffer();
    const image = await decodeImage(png);
    expect([...image.data]).toEqual([255, 0, 0, 255, 255, 255]);
  });

  it('a one-channel grey-scale image becomes three equal channels', async () => {
    const grey = await sharp(bus).toColourspace('b-w').jpeg().toBuffer();
    expect((await sharp(grey).metadata()).channels).toBe(1);
    const image = await decodeImage(grey);
    expect([image.width, image.height, image.channels]).toEqual([810, 1080, 3]);
    for (let i = 0; i < image.data.length; i += 3001 * 3) {
      expect(image.data[i]).toBe(image.data[i + 1]);
      expect(image.data[i + 1]).toBe(image.data[i + 2]);
    }
    const labels = (await detector.detectDecoded(image)).detections.map((d) => d.label);
    expect(labels).toContain('bus');
    expect(labels.filter((l) => l === 'person').length).toBeGreaterThanOrEqual(3);
  });
});

describe('EXIF orientation', () => {
  // Each case stores the pixels transformed and tags the Orientation that undoes it, so the
  // displayed image is the original bus (810x1080). EXIF orientation n means "to display, apply":
  // 2 mirror, 3 rotate 180°, 6 rotate 90° clockwise, 8 rotate 90° counter-clockwise.
  const stored: Array<[number, (s: sharp.Sharp) => sharp.Sharp]> = [
    [6, (s) => s.rotate(270)],
    [3, (s) => s.rotate(180)],
    [8, (s) => s.rotate(90)],
    [2, (s) => s.flop()],
  ];

  for (const [orientation, transform] of stored) {
    it(`orientation ${orientation} (lossless PNG): boxes are those of the upright original`, async () => {
      const bytes = await transform(sharp(bus)).withMetadata({ orientation }).png().toBuffer();
      expect((await sharp(bytes).metadata()).orientation).toBe(orientation);
      const result = await detector.detect(bytes);
      expect([result.width, result.height]).toEqual([810, 1080]);
      expectSameBoxes(result.detections, 0.5);
    });
  }

  it('a phone-style EXIF-rotated JPEG (stored 1080x810, Orientation 6) is detected in the displayed frame', async () => {
    // Store the pixels rotated 90° counter-clockwise and tag Orientation 6 ("rotate 90° clockwise
    // to display"): viewers — and the detector — must see the original upright bus.
    const rotated = await sharp(bus)
      .rotate(270)
      .withMetadata({ orientation: 6 })
      .jpeg({ quality: 100, chromaSubsampling: '4:4:4' })
      .toBuffer();
    const meta = await sharp(rotated).metadata();
    expect([meta.width, meta.height, meta.orientation]).toEqual([1080, 810, 6]);

    const path = await file('rotated.jpg', rotated);
    const result = await detector.detect(path);
    expect([result.width, result.height]).toEqual([810, 1080]);

    // Exactly the boxes of the same stored pixels turned upright by hand (explicit 90° clockwise
    // rotation, EXIF not consulted) ...
    const upright = await sharp(rotated).rotate(90).png().toBuffer();
    expect((await sharp(upright).metadata()).orientation).toBeUndefined();
    const byHand = await detector.detect(upright);
    expect([byHand.width, byHand.height]).toEqual([810, 1080]);
    expect(result.detections.length).toBe(byHand.detections.length);
    result.detections.forEach((d, i) => {
      expect(d.label).toBe(byHand.detections[i]!.label);
      d.box.forEach((v, k) => expect(Math.abs(v - byHand.detections[i]!.box[k]!)).toBeLessThanOrEqual(0.5));
    });
    // ... and, JPEG re-encoding aside, those of the original: a few pixels apart at most.
    expectSameObjects(result.detections, 0.9);
  });
});
