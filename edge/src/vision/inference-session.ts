/**
 * Where the network runs: one onnxruntime `InferenceSession`, either on the calling thread
 * ({@link LocalSession}) or in a worker thread ({@link WorkerSession}), behind one small interface
 * ({@link SessionRunner}) so that `ObjectDetector` does not care which.
 *
 * Why a worker: onnxruntime-node runs `session.run` synchronously on the thread that calls it
 * (its promise only defers the call with `setImmediate`), so on the main thread every inference
 * blocks the event loop — no frame can be read from ffmpeg, letterboxed, tracked or published
 * meanwhile. In a worker, inference of frame n overlaps with the preparation of frame n+1, and the
 * agent's MQTT keep-alives and timers stay on time. The tensor is *transferred* to the worker and
 * back, and so is the output (YOLOX-Nano 416: 3549 × 85 floats, 1.2 MB): no copies.
 */
import { Worker } from 'node:worker_threads';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { RawOutput } from './decoders/types';

/** What {@link SessionRunner.run} gives back. */
export interface SessionResult {
  output: RawOutput;
  /** The input tensor, handed back for reuse. */
  tensor: Float32Array;
  /** Milliseconds spent in onnxruntime's `run`. */
  ms: number;
}

/** A loaded network that maps one float32 input tensor to one float32 output tensor. */
export interface SessionRunner {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * Runs the network. `tensor` is given away: after the call it may be detached (worker) and must
   * not be read; the returned `tensor` (same values, possibly a new view) may be reused. `ms` is
   * the time spent in `session.run` itself (without waiting for earlier calls in a worker).
   */
  run(tensor: Float32Array, dims: readonly number[], input: string, output: string): Promise<SessionResult>;
  release(): Promise<void>;
}

/** onnxruntime on the calling thread. */
export class LocalSession implements SessionRunner {
  private constructor(private readonly session: InferenceSession) {}

  /** Loads the model file with these session options. */
  static async create(modelPath: string, options: InferenceSession.SessionOptions): Promise<LocalSession> {
    return new LocalSession(await InferenceSession.create(modelPath, options));
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  async run(tensor: Float32Array, dims: readonly number[], input: string, output: string): Promise<SessionResult> {
    const t0 = performance.now();
    const results = await this.session.run({ [input]: new Tensor('float32', tensor, dims) }, [output]);
    const ms = performance.now() - t0;
    const out = results[output];
    if (!out || out.type !== 'float32') throw new Error(`output "${output}" missing or not float32 (got ${out?.type})`);
    return { output: { data: out.data as Float32Array, dims: out.dims }, tensor, ms };
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

type WorkerReply =
  | { type: 'ready'; inputNames: string[]; outputNames: string[] }
  | { type: 'fatal'; message: string }
  | { type: 'result'; id: number; data: Float32Array; dims: number[]; tensor: Float32Array; ms: number }
  | { type: 'error'; id: number; message: string; tensor: Float32Array }
  | { type: 'released' };

interface Pending {
  resolve: (v: SessionResult) => void;
  reject: (e: Error) => void;
}

/**
 * onnxruntime in a `worker_threads` Worker (body: `inference-worker.mjs`). Calls may overlap; the
 * worker runs them one after another. If the worker dies, pending and later calls reject.
 */
export class WorkerSession implements SessionRunner {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | undefined;
  private released = false;

  private constructor(
    private readonly worker: Worker,
    readonly inputNames: readonly string[],
    readonly outputNames: readonly string[],
  ) {
    worker.on('message', (msg: WorkerReply) => {
      if (msg.type !== 'result' && msg.type !== 'error') return;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.type === 'result') p.resolve({ output: { data: msg.data, dims: msg.dims }, tensor: msg.tensor, ms: msg.ms });
      else p.reject(new Error(msg.message));
    });
    const fail = (err: Error) => {
      this.failure ??= err;
      for (const p of this.pending.values()) p.reject(this.failure);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!this.released) fail(new Error(`inference worker exited unexpectedly (code ${code})`));
    });
  }

  /** Starts the worker and loads the model in it; rejects with onnxruntime's message if it cannot. */
  static async create(modelPath: string, options: InferenceSession.SessionOptions): Promise<WorkerSession> {
    const worker = new Worker(new URL('./inference-worker.mjs', import.meta.url), {
      workerData: { modelPath, sessionOptions: options },
      // The model's weights and onnxruntime's arenas live outside the JS heap; keep the worker's heap small.
      resourceLimits: { maxOldGenerationSizeMb: 256 },
    });
    const ready = await new Promise<{ inputNames: string[]; outputNames: string[] }>((resolve, reject) => {
      const onMessage = (msg: WorkerReply) => {
        if (msg.type === 'ready') resolve(msg);
        else if (msg.type === 'fatal') reject(new Error(msg.message));
        else return;
        worker.off('message', onMessage);
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`inference worker exited during start-up (code ${code})`)));
    }).catch(async (err: Error) => {
      await worker.terminate();
      throw err;
    });
    worker.removeAllListeners('error');
    worker.removeAllListeners('exit');
    return new WorkerSession(worker, ready.inputNames, ready.outputNames);
  }

  run(tensor: Float32Array, dims: readonly number[], input: string, output: string): Promise<SessionResult> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.released) return Promise.reject(new Error('inference worker released'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Transfer the buffer when the array owns all of it; a view into a larger buffer is copied.
      const owned = tensor.byteOffset === 0 && tensor.byteLength === tensor.buffer.byteLength && !(tensor.buffer instanceof SharedArrayBuffer);
      const send = owned ? tensor : new Float32Array(tensor);
      this.worker.postMessage({ type: 'run', id, input, output, tensor: send, dims: [...dims] }, [send.buffer as ArrayBuffer]);
    });
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (!this.failure) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5_000);
        this.worker.on('message', (msg: WorkerReply) => {
          if (msg.type === 'released') {
            clearTimeout(timer);
            resolve();
          }
        });
        this.worker.postMessage({ type: 'release' });
      });
    }
    await this.worker.terminate();
    for (const p of this.pending.values()) p.reject(new Error('inference worker released'));
    this.pending.clear();
  }
}
