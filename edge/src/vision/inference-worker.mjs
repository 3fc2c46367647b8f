// @ts-check
/**
 * Worker-thread body of `WorkerSession` (inference-session.ts): one onnxruntime `InferenceSession`
 * living in a `worker_threads` Worker, so that `session.run` — which onnxruntime-node executes
 * synchronously on the calling thread — blocks this thread instead of the agent's event loop.
 *
 * Plain JavaScript on purpose: a Worker is started by Node itself, without the TypeScript loader
 * the rest of the code runs under (tsx, vitest), so it must not need one.
 *
 * Protocol (all messages are plain objects; typed arrays are transferred, not copied):
 *   workerData                       { modelPath, sessionOptions }
 *   → parent  { type: 'ready', inputNames, outputNames }   |  { type: 'fatal', message }
 *   ← parent  { type: 'run', id, input, output, tensor: Float32Array, dims }
 *   → parent  { type: 'result', id, data: Float32Array, dims, tensor, ms }   (output transferred, tensor handed
 *                                                                            back for reuse, ms = time in session.run)
 *             { type: 'error', id, message, tensor }
 *   ← parent  { type: 'release' }   → parent { type: 'released' }, then the worker exits
 */
import { parentPort, workerData } from 'node:worker_threads';
import { InferenceSession, Tensor } from 'onnxruntime-node';

const port = parentPort;
if (!port) throw new Error('inference-worker.mjs must be started as a worker thread');

/** @type {InferenceSession | undefined} */
let session;
try {
  session = await InferenceSession.create(workerData.modelPath, workerData.sessionOptions);
  port.postMessage({ type: 'ready', inputNames: session.inputNames, outputNames: session.outputNames });
} catch (err) {
  port.postMessage({ type: 'fatal', message: err instanceof Error ? err.message : String(err) });
}

port.on('message', async (msg) => {
  if (msg.type === 'release') {
    const s = session;
    session = undefined;
    if (s) await s.release().catch(() => {});
    port.postMessage({ type: 'released' });
    port.close();
    return;
  }
  if (msg.type !== 'run') return;
  const { id, input, output, tensor, dims } = msg;
  if (!session) {
    port.postMessage({ type: 'error', id, message: 'onnxruntime session is not loaded', tensor }, [tensor.buffer]);
    return;
  }
  try {
    const t0 = performance.now();
    const results = await session.run({ [input]: new Tensor('float32', tensor, dims) }, [output]);
    const ms = performance.now() - t0;
    const out = results[output];
    if (!out || out.type !== 'float32') throw new Error(`output "${output}" missing or not float32 (got ${out?.type})`);
    // onnxruntime-node hands out a fresh ArrayBuffer per run: transfer it as is; copy only a view
    // that shares its buffer with something else.
    const raw = /** @type {Float32Array} */ (out.data);
    const data = raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength ? raw : new Float32Array(raw);
    port.postMessage({ type: 'result', id, data, dims: out.dims, tensor, ms }, [data.buffer, tensor.buffer]);
  } catch (err) {
    port.postMessage({ type: 'error', id, message: err instanceof Error ? err.message : String(err), tensor }, [tensor.buffer]);
  }
});
