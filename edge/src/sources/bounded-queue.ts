/**
 * A bounded FIFO between a producer (a decoder reading ffmpeg's pipe, a prefetching stage) and a
 * consumer (the detector), with the two overflow policies video needs:
 *
 * - `'block'` — **backpressure** (files): `push` waits until the consumer made room, so the
 *   producer (and through the unread pipe, ffmpeg) pauses instead of decoding ahead without bound.
 * - `'drop-oldest'` — **keep the latest** (live cameras): `push` never waits; when full, the oldest
 *   item is discarded and counted in {@link BoundedQueue.dropped}. A slow detector then always
 *   works on a recent frame instead of falling further and further behind the camera.
 *
 * ```
 *   producer ──push──▶ [ capacity items ] ──shift──▶ consumer
 *                        full + 'block'        → push waits
 *                        full + 'drop-oldest'  → oldest dropped, dropped += 1
 *   close()       → shift drains what is left, then returns undefined
 *   close(error)  → shift rejects with the error once drained
 * ```
 */
export type OverflowPolicy = 'block' | 'drop-oldest';

export class BoundedQueue<T> {
  readonly capacity: number;
  readonly policy: OverflowPolicy;
  /** Items discarded by the `'drop-oldest'` policy. */
  dropped = 0;
  private readonly items: T[] = [];
  private readonly takers: Array<{ resolve: (v: T | undefined) => void; reject: (e: Error) => void }> = [];
  private readonly givers: Array<() => void> = [];
  private closed = false;
  private error: Error | undefined;

  /**
   * @param capacity items held at most (≥ 1).
   * @param onDrop called with each item the `'drop-oldest'` policy discards (e.g. to recycle its buffer).
   */
  constructor(capacity: number, policy: OverflowPolicy, private readonly onDrop?: (item: T) => void) {
    if (!(Number.isInteger(capacity) && capacity >= 1)) throw new RangeError(`BoundedQueue: capacity ${capacity} must be an integer ≥ 1`);
    this.capacity = capacity;
    this.policy = policy;
  }

  /** Items waiting. */
  get size(): number {
    return this.items.length;
  }

  /** True after {@link close}. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Adds an item. With `'block'` the promise resolves once the item is in the queue (immediately
   * when there is room); with `'drop-oldest'` immediately. Items pushed after `close` are ignored.
   */
  async push(item: T): Promise<void> {
    if (this.closed) return;
    const taker = this.takers.shift();
    if (taker) {
      taker.resolve(item);
      return;
    }
    if (this.items.length >= this.capacity) {
      if (this.policy === 'drop-oldest') {
        const old = this.items.shift()!;
        this.dropped += 1;
        this.onDrop?.(old);
      } else {
        await new Promise<void>((resolve) => this.givers.push(resolve));
        if (this.closed) return;
        const late = this.takers.shift();
        if (late) {
          late.resolve(item);
          return;
        }
      }
    }
    this.items.push(item);
  }

  /** The oldest item; waits for one. `undefined` once closed and drained. */
  shift(): Promise<T | undefined> {
    if (this.items.length > 0) {
      const item = this.items.shift()!;
      this.givers.shift()?.();
      return Promise.resolve(item);
    }
    if (this.closed) return this.error ? Promise.reject(this.error) : Promise.resolve(undefined);
    return new Promise((resolve, reject) => this.takers.push({ resolve, reject }));
  }

  /** The oldest item if one is waiting, else undefined — never waits. */
  tryShift(): T | undefined {
    if (this.items.length === 0) return undefined;
    const item = this.items.shift()!;
    this.givers.shift()?.();
    return item;
  }

  /**
   * No more items: waiting consumers get `undefined` (or `error`), blocked producers are released
   * (their items are discarded). Items already queued are still delivered.
   */
  close(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.error = error;
    for (const t of this.takers.splice(0)) (error ? t.reject(error) : t.resolve(undefined));
    for (const g of this.givers.splice(0)) g();
  }

  /** Removes and returns everything queued (e.g. to release buffers on shutdown). */
  drain(): T[] {
    const all = this.items.splice(0);
    for (const g of this.givers.splice(0, all.length)) g();
    return all;
  }
}
