/**
 * The video pipeline: frames → detector → tracker → lines / zones → interval counts, with the
 * stages overlapped so the network never waits for the next frame.
 *
 * ```
 *   producer (event loop)                                consumer (event loop; inference on its thread)
 *   source.next() ─▶ pixels ─▶ detector.prepare ─▶ [readAhead] ─▶ detectPrepared ─▶ TrafficAnalyzer ─▶ onFrame / onDrafts
 *   (ffmpeg decodes in       (decode only for      BoundedQueue   (onnxruntime,    (track, count,       (annotate, publish)
 *    its own process)         encoded frames)      'block'         worker thread)   aggregate)
 * ```
 *
 * While frame n is in inference, frame n+1 is read from ffmpeg and letterboxed (the tensor fill
 * runs on the event loop, which a worker-thread detector leaves free), and two frames are handed
 * to the detector at a time, so the inference thread starts frame n+1 the moment frame n is done
 * while the event loop decodes, tracks and counts frame n. Create the detector with `worker: true`
 * for that overlap; with an in-thread detector the stages still run, but inference blocks the
 * event loop and little overlaps.
 *
 * Backpressure runs end to end: the consumer takes a prepared frame only when it is done with the
 * previous one, the producer stops at `readAhead` prepared frames, the source stops reading ffmpeg
 * (files) or keeps only the latest frames (live).
 *
 * Times: the tracker and the analytics use each frame's `capturedAt`; intervals that close are
 * handed to `onDrafts` as soon as a later frame shows they closed; at the end of the source the
 * last, partial interval is flushed too.
 *
 * @example
 * const detector = await ObjectDetector.load('yolox-nano', { worker: true, intraOpThreads: 1 });
 * const source = new VideoSource({ deviceId, cameraId, url: 'highway.avi', fps: 10, fit: detector.manifest.input });
 * const summary = await runVideoPipeline(source, {
 *   detector, lines: [{ id: 'line-1', start: [0, 80], end: [296, 80] }], classes: ['car', 'truck', 'bus'],
 *   tracker: { frameRate: 10 }, onDrafts: (drafts) => drafts.forEach((d) => publisher.publishTraffic(cameraId, d)),
 * });
 * summary.lines; // [{ id: 'line-1', in: { car: 24 }, out: { car: 20, truck: 1 } }]
 */
import type { DecodedImage } from '../vision/preprocess/decode';
import type { Detection, DetectionResult, DetectionTimings, DetectOptions, ObjectDetector, PreparedInput } from '../vision/detector';
import { BoundedQueue } from '../sources/bounded-queue';
import { framePixels, type Frame } from '../sources/frame';
import type { TrafficCountDraft } from '../analytics/index';
import { StageTimings, type StageSummary } from './stage-timings';
import { TrafficAnalyzer, type AnalyzedFrame, type LineTotals, type TrafficAnalyzerOptions } from './traffic-analyzer';

/** Options of {@link runVideoPipeline}: the analyzer's plus the detector and the outlets. */
export interface VideoPipelineOptions extends TrafficAnalyzerOptions {
  detector: ObjectDetector;
  /**
   * Detector options. Default score threshold 0.1: ByteTrack uses boxes down to its `lowThresh`
   * (0.1) to keep tracks alive through occlusion, so the detector must not cut them at 0.3.
   */
  detect?: DetectOptions;
  /** Frames prepared ahead of inference; default 2. */
  readAhead?: number;
  /** Stops after the frame in progress (also pass it to the source, so a waiting source stops). */
  signal?: AbortSignal;
  /** Called for every processed frame, in order, before the next is taken (annotation, inspection). */
  onFrame?: (frame: Frame, result: PipelineFrame) => void | Promise<void>;
  /** Called with the interval counts as they close (publish them). */
  onDrafts?: (drafts: TrafficCountDraft[]) => void | Promise<void>;
  /** Collects per-stage timings (pass your own to read them while running); default a new one. */
  timings?: StageTimings;
}

/** One processed frame, as given to `onFrame`. */
export interface PipelineFrame extends AnalyzedFrame {
  /** The frame's pixels (what the detector saw; may be scaled relative to the frame, see VideoSource `fit`). */
  pixels: DecodedImage;
  /** Detections of the classes kept, frame pixels. */
  detections: Detection[];
  /** Counts per line so far, this frame included. */
  totals: LineTotals[];
  /** The detector's time on this frame (letterbox, inference, output decoding), ms. */
  detectionTimings: DetectionTimings;
}

/** What {@link runVideoPipeline} returns. */
export interface PipelineSummary {
  /** Frames processed. */
  frames: number;
  /** Wall time from start to end, ms. */
  wallMs: number;
  /** Frames per second of wall time. */
  throughputFps: number;
  /** Counts per line since the start. */
  lines: LineTotals[];
  /** Traffic count drafts handed to `onDrafts` (all lines, all intervals). */
  drafts: number;
  /** Per-stage latency, ms. */
  stages: Record<string, StageSummary>;
}

/** Frames submitted to the detector at once (see the consumer loop). */
const IN_FLIGHT = 2;

interface Prepared {
  frame: Frame;
  pixels: DecodedImage;
  input: PreparedInput;
}

/** Runs frames from `source` through detection, tracking and counting; see the module documentation. */
export async function runVideoPipeline(source: AsyncIterable<Frame>, options: VideoPipelineOptions): Promise<PipelineSummary> {
  const { detector, signal } = options;
  const detectOptions: DetectOptions = { score: 0.1, ...options.detect };
  const timings = options.timings ?? new StageTimings();
  const analyzer = new TrafficAnalyzer(options);
  const queue = new BoundedQueue<Prepared>(options.readAhead ?? 2, 'block');
  const started = performance.now();
  let frames = 0;
  let drafts = 0;
  let stopped = false;

  const iterator = source[Symbol.asyncIterator]();
  const producer = (async () => {
    try {
      while (!stopped && !signal?.aborted) {
        const t0 = performance.now();
        const next = await iterator.next();
        const t1 = performance.now();
        if (next.done) break;
        timings.add('read', t1 - t0);
        const frame = next.value;
        const pixels = await framePixels(frame);
        if (!frame.pixels) timings.add('decode', performance.now() - t1);
        // Pixels a source scaled (VideoSource `fit`) still map boxes to the frame's own coordinates.
        const scaled = pixels.width !== frame.width || pixels.height !== frame.height;
        const input = await detector.prepare(pixels, scaled ? { width: frame.width, height: frame.height } : undefined);
        timings.add('preprocess', input.preprocessMs);
        await queue.push({ frame, pixels, input });
      }
      queue.close();
    } catch (err) {
      queue.close(err as Error);
    }
  })();

  const emit = async (list: TrafficCountDraft[]) => {
    if (list.length === 0 || !options.onDrafts) return;
    drafts += list.length;
    await options.onDrafts(list);
  };

  // Two frames in inference at once: the worker runs them one after the other, so while the event
  // loop decodes, tracks and counts frame n, frame n+1 is already being inferred.
  type InFlight = { item: Prepared; result: Promise<DetectionResult> };
  const inflight: InFlight[] = [];
  const submit = (item: Prepared) => {
    const result = detector.detectPrepared(item.input, detectOptions);
    result.catch(() => {}); // observed when its turn comes
    inflight.push({ item, result });
  };
  const topUp = () => {
    while (inflight.length < IN_FLIGHT) {
      const item = queue.tryShift();
      if (!item) return;
      submit(item);
    }
  };
  try {
    for (;;) {
      if (signal?.aborted) break;
      if (inflight.length === 0) {
        const item = await queue.shift();
        if (!item || signal?.aborted) break;
        submit(item);
      }
      topUp();
      const { item, result: pending } = inflight.shift()!;
      const result = await pending;
      topUp();
      timings.add('inference', result.timings.inferenceMs);
      timings.add('postprocess', result.timings.postprocessMs);
      const frameTimeMs = Date.parse(item.frame.capturedAt);
      const analyzed = analyzer.update(result.detections, frameTimeMs);
      timings.add('track', analyzed.timings.trackMs);
      timings.add('count', analyzed.timings.countMs);
      frames += 1;
      const t0 = performance.now();
      if (options.onFrame) {
        const detections = options.classes ? result.detections.filter((d) => options.classes!.includes(d.label)) : result.detections;
        await options.onFrame(item.frame, { ...analyzed, pixels: item.pixels, detections, totals: analyzer.totals(), detectionTimings: result.timings });
      }
      await emit(analyzed.drafts);
      timings.add('publish', performance.now() - t0);
    }
    await emit(analyzer.finish()); // the interval still open (end of a file, or stop)
  } finally {
    stopped = true;
    await Promise.allSettled(inflight.map((f) => f.result));
    queue.close();
    queue.drain();
    // Unblock and end the source (a generator's return() waits for a pending next(); do not await a stuck one forever).
    void iterator.return?.(undefined)?.catch?.(() => {});
    await producer;
  }

  const wallMs = performance.now() - started;
  return {
    frames,
    wallMs,
    throughputFps: frames / (wallMs / 1000),
    lines: analyzer.totals(),
    drafts,
    stages: timings.summary(),
  };
}
