/**
 * ObjectDetector with inference in a worker thread, and the prepare / detectPrepared split the
 * video pipeline uses to overlap letterboxing with inference.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveModel, type ModelManifest } from '@sightline/models';
import { decodeImage, ObjectDetector } from '../src/index';
import { fixture } from '../../tests/support/fixtures';

let manifest: ModelManifest;
let modelPath: string;
let local: ObjectDetector;
let worker: ObjectDetector;

beforeAll(async () => {
  ({ manifest, path: modelPath } = await resolveModel('yolox-nano'));
  local = await ObjectDetector.create({ manifest, modelPath, intraOpThreads: 1 });
  worker = await ObjectDetector.create({ manifest, modelPath, intraOpThreads: 1, worker: true, allowSpinning: false });
});

afterAll(async () => {
  await local?.close();
  await worker?.close();
});

describe('ObjectDetector with worker: true', () => {
  it('gives the same detections as the in-thread session', async () => {
    const image = await decodeImage(fixture('demo/bus.jpg'));
    const a = await local.detectDecoded(image);
    const b = await worker.detectDecoded(image);
    expect(worker.inWorker).toBe(true);
    expect(b.detections).toEqual(a.detections);
    expect(b.detections.map((d) => d.label)).toContain('bus');
  });

  it('leaves the event loop free while inferring (an in-thread session blocks it)', async () => {
    const image = await decodeImage(fixture('demo/bus.jpg'));
    const ticksDuring = async (detector: ObjectDetector) => {
      const prepared = await Promise.all(Array.from({ length: 8 }, () => detector.prepare(image)));
      let ticks = 0;
      const timer = setInterval(() => (ticks += 1), 1);
      const t0 = performance.now();
      for (const p of prepared) await detector.detectPrepared(p);
      const ms = performance.now() - t0;
      clearInterval(timer);
      return { ticks, ms };
    };
    const inThread = await ticksDuring(local);
    const inWorker = await ticksDuring(worker);
    // A 1 ms timer fires about once per inference when the loop is blocked (8 inferences: ≤ ~8
    // ticks), many times when it is free (even on a loaded machine, several per inference).
    expect(inThread.ticks).toBeLessThanOrEqual(12);
    expect(inWorker.ticks).toBeGreaterThan(Math.max(16, 2 * inThread.ticks));
  });

  it('prepare + detectPrepared equals detectDecoded, and recycles input tensors', async () => {
    const image = await decodeImage(fixture('demo/dog.jpg'));
    const whole = await worker.detectDecoded(image, { score: 0.2 });
    const prepared = await worker.prepare(image);
    expect(prepared.dims).toEqual([1, 3, manifest.input.height, manifest.input.width]);
    expect(prepared.transform.sourceWidth).toBe(image.width);
    const split = await worker.detectPrepared(prepared, { score: 0.2 });
    expect(split.detections).toEqual(whole.detections);
    expect(split.timings.preprocessMs).toBeGreaterThan(0);
    // The transferred tensor came back from the worker and is handed out again.
    const again = await worker.prepare(image);
    expect(again.tensor.length).toBe(3 * manifest.input.width * manifest.input.height);
    await worker.detectPrepared(again);
  });

  it('maps boxes of pre-scaled pixels (prepare with frameSize) back to the frame, like the full-size path', async () => {
    const image = await decodeImage(fixture('demo/bus.jpg')); // 810x1080
    const r = Math.min(416 / image.width, 416 / image.height);
    const [w, h] = [Math.round(image.width * r), Math.round(image.height * r)];
    const sharp = (await import('sharp')).default;
    const small = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
      .resize(w, h, { fit: 'fill', kernel: 'linear' })
      .raw()
      .toBuffer();
    const scaled = await worker.detectPrepared(await worker.prepare({ data: small, width: w, height: h, channels: 3 }, { width: image.width, height: image.height }));
    const full = await worker.detectDecoded(image);
    expect([scaled.width, scaled.height]).toEqual([810, 1080]);
    // Same resize, same tensor: the same detections, in the 810x1080 frame.
    expect(scaled.detections).toEqual(full.detections);
  });

  it('serves concurrent calls and rejects after close', async () => {
    const d = await ObjectDetector.create({ manifest, modelPath, intraOpThreads: 1, worker: true });
    const image = await decodeImage(fixture('demo/bus.jpg'));
    const results = await Promise.all([d.detectDecoded(image), d.detectDecoded(image), d.detectDecoded(image)]);
    expect(results[1]!.detections).toEqual(results[0]!.detections);
    expect(results[2]!.detections).toEqual(results[0]!.detections);
    await d.close();
    await expect(d.detectDecoded(image)).rejects.toThrow(/closed/);
  });

  it('names the path when the model cannot be loaded in the worker', async () => {
    await expect(ObjectDetector.create({ manifest, modelPath: '/nonexistent/yolox_nano.onnx', worker: true })).rejects.toThrow(
      /cannot load model yolox-nano from \/nonexistent\/yolox_nano.onnx/,
    );
  });
});
