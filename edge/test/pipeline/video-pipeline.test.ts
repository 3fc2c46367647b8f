/**
 * runVideoPipeline as a driver: order of frames, interval drafts handed out as they close, stage
 * timings, read-ahead (the next frame is prepared while the current one is inferred), abort.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveModel } from '@sightline/models';
import { ObjectDetector, runVideoPipeline, VideoSource, type Frame, type TrafficCountDraft } from '../../src/index';
import { fixture } from '../../../tests/support/fixtures';

const START = Date.UTC(2024, 5, 10, 12, 0, 0);
let detector: ObjectDetector;

beforeAll(async () => {
  const { manifest, path } = await resolveModel('yolox-nano');
  detector = await ObjectDetector.create({ manifest, modelPath: path, intraOpThreads: 1, worker: true, allowSpinning: false });
});
afterAll(async () => {
  await detector?.close();
});

describe('runVideoPipeline', () => {
  it('processes frames in order, publishes clock-aligned intervals as they close, and reports stage timings', async () => {
    const source = new VideoSource({ deviceId: 'd', cameraId: 'c', url: fixture('video/highway_cctv.avi'), fps: 10, startTime: START });
    const indexes: number[] = [];
    const batches: TrafficCountDraft[][] = [];
    const summary = await runVideoPipeline(source, {
      detector,
      lines: [{ id: 'main', start: [0, 80], end: [296, 80] }],
      classes: ['car', 'truck', 'bus'],
      intervalMs: 10_000,
      tracker: { frameRate: 10 },
      onFrame: (frame: Frame, result) => {
        indexes.push(frame.index!);
        expect(result.pixels.width).toBe(320);
        expect(result.detections.every((d) => ['car', 'truck', 'bus'].includes(d.label))).toBe(true);
      },
      onDrafts: (drafts) => void batches.push(drafts),
    });
    expect(summary.frames).toBe(indexes.length);
    expect(indexes).toEqual([...indexes.keys()]);
    // 30 s of video from 12:00:00 in 10 s intervals: 12:00:00, :10 close during the run, :20 at the end.
    expect(batches.map((b) => b.map((d) => d.intervalStart.slice(11, 19)))).toEqual([['12:00:00'], ['12:00:10'], ['12:00:20']]);
    const total = batches.flat().reduce((n, d) => n + d.counts.reduce((m, c) => m + c.count, 0), 0);
    const line = summary.lines[0]!;
    expect(total).toBe([...Object.values(line.in), ...Object.values(line.out)].reduce((a, b) => a + b, 0));
    expect(total).toBeGreaterThan(30);
    expect(summary.drafts).toBe(3);
    for (const stage of ['read', 'preprocess', 'inference', 'postprocess', 'track', 'count', 'publish']) {
      expect(summary.stages[stage]?.count, stage).toBe(summary.frames);
      expect(summary.stages[stage]!.p95).toBeGreaterThanOrEqual(summary.stages[stage]!.p50);
    }
  }, 120_000);

  it('prepares the next frame while the current one is in inference', async () => {
    const source = new VideoSource({ deviceId: 'd', cameraId: 'c', url: fixture('video/highway_cctv.avi'), fps: 5 });
    let prepared = 0;
    // The pipeline uses prepare and detectPrepared only; count the prepares.
    const spy = {
      prepare: async (...args: Parameters<ObjectDetector['prepare']>) => {
        const p = await detector.prepare(...args);
        prepared += 1;
        return p;
      },
      detectPrepared: (...args: Parameters<ObjectDetector['detectPrepared']>) => detector.detectPrepared(...args),
    } as unknown as ObjectDetector;
    const aheadAtInference: number[] = [];
    let processed = 0;
    await runVideoPipeline(source, {
      detector: spy,
      readAhead: 2,
      onFrame: () => {
        processed += 1;
        aheadAtInference.push(prepared - processed);
      },
    });
    // In steady state the producer is ahead by the read-ahead (frames waiting + one being prepared).
    const steady = aheadAtInference.slice(5, -5);
    expect(Math.max(...steady)).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('stops on abort', async () => {
    const controller = new AbortController();
    const source = new VideoSource({ deviceId: 'd', cameraId: 'c', url: fixture('video/highway_cctv.avi'), signal: controller.signal });
    let n = 0;
    const summary = await runVideoPipeline(source, {
      detector,
      signal: controller.signal,
      onFrame: () => {
        if (++n === 10) controller.abort();
      },
    });
    expect(summary.frames).toBe(10);
    expect(source.stats.state).toBe('closed');
  }, 60_000);
});
