/**
 * Per-stage latency of the video pipeline: the last N samples of each stage (a ring buffer, so
 * memory stays flat however long the agent runs) and their p50 / p95 / mean in milliseconds.
 *
 * Stages used by `runVideoPipeline`: `read` (waiting for the source's next frame — ffmpeg decodes
 * in its own process), `decode` (encoded frames only: JPEG/PNG → RGB), `preprocess` (letterbox),
 * `inference` (onnxruntime), `postprocess` (output decoding + NMS), `track` (ByteTrack), `count`
 * (lines, zones, interval aggregation), `publish` (the `onFrame` / `onDrafts` callbacks).
 */

/** Distribution of one stage's samples, milliseconds. */
export interface StageSummary {
  /** Samples in the window (at most the capacity). */
  count: number;
  p50: number;
  p95: number;
  mean: number;
  max: number;
}

export class StageTimings {
  private readonly samples = new Map<string, { data: Float64Array; next: number; count: number }>();

  /** @param capacity samples kept per stage (the most recent ones); default 2048. */
  constructor(readonly capacity = 2048) {
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new RangeError(`StageTimings: capacity ${capacity} must be a positive integer`);
  }

  /** Records one sample of `stage`, in ms. */
  add(stage: string, ms: number): void {
    let s = this.samples.get(stage);
    if (!s) this.samples.set(stage, (s = { data: new Float64Array(this.capacity), next: 0, count: 0 }));
    s.data[s.next] = ms;
    s.next = (s.next + 1) % this.capacity;
    s.count = Math.min(s.count + 1, this.capacity);
  }

  /** p50 / p95 / mean / max per stage over the kept samples, in insertion order of the stages. */
  summary(): Record<string, StageSummary> {
    const out: Record<string, StageSummary> = {};
    for (const [stage, s] of this.samples) {
      const sorted = Array.from(s.data.subarray(0, s.count)).sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
      out[stage] = {
        count: s.count,
        p50: at(0.5),
        p95: at(0.95),
        mean: sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length),
        max: sorted.at(-1) ?? 0,
      };
    }
    return out;
  }

  /** Forgets all samples. */
  reset(): void {
    this.samples.clear();
  }
}
