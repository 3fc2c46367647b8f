/**
 * The ingest batcher: collects checked messages arriving close together and writes them to the
 * database in one transaction, retrying until the database takes them, and only then
 * acknowledges them to the broker.
 *
 * - A batch is written when `maxBatch` items (or `maxBatchBytes` of payload) are waiting, `maxDelayMs` after the first one
 *   arrived, or when no item arrived for `idleFlushMs`, whichever is first. Up to `concurrency`
 *   batches are written at once (each in its own transaction and connection), so the database
 *   works on one batch while this process prepares the next; when a write ends, whatever waits
 *   is written next (group commit). The idle flush matters because the broker stops sending once
 *   the unacknowledged window is full (MQTT receive maximum / Mosquitto
 *   `max_inflight_messages`): waiting longer would only wait for messages that cannot come
 *   before the acknowledgements.
 * - After a batch commits, each item's `ack` (the MQTT PUBACK) is called, in arrival order
 *   across batches: a batch that commits before an earlier one waits for it to be acknowledged.
 * - When the database is down (anything but a data error), the same batch is retried with
 *   exponential backoff (`retryInitialMs` doubling up to `retryMaxMs`, with jitter). Items stay
 *   in memory meanwhile; nothing is dropped. Above `highWaterMark` waiting items (or
 *   `highWaterBytes` of their payloads), {@link
 *   Batcher.waitForRoom} holds the MQTT client so the broker keeps further messages instead.
 * - When the database rejects the data (SQLSTATE class 22/23, e.g. a class id beyond integer
 *   range), the batch is split and written item by item; the offending message becomes a dead
 *   letter with the database's reason, and its neighbours are stored.
 *
 * Waiting items live in process memory but are not acknowledged yet: if the process dies, the
 * broker still holds them (persistent session) and delivers them again after the restart.
 */
import type { Logger } from 'pino';
import { describeError, isDataError } from '../db/errors';
import { rejectStoreItem } from './dead-letters';
import type { IngestItem } from './items';
import type { BatchOutcome } from './store';

/** Tuning of the {@link Batcher}; every field has a default. */
export interface BatcherOptions {
  /** Most items per transaction (default 2000). */
  maxBatch: number;
  /** Most payload bytes per transaction (default 32 MiB; a batch holds at least one item). */
  maxBatchBytes: number;
  /** Longest wait before writing a partial batch, in milliseconds (default 50). */
  maxDelayMs: number;
  /** Write a partial batch when no item arrived for this many milliseconds (default 5). */
  idleFlushMs: number;
  /** First retry delay after a failed write, in milliseconds (default 100). */
  retryInitialMs: number;
  /** Cap of the retry delay, in milliseconds (default 5000). */
  retryMaxMs: number;
  /** Waiting items above which the MQTT client is paused (default 20000). */
  highWaterMark: number;
  /** Payload bytes pending above which the MQTT client is paused (default 256 MiB). */
  highWaterBytes: number;
  /** Batches written at the same time, each in its own transaction (default 2). */
  concurrency: number;
}

/** Defaults of {@link BatcherOptions}. */
export const DEFAULT_BATCHER_OPTIONS: BatcherOptions = {
  maxBatch: 2000,
  maxBatchBytes: 32 * 1024 * 1024,
  maxDelayMs: 50,
  idleFlushMs: 5,
  retryInitialMs: 100,
  retryMaxMs: 5000,
  highWaterMark: 20_000,
  highWaterBytes: 256 * 1024 * 1024,
  concurrency: 2,
};

/** Running totals of the batcher since start. */
export interface BatcherCounters {
  /** Device messages committed to the database, of every kind (a re-delivered message counts again). */
  stored: number;
  /** Observation rows newly inserted (re-delivered observation ids excluded). */
  observationsInserted: number;
  /** Traffic messages whose counts were added (re-delivered ids excluded). */
  trafficMessagesInserted: number;
  /** Messages acknowledged without storing anything (e.g. a cleared retained status). */
  skipped: number;
  /** Dead letters committed to the database. */
  deadLettered: number;
  /** Transactions committed (each holds up to `maxBatch` messages). */
  transactions: number;
  /** Failed write attempts (each retry counts). */
  writeFailures: number;
  /** Dead letters the database refused even so (logged, then dropped). Should stay 0. */
  dropped: number;
  /** The last write error, or null if none happened yet. */
  lastWriteError: string | null;
}

/** Writes a batch in one transaction; throws the database error on failure. */
export type BatchWriter = (items: readonly IngestItem[]) => Promise<BatchOutcome>;

/** A batch being written; acknowledged in order once committed. */
interface InFlight {
  items: IngestItem[];
  /** Sum of the items' payload sizes. */
  bytes: number;
  /** Committed (true), given up at close (false), or still being written (undefined). */
  committed?: boolean;
}

/**
 * Queue + writers: see the module comment. One instance per ingest; `push` from the MQTT
 * handler, `idle`/`close` to wait for the writes.
 */
export class Batcher {
  readonly counters: BatcherCounters = {
    stored: 0,
    observationsInserted: 0,
    trafficMessagesInserted: 0,
    skipped: 0,
    deadLettered: 0,
    transactions: 0,
    writeFailures: 0,
    dropped: 0,
    lastWriteError: null,
  };
  private readonly options: BatcherOptions;
  private readonly queue: IngestItem[] = [];
  /** Batches being written or waiting for an earlier one's acknowledgement, oldest first. */
  private readonly inFlight: InFlight[] = [];
  private writers = 0;
  private inFlightItems = 0;
  private queuedBytes = 0;
  private inFlightBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  /** When the first item of the batch being gathered arrived (ms since epoch). */
  private firstAt: number | undefined;
  private closing = false;
  private deadline = Infinity;
  private abandoned = 0;
  private readonly wakers = new Set<() => void>();
  private roomWaiters: Array<() => void> = [];
  private idleWaiters: Array<() => void> = [];

  /**
   * @param write stores one batch in one transaction (see `storeBatch`).
   * @param options tuning; missing fields take {@link DEFAULT_BATCHER_OPTIONS}.
   */
  constructor(
    private readonly write: BatchWriter,
    options: Partial<BatcherOptions> = {},
    private readonly logger?: Logger,
  ) {
    this.options = { ...DEFAULT_BATCHER_OPTIONS, ...options };
  }

  /** Items received but not yet committed (queued or being written). */
  get pending(): number {
    return this.queue.length + this.inFlightItems;
  }

  /** Payload bytes received but not yet committed. */
  get pendingBytes(): number {
    return this.queuedBytes + this.inFlightBytes;
  }

  /** Queues an item for the next batch. After {@link close} began, items are refused (returns false). */
  push(item: IngestItem): boolean {
    if (this.closing) return false;
    this.queue.push(item);
    this.queuedBytes += item.payload.byteLength;
    this.schedule();
    return true;
  }

  /** Resolves at once while below the high-water marks (items and bytes), else when back below them. */
  waitForRoom(): Promise<void> {
    if (!this.full() || this.closing) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Resolves when every queued item has been committed (or abandoned at close). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops accepting items and writes what is queued, retrying until `timeoutMs` has passed.
   * Abandoned items are not acknowledged: with a persistent session the broker delivers them
   * again on the next connection.
   * @returns number of items abandoned because the database stayed unavailable (also logged).
   */
  async close(timeoutMs = 10_000): Promise<number> {
    this.closing = true;
    this.deadline = Date.now() + timeoutMs;
    this.releaseRoomWaiters(true);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.startWriters();
    for (const wake of [...this.wakers]) wake();
    await this.idle();
    const abandoned = this.abandoned + this.queue.length;
    if (abandoned > 0) {
      this.logger?.error({ abandoned, lastWriteError: this.counters.lastWriteError }, 'closing with messages the database never took; they stay unacknowledged for redelivery');
      this.queue.length = 0;
      this.queuedBytes = 0;
    }
    return abandoned;
  }

  private full(): boolean {
    return this.pending >= this.options.highWaterMark || this.pendingBytes >= this.options.highWaterBytes;
  }

  private isIdle(): boolean {
    return this.writers === 0 && (this.queue.length === 0 || (this.closing && Date.now() >= this.deadline));
  }

  /** Starts a writer now, or arms the timer for a partial batch. */
  private schedule(): void {
    if (this.writers >= this.options.concurrency) return; // a finishing writer picks items up
    if (this.queue.length >= this.options.maxBatch || this.queuedBytes >= this.options.maxBatchBytes) {
      this.startWriters();
      return;
    }
    if (this.writers > 0) return; // group commit: the running write's end takes what waits
    const now = Date.now();
    this.firstAt ??= now;
    const wait = Math.max(0, Math.min(this.options.idleFlushMs, this.firstAt + this.options.maxDelayMs - now));
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.startWriters();
    }, wait);
  }

  /** Starts writers while there are items and free slots. */
  private startWriters(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.firstAt = undefined;
    while (this.writers < this.options.concurrency && this.queue.length > 0) {
      if (this.closing && Date.now() >= this.deadline) break;
      let count = 0;
      let bytes = 0;
      while (count < this.queue.length && count < this.options.maxBatch && (count === 0 || bytes < this.options.maxBatchBytes)) {
        bytes += this.queue[count]!.payload.byteLength;
        count += 1;
      }
      const batch: InFlight = { items: this.queue.splice(0, count), bytes };
      this.queuedBytes -= bytes;
      this.inFlight.push(batch);
      this.inFlightItems += batch.items.length;
      this.inFlightBytes += bytes;
      this.writers += 1;
      void this.runWriter(batch);
    }
  }

  private async runWriter(batch: InFlight): Promise<void> {
    try {
      batch.committed = await this.writeWithRetry(batch.items);
    } catch (error) {
      // Unreachable by design (writeWithRetry catches everything); never let it escape.
      this.logger?.error({ err: error }, 'ingest batcher writer failed');
      batch.committed = false;
    } finally {
      this.writers -= 1;
      this.inFlightItems -= batch.items.length;
      this.inFlightBytes -= batch.bytes;
      if (batch.committed === false) this.abandoned += batch.items.length;
      this.acknowledgeInOrder();
      this.releaseRoomWaiters(false);
      if (this.queue.length > 0) this.startWriters();
      if (this.isIdle()) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
    }
  }

  /** Acknowledges finished batches from the oldest on, stopping at one still being written. */
  private acknowledgeInOrder(): void {
    while (this.inFlight.length > 0 && this.inFlight[0]!.committed !== undefined) {
      const batch = this.inFlight.shift()!;
      if (batch.committed) for (const item of batch.items) this.acknowledge(item);
    }
  }

  /** Writes `batch`, retrying transient failures; false only when closing ran out of time. */
  private async writeWithRetry(batch: readonly IngestItem[]): Promise<boolean> {
    let items = batch;
    for (let attempt = 0; ; attempt++) {
      try {
        const outcome = await this.write(items);
        this.counters.stored += outcome.messagesStored;
        this.counters.observationsInserted += outcome.observationsInserted;
        this.counters.trafficMessagesInserted += outcome.trafficMessagesInserted;
        this.counters.skipped += items.filter((i) => i.kind === 'skip').length;
        this.counters.deadLettered += outcome.deadLettersStored;
        this.counters.transactions += 1;
        if (attempt > 0) this.logger?.info({ attempts: attempt + 1, items: items.length }, 'database write succeeded after retrying');
        return true;
      } catch (error) {
        if (isDataError(error)) {
          if (items.length > 1) {
            // One of these rows is unacceptable to the database: find it, store the rest.
            for (const item of items) {
              if (!(await this.writeWithRetry([item]))) return false;
            }
            return true;
          }
          const item = items[0];
          if (item?.kind === 'store') {
            const reason = `database rejected the message: ${describeError(error)}`;
            this.logger?.warn({ topic: item.topic, reason }, 'message dead-lettered');
            items = [rejectStoreItem(item, reason)];
            attempt = -1;
            continue;
          }
          this.counters.dropped += 1;
          this.logger?.error({ err: error, topic: item?.topic, reason: item?.kind === 'dead-letter' ? item.reason : undefined }, 'database refused a dead letter; dropping it');
          return true;
        }
        this.counters.writeFailures += 1;
        this.counters.lastWriteError = describeError(error);
        if (this.closing && Date.now() >= this.deadline) return false;
        const backoff = Math.min(this.options.retryMaxMs, this.options.retryInitialMs * 2 ** Math.min(attempt, 30));
        const delay = Math.round(backoff * (0.5 + Math.random() / 2));
        this.logger?.warn(
          { err: error, attempt: attempt + 1, items: items.length, pending: this.pending, retryInMs: delay },
          'database write failed; will retry',
        );
        await this.sleep(this.closing ? Math.min(delay, Math.max(0, this.deadline - Date.now())) : delay);
      }
    }
  }

  /** Sends an item's PUBACK now that it is committed; a failing ack must not stop the writer. */
  private acknowledge(item: IngestItem): void {
    try {
      item.ack?.();
    } catch (error) {
      this.logger?.warn({ err: error, topic: item.topic }, 'acknowledging a stored message failed; the broker will deliver it again');
    }
  }

  /** Sleeps `ms`, or until {@link close} wakes every sleeping writer. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }

  private releaseRoomWaiters(all: boolean): void {
    if (!all && this.full()) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
