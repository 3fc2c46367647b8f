/**
 * Object detector: one ONNX model run on the CPU with onnxruntime-node, from an image to labelled
 * boxes in the pixels of the original, EXIF-oriented frame.
 *
 * ```
 * decodeImage ─▶ letterbox ─▶ InferenceSession.run ─▶ decoder(family) ─▶ class-aware NMS
 *   (sharp)      (NCHW f32)     (onnxruntime-node)      (network px)        ─▶ map back, clip, sort
 * ```
 *
 * One {@link ObjectDetector} holds one `InferenceSession` (created and warmed up once); `detect`
 * may be called concurrently. To overlap decoding with inference (agent, video pipeline), decode
 * with {@link decodeImage} yourself (or take a video frame's `pixels`) and call
 * {@link ObjectDetector.detectDecoded} — or split it further into {@link ObjectDetector.prepare}
 * (letterbox) and {@link ObjectDetector.detectPrepared} (inference, decoding, NMS), and create the
 * detector with `worker: true` so inference runs on its own thread while the next frame is prepared
 * (see `inference-session.ts` for why that matters with onnxruntime-node).
 *
 * @example
 * const detector = await ObjectDetector.load('yolox-nano');
 * const { width, height, detections } = await detector.detect('frame.jpg');
 * // detections: [{ label: 'bus', classId: 5, score: 0.91, box: [x1, y1, x2, y2] }, ...]
 * await detector.close();
 */
import type { InferenceSession } from 'onnxruntime-node';
import { resolveModel, type ModelManifest } from '@sightline/models';
import { decodeImage, type DecodedImage } from './preprocess/decode';
import { clipBox, letterbox, toOriginalBox, type Box, type LetterboxTransform } from './preprocess/letterbox';
import { decoderFor, type DecoderEntry, type RawOutput } from './decoders/index';
import { LocalSession, WorkerSession, type SessionRunner } from './inference-session';
import { nms } from './nms';

/** One detected object. */
export interface Detection {
  /** Class name from the manifest's `labels`. */
  label: string;
  /** Index into the manifest's `labels`. */
  classId: number;
  /** Confidence 0..1, rounded to 4 decimals. */
  score: number;
  /**
   * `[x1, y1, x2, y2]` in pixels of the original, EXIF-oriented frame (continuous coordinates,
   * (0,0) = top-left corner of the image), clipped to `[0, width] × [0, height]`, rounded to 0.01.
   */
  box: Box;
}

/** Time spent per stage of one `detect` call, milliseconds. */
export interface DetectionTimings {
  /** Image decoding (0 for {@link ObjectDetector.detectDecoded}). */
  decodeMs: number;
  /** Letterbox resize + tensor fill. */
  preprocessMs: number;
  /** `InferenceSession.run` itself (in a worker: without the time waiting behind earlier calls). */
  inferenceMs: number;
  /** Decode of the raw output, NMS, mapping back. */
  postprocessMs: number;
}

/** The detections of one frame. */
export interface DetectionResult {
  /** Size of the original, EXIF-oriented frame in pixels (the boxes' coordinate system). */
  width: number;
  height: number;
  /** Sorted by descending score. */
  detections: Detection[];
  timings: DetectionTimings;
}

/** Options of {@link ObjectDetector.create}. */
export interface DetectorOptions {
  manifest: ModelManifest;
  /** Path of the ONNX file (see `resolveModel` in `@sightline/models`). */
  modelPath: string;
  /** Threads used inside one operator (`intraOpNumThreads`); default: onnxruntime's (physical cores). */
  intraOpThreads?: number;
  /** Threads running independent operators (`interOpNumThreads`, used with `executionMode: 'parallel'`). */
  interOpThreads?: number;
  /** `sequential` (default; best for these small, chain-like graphs) or `parallel`. */
  executionMode?: 'sequential' | 'parallel';
  /**
   * Run onnxruntime in a worker thread (default false). onnxruntime-node blocks the calling thread
   * for the whole inference; in a worker the event loop stays free, so a pipeline can read and
   * letterbox the next frame meanwhile. Results are identical.
   */
  worker?: boolean;
  /**
   * Let onnxruntime's intra-op threads busy-wait for work between operators (onnxruntime's default,
   * true). On a machine whose cores are shared with other work (decoding, other processes) false is
   * usually faster: spinning threads burn the core the rest of the pipeline needs.
   */
  allowSpinning?: boolean;
}

/**
 * A frame letterboxed into the network input by {@link ObjectDetector.prepare}, waiting for
 * {@link ObjectDetector.detectPrepared}. Use it once: inference takes its tensor.
 */
export interface PreparedInput {
  /** Float32 NCHW `[1, 3, H, W]` network input (see `letterbox`). */
  tensor: Float32Array;
  dims: [1, 3, number, number];
  /** How the frame was placed into the input; maps boxes back to the frame. */
  transform: LetterboxTransform;
  /** Size of the frame in pixels (the boxes' coordinate system). */
  width: number;
  height: number;
  /** Time spent letterboxing, ms. */
  preprocessMs: number;
}

/** Options of {@link ObjectDetector.detect}. */
export interface DetectOptions {
  /** Minimum score 0..1; default `manifest.defaults.score` (YOLOX-Nano: 0.3). */
  score?: number;
  /** NMS IoU threshold 0..1; default `manifest.defaults.iou` (YOLOX-Nano: 0.45). */
  iou?: number;
  /** Keep at most this many detections (highest scores); default 300. */
  maxDetections?: number;
  /** Largest accepted input in pixels, see {@link decodeImage}; ignored by `detectDecoded`. */
  maxPixels?: number;
}

const DEFAULT_MAX_DETECTIONS = 300;
/** Input tensors kept for reuse (2 MB each for a 416×416 input): enough for a few frames in flight. */
const MAX_POOLED_TENSORS = 4;

const round = (v: number, decimals: number) => {
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
};

/**
 * Maps decoded, NMS-filtered candidates (network-input pixels) to {@link Detection}s in the
 * original frame: undo the letterbox, clip to the frame, drop boxes left without area, round, sort
 * by descending score.
 */
export function toDetections(
  candidates: ReadonlyArray<{ box: Box; score: number; classId: number }>,
  transform: LetterboxTransform,
  labels: readonly string[],
): Detection[] {
  const { sourceWidth: w, sourceHeight: h } = transform;
  const out: Detection[] = [];
  for (const c of candidates) {
    const [x1, y1, x2, y2] = clipBox(toOriginalBox(c.box, transform), w, h).map((v) => round(v, 2)) as Box;
    if (x2 <= x1 || y2 <= y1) continue;
    out.push({ label: labels[c.classId] ?? `class ${c.classId}`, classId: c.classId, score: round(c.score, 4), box: [x1, y1, x2, y2] });
  }
  return out.sort((a, b) => b.score - a.score);
}

function checkUnit(name: string, v: number): number {
  if (!(v >= 0 && v <= 1)) throw new RangeError(`${name} must be between 0 and 1, got ${v}`);
  return v;
}

/** A loaded detection model; see the module docstring. */
export class ObjectDetector {
  readonly manifest: ModelManifest;
  readonly modelPath: string;
  /** True when inference runs in a worker thread (option `worker`). */
  readonly inWorker: boolean;
  #session: SessionRunner | undefined;
  readonly #decoder: DecoderEntry;
  /** Input tensors given back by inference, reused by `prepare` (bounded). */
  readonly #tensors: Float32Array[] = [];

  private constructor(manifest: ModelManifest, modelPath: string, session: SessionRunner, decoder: DecoderEntry, inWorker: boolean) {
    this.manifest = manifest;
    this.modelPath = modelPath;
    this.#session = session;
    this.#decoder = decoder;
    this.inWorker = inWorker;
  }

  /**
   * Loads the model, checks it against the manifest (input/output names) and runs one zero
   * tensor through it so the first real frame is not slowed by lazy initialisation.
   *
   * @throws Error when the family has no decoder, the file cannot be loaded, or its input/output
   *   names differ from the manifest's.
   */
  static async create(opts: DetectorOptions): Promise<ObjectDetector> {
    const { manifest, modelPath } = opts;
    const decoder = decoderFor(manifest.family);
    const sessionOptions: InferenceSession.SessionOptions = {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      executionMode: opts.executionMode ?? 'sequential',
    };
    if (opts.intraOpThreads !== undefined) sessionOptions.intraOpNumThreads = opts.intraOpThreads;
    if (opts.interOpThreads !== undefined) sessionOptions.interOpNumThreads = opts.interOpThreads;
    if (opts.allowSpinning !== undefined) {
      // onnxruntime session config entries `session.intra_op.allow_spinning` / `session.inter_op.allow_spinning`.
      const spin = opts.allowSpinning ? '1' : '0';
      sessionOptions.extra = { session: { intra_op: { allow_spinning: spin }, inter_op: { allow_spinning: spin } } };
    }

    let session: SessionRunner;
    try {
      session = opts.worker ? await WorkerSession.create(modelPath, sessionOptions) : await LocalSession.create(modelPath, sessionOptions);
    } catch (err) {
      throw new Error(`cannot load model ${manifest.id} from ${modelPath}: ${(err as Error).message}`, { cause: err });
    }
    const problems: string[] = [];
    if (!session.inputNames.includes(manifest.input.name)) {
      problems.push(`input "${manifest.input.name}" not among [${session.inputNames.join(', ')}]`);
    }
    if (!session.outputNames.includes(manifest.output.name)) {
      problems.push(`output "${manifest.output.name}" not among [${session.outputNames.join(', ')}]`);
    }
    if (problems.length > 0) {
      await session.release();
      throw new Error(`model ${modelPath} does not match manifest ${manifest.id}: ${problems.join('; ')}`);
    }

    const detector = new ObjectDetector(manifest, modelPath, session, decoder, opts.worker ?? false);
    const { width, height } = manifest.input;
    await detector.#run(new Float32Array(3 * width * height), [1, 3, height, width]);
    return detector;
  }

  /**
   * Resolves a model by manifest id (`models/manifests/<id>.json`; file from
   * `$SIGHTLINE_MODELS_DIR`, the cache, or a sha256-checked download) and creates the detector.
   */
  static async load(
    modelId: string,
    opts: Omit<DetectorOptions, 'manifest' | 'modelPath'> & { modelsDir?: string } = {},
  ): Promise<ObjectDetector> {
    const { manifest, path } = await resolveModel(modelId, opts.modelsDir ? { modelsDir: opts.modelsDir } : {});
    return ObjectDetector.create({ ...opts, manifest, modelPath: path });
  }

  /**
   * Detects objects in an image file or encoded image bytes.
   * @throws ImageDecodeError when the input cannot be decoded (see {@link decodeImage}).
   */
  async detect(input: Buffer | string, opts: DetectOptions = {}): Promise<DetectionResult> {
    this.#alive();
    const t0 = performance.now();
    const image = await decodeImage(input, opts.maxPixels !== undefined ? { maxPixels: opts.maxPixels } : {});
    const decodeMs = performance.now() - t0;
    const result = await this.detectDecoded(image, opts);
    result.timings.decodeMs = decodeMs;
    return result;
  }

  /**
   * Detects objects in an already decoded frame (from {@link decodeImage}, or a video frame's
   * `pixels`): {@link prepare} then {@link detectPrepared}.
   */
  async detectDecoded(image: DecodedImage, opts: DetectOptions = {}): Promise<DetectionResult> {
    this.#alive();
    return this.detectPrepared(await this.prepare(image), opts);
  }

  /**
   * First half of {@link detectDecoded}: letterboxes a decoded frame into the network input (the
   * resize runs in sharp's thread pool). Prepare frame n+1 while frame n is in
   * {@link detectPrepared} to keep the network busy.
   *
   * @param frameSize size of the frame the pixels show when a decoder already scaled them (video
   *   sources with `fit`): boxes then come back in the frame's pixels, and pixels already at the
   *   letterbox's resized size skip the resize (see `letterbox`). Default: the image's own size.
   */
  async prepare(image: DecodedImage, frameSize?: { width: number; height: number }): Promise<PreparedInput> {
    this.#alive();
    const t0 = performance.now();
    const { width: W, height: H } = this.manifest.input;
    let out = this.#tensors.pop();
    if (out && out.length !== 3 * W * H) out = undefined;
    const { tensor, dims, transform } = await letterbox(image, this.manifest.input, out, frameSize);
    return {
      tensor,
      dims,
      transform,
      width: transform.sourceWidth,
      height: transform.sourceHeight,
      preprocessMs: performance.now() - t0,
    };
  }

  /**
   * Second half of {@link detectDecoded}: inference, decoding, NMS, mapping back to the frame.
   * Consumes `input` (its tensor is reused for later frames).
   */
  async detectPrepared(input: PreparedInput, opts: DetectOptions = {}): Promise<DetectionResult> {
    this.#alive();
    const { manifest } = this;
    const score = checkUnit('score', opts.score ?? manifest.defaults.score);
    const iouThreshold = checkUnit('iou', opts.iou ?? manifest.defaults.iou);
    const maxDetections = opts.maxDetections ?? DEFAULT_MAX_DETECTIONS;

    const { output, ms: inferenceMs } = await this.#run(input.tensor, input.dims);
    const t2 = performance.now();
    let candidates = this.#decoder.decode(output, { manifest, scoreThreshold: score });
    candidates = this.#decoder.needsNms
      ? nms(candidates, iouThreshold, maxDetections)
      : candidates.sort((a, b) => b.score - a.score).slice(0, maxDetections);
    const detections = toDetections(candidates, input.transform, manifest.labels);
    const t3 = performance.now();
    return {
      width: input.width,
      height: input.height,
      detections,
      timings: { decodeMs: 0, preprocessMs: input.preprocessMs, inferenceMs, postprocessMs: t3 - t2 },
    };
  }

  /**
   * Runs the network on a prepared input tensor and returns its raw output (for tools and
   * benchmarks; `detectDecoded` is the normal entry point).
   * @param tensor float32 NCHW `[1, 3, H, W]` as produced by {@link letterbox}. With `worker: true`
   *   it is transferred to the worker and back, so it stays usable afterwards only through the
   *   returned `input` (also given for the in-thread session, where it is the same array).
   */
  async runRaw(tensor: Float32Array, dims: readonly number[]): Promise<RawOutput & { input: Float32Array }> {
    const session = this.#alive();
    const { output, tensor: back } = await session.run(tensor, dims, this.manifest.input.name, this.manifest.output.name);
    return { ...output, input: back };
  }

  /** Releases the onnxruntime session; later calls throw. Safe to call twice. */
  async close(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    if (session) await session.release();
  }

  async #run(tensor: Float32Array, dims: readonly number[]): Promise<{ output: RawOutput; ms: number }> {
    const session = this.#alive();
    try {
      const { output, tensor: back, ms } = await session.run(tensor, dims, this.manifest.input.name, this.manifest.output.name);
      if (this.#tensors.length < MAX_POOLED_TENSORS) this.#tensors.push(back);
      return { output, ms };
    } catch (err) {
      throw new Error(`model ${this.manifest.id}: ${(err as Error).message}`, { cause: err });
    }
  }

  #alive(): SessionRunner {
    if (!this.#session) throw new Error(`detector for ${this.manifest.id} is closed`);
    return this.#session;
  }
}
