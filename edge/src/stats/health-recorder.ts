import { RollingPercentiles } from './rolling-percentiles';

/** Frame counters and rates of one period, as they go into a `StatsMessage`. */
export interface HealthSnapshot {
  /** Totals since the recorder was made. */
  frames: { in: number; processed: number; dropped: number };
  /** Frames processed per second during the period since the previous snapshot. */
  fps: number;
  /** Detector time per frame over the recent window, milliseconds (rounded to 0.1 ms). */
  inferenceMs: { p50: number; p95: number };
}

/**
 * What the agent reports about its own pipeline: the camera loops call {@link frameIn} for every
 * frame read, then {@link frameProcessed} with the detector's time or {@link frameDropped};
 * the stats reporter takes a {@link snapshot} every period.
 *
 * A frame is *dropped* when it never reaches the detector's output: unreadable or corrupt, or
 * skipped to keep up. Inference percentiles cover the last `window` processed frames.
 */
export class HealthRecorder {
  readonly #inference: RollingPercentiles;
  #in = 0;
  #processed = 0;
  #dropped = 0;
  #periodStartMs: number;
  #periodStartProcessed = 0;

  /**
   * @param options.window processed frames whose inference time the percentiles cover (default 1024).
   * @param options.nowMs clock in ms (default `Date.now`), for tests.
   */
  constructor(options: { window?: number; nowMs?: number } = {}) {
    this.#inference = new RollingPercentiles(options.window ?? 1024);
    this.#periodStartMs = options.nowMs ?? Date.now();
  }

  /** A frame was read from a source. */
  frameIn(): void {
    this.#in += 1;
  }

  /** A frame went through the detector, taking `inferenceMs` milliseconds. */
  frameProcessed(inferenceMs: number): void {
    this.#processed += 1;
    this.#inference.add(inferenceMs);
  }

  /** A frame was read but not processed (unreadable, failed, or skipped to keep up). */
  frameDropped(): void {
    this.#dropped += 1;
  }

  /** Counters now, with the fps of the period since the previous snapshot; starts a new period. */
  snapshot(nowMs = Date.now()): HealthSnapshot {
    const seconds = (nowMs - this.#periodStartMs) / 1000;
    const fps = seconds > 0 ? (this.#processed - this.#periodStartProcessed) / seconds : 0;
    this.#periodStartMs = nowMs;
    this.#periodStartProcessed = this.#processed;
    const round = (ms: number) => Math.round(ms * 10) / 10;
    return {
      frames: { in: this.#in, processed: this.#processed, dropped: this.#dropped },
      fps: Math.round(fps * 100) / 100,
      inferenceMs: { p50: round(this.#inference.percentile(50)), p95: round(this.#inference.percentile(95)) },
    };
  }
}
