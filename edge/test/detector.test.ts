/**
 * ObjectDetector lifecycle and contract: manifest checks at create, thread options, the
 * decode-separately entry point, concurrent calls, close.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveModel, type ModelManifest } from '@sightline/models';
import { decodeImage, ObjectDetector } from '../src/index';
import { fixture } from '../../tests/support/fixtures';

let manifest: ModelManifest;
let modelPath: string;
let detector: ObjectDetector;

beforeAll(async () => {
  ({ manifest, path: modelPath } = await resolveModel('yolox-nano'));
  detector = await ObjectDetector.create({ manifest, modelPath, intraOpThreads: 1, interOpThreads: 1 });
});

afterAll(async () => {
  await detector?.close();
});

describe('ObjectDetector.create', () => {
  it('refuses a model whose input or output names differ from the manifest', async () => {
    const wrong = { ...manifest, input: { ...manifest.input, name: 'pixel_values' } };
    await expect(ObjectDetector.create({ manifest: wrong, modelPath })).rejects.toThrow(
      /does not match manifest yolox-nano: input "pixel_values" not among \[images\]/,
    );
  });

  it('refuses a family without a decoder before loading anything', async () => {
    const detr = { ...manifest, family: 'detr' } as unknown as ModelManifest;
    await expect(ObjectDetector.create({ manifest: detr, modelPath: '/nonexistent.onnx' })).rejects.toThrow(/no decoder for model family "detr"/);
  });

  it('names the model and the path when the file cannot be loaded', async () => {
    await expect(ObjectDetector.create({ manifest, modelPath: '/nonexistent/yolox_nano.onnx' })).rejects.toThrow(
      /cannot load model yolox-nano from \/nonexistent\/yolox_nano.onnx/,
    );
  });

  it('loads by manifest id', async () => {
    const d = await ObjectDetector.load('yolox-nano', { intraOpThreads: 1 });
    expect(d.manifest.id).toBe('yolox-nano');
    await d.close();
  });
});

describe('detect', () => {
  it('gives the same result for a path, bytes and a separately decoded frame, with any thread count', async () => {
    const path = fixture('demo/bus.jpg');
    const fromPath = await detector.detect(path);
    expect((await detector.detect(await readFile(path))).detections).toEqual(fromPath.detections);
    const image = await decodeImage(path);
    const fromDecoded = await detector.detectDecoded(image);
    expect(fromDecoded.detections).toEqual(fromPath.detections);
    expect(fromDecoded.timings.decodeMs).toBe(0);
    expect(fromPath.timings.inferenceMs).toBeGreaterThan(0);

    const twoThreads = await ObjectDetector.create({ manifest, modelPath, intraOpThreads: 2, executionMode: 'sequential' });
    try {
      // Another thread count may sum in another order: equal up to float rounding.
      const other = (await twoThreads.detectDecoded(image)).detections;
      expect(other.map((d) => d.label)).toEqual(fromPath.detections.map((d) => d.label));
      other.forEach((d, i) => d.box.forEach((v, k) => expect(v).toBeCloseTo(fromPath.detections[i]!.box[k]!, 1)));
    } finally {
      await twoThreads.close();
    }
  });

  it('serves concurrent calls on one session', async () => {
    const files = ['demo/bus.jpg', 'demo/dog.jpg', 'street/images/coco_val2017_000000001584.jpg'].map(fixture);
    const sequential = [];
    for (const f of files) sequential.push((await detector.detect(f)).detections);
    const concurrent = await Promise.all(files.map((f) => detector.detect(f)));
    expect(concurrent.map((r) => r.detections)).toEqual(sequential);
  });

  it('applies score, iou and maxDetections and validates them', async () => {
    const image = await decodeImage(fixture('street/images/coco_val2017_000000001584.jpg'));
    const loose = await detector.detectDecoded(image, { score: 0.05 });
    const strict = await detector.detectDecoded(image, { score: 0.6 });
    expect(loose.detections.length).toBeGreaterThan(strict.detections.length);
    expect(strict.detections.every((d) => d.score >= 0.6)).toBe(true);
    expect((await detector.detectDecoded(image, { score: 0.05, maxDetections: 3 })).detections).toEqual(loose.detections.slice(0, 3));
    await expect(detector.detectDecoded(image, { score: 30 })).rejects.toThrow(/score must be between 0 and 1, got 30/);
    await expect(detector.detectDecoded(image, { iou: -1 })).rejects.toThrow(/iou must be between 0 and 1/);
  });
});

describe('close', () => {
  it('releases the session; later calls say the detector is closed', async () => {
    const d = await ObjectDetector.create({ manifest, modelPath, intraOpThreads: 1 });
    await d.close();
    await d.close(); // idempotent
    await expect(d.detect(fixture('demo/bus.jpg'))).rejects.toThrow(/detector for yolox-nano is closed/);
  });
});
