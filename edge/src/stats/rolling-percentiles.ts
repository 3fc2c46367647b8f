/**
 * Percentiles over the most recent `capacity` samples (a ring buffer), so a latency figure
 * describes the agent now, not an average over days, and memory stays bounded.
 *
 * Percentiles use the nearest-rank method on the samples in the window: p50 of [1, 2, 3, 4] is 2,
 * p95 is 4. With no samples every percentile is 0.
 *
 * @example
 * const inference = new RollingPercentiles(512);
 * inference.add(41.5); inference.add(38.2);
 * inference.percentile(95); // 41.5
 */
export class RollingPercentiles {
  readonly capacity: number;
  readonly #samples: number[] = [];
  #next = 0;

  /** @param capacity how many recent samples to keep (default 1024). */
  constructor(capacity = 1024) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
  }

  /** Records one sample, replacing the oldest once the window is full. Non-finite values are ignored. */
  add(value: number): void {
    if (!Number.isFinite(value)) return;
    if (this.#samples.length < this.capacity) this.#samples.push(value);
    else this.#samples[this.#next] = value;
    this.#next = (this.#next + 1) % this.capacity;
  }

  /** Samples currently in the window. */
  get count(): number {
    return this.#samples.length;
  }

  /** The `p`-th percentile (0 < p <= 100) of the window, nearest rank; 0 when empty. */
  percentile(p: number): number {
    if (this.#samples.length === 0) return 0;
    const sorted = [...this.#samples].sort((a, b) => a - b);
    const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
    return sorted[rank - 1]!;
  }
}
