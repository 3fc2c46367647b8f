/**
 * The batcher on its own, with a fake database: batching by count and time, retry until the
 * database takes the batch, isolation of a row the database rejects, and shutdown.
 */
import { describe, expect, it } from 'vitest';
import { Batcher } from '../src/ingest/batcher';
import type { IngestItem } from '../src/ingest/items';
import type { BatchOutcome } from '../src/ingest/store';
import { observationMessage, until } from './helpers';

const item = (seq: number, acks?: number[]): IngestItem => ({
  kind: 'store',
  topic: 'sightline/v1/dev-1/observations',
  payload: Buffer.from('{}'),
  receivedAt: new Date(),
  record: { kind: 'observations', deviceId: 'dev-1', message: observationMessage('dev-1', seq, { labels: ['car'] }) },
  ...(acks ? { ack: () => acks.push(seq) } : {}),
});

const seqOf = (i: IngestItem): number => (i.kind === 'store' && i.record.kind === 'observations' ? i.record.message.seq : -1);

const outcome = (items: readonly IngestItem[]): BatchOutcome => ({
  messagesStored: items.filter((i) => i.kind === 'store').length,
  observationsInserted: items.filter((i) => i.kind === 'store').length,
  trafficMessagesInserted: 0,
  deadLettersStored: items.filter((i) => i.kind === 'dead-letter').length,
});

/** A database that records committed batches and fails on demand. */
function fakeDatabase() {
  const committed: IngestItem[][] = [];
  let failNext = 0;
  let rejectSeq: number | undefined;
  return {
    committed,
    failTimes: (n: number) => {
      failNext = n;
    },
    rejectSeq: (seq: number) => {
      rejectSeq = seq;
    },
    write: async (items: readonly IngestItem[]): Promise<BatchOutcome> => {
      await new Promise((r) => setTimeout(r, 1));
      if (failNext > 0) {
        failNext -= 1;
        throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
      }
      if (items.some((i) => seqOf(i) === rejectSeq)) {
        throw Object.assign(new Error('integer out of range'), { code: '22003' });
      }
      committed.push([...items]);
      return outcome(items);
    },
  };
}

describe('Batcher', () => {
  it('writes a full batch at once and a partial one after maxDelayMs', async () => {
    const db = fakeDatabase();
    const batcher = new Batcher(db.write, { maxBatch: 3, maxDelayMs: 40 });
    const started = Date.now();
    for (let i = 1; i <= 4; i++) batcher.push(item(i));
    await until(() => db.committed.length, (n) => n >= 1, 1000);
    expect(db.committed[0]).toHaveLength(3);
    await batcher.idle();
    expect(db.committed.map((b) => b.length)).toEqual([3, 1]);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(batcher.counters).toMatchObject({ stored: 4, transactions: 2 });
  });

  it('retries a failed batch until the database takes it, losing nothing', async () => {
    const db = fakeDatabase();
    const batcher = new Batcher(db.write, { maxBatch: 10, maxDelayMs: 5, retryInitialMs: 5, retryMaxMs: 20 });
    db.failTimes(5);
    const acks: number[] = [];
    for (let i = 1; i <= 25; i++) batcher.push(item(i, acks));
    await batcher.idle();
    const seqs = db.committed.flat().map(seqOf);
    expect(seqs.sort((x, y) => x - y)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1)); // two writers: any commit order
    expect(acks).toEqual(Array.from({ length: 25 }, (_, i) => i + 1)); // acknowledged in arrival order all the same
    expect(batcher.counters).toMatchObject({ stored: 25, writeFailures: 5, lastWriteError: 'connection refused' });
    expect(batcher.pending).toBe(0);
  });

  it('dead-letters the one message the database rejects and stores its neighbours', async () => {
    const db = fakeDatabase();
    const batcher = new Batcher(db.write, { maxBatch: 10, maxDelayMs: 5 });
    db.rejectSeq(3);
    for (let i = 1; i <= 5; i++) batcher.push(item(i));
    await batcher.idle();
    const written = db.committed.flat();
    expect(written.filter((i) => i.kind === 'store').map(seqOf)).toEqual([1, 2, 4, 5]);
    const letters = written.filter((i) => i.kind === 'dead-letter');
    expect(letters).toEqual([
      expect.objectContaining({ reason: 'database rejected the message: integer out of range (SQLSTATE 22003)', deviceId: 'dev-1' }),
    ]);
    expect(batcher.counters).toMatchObject({ stored: 4, deadLettered: 1, writeFailures: 0 });
  });

  it('holds the producer above the high-water mark until the queue drains', async () => {
    const db = fakeDatabase();
    const batcher = new Batcher(db.write, { maxBatch: 2, maxDelayMs: 5, retryInitialMs: 5, retryMaxMs: 5, highWaterMark: 3 });
    db.failTimes(10);
    for (let i = 1; i <= 3; i++) batcher.push(item(i));
    let released = false;
    const room = batcher.waitForRoom().then(() => {
      released = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(released).toBe(false);
    await room;
    expect(batcher.pending).toBeLessThan(3);
    await batcher.idle();
  });

  it('acknowledges each item after its batch committed, in arrival order, never before', async () => {
    const db = fakeDatabase();
    const acks: number[] = [];
    const batcher = new Batcher(db.write, { maxBatch: 4, maxDelayMs: 5, retryInitialMs: 5, retryMaxMs: 5 });
    db.failTimes(Infinity);
    db.rejectSeq(6);
    for (let i = 1; i <= 10; i++) batcher.push(item(i, acks));
    await until(() => batcher.counters.writeFailures, (n) => n >= 3, 1000);
    expect(acks).toEqual([]); // the database is failing: nothing acknowledged yet
    db.failTimes(0);
    await batcher.idle();
    expect(acks).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]); // 6 was dead-lettered, which is a commit too
    const committedSeqs = db.committed.flat().map(seqOf);
    expect(committedSeqs).toContain(10);
  });

  it('writes two batches at once, and acknowledges the later one only after the earlier', async () => {
    let release: (() => void) | undefined;
    const gate = new Promise<void>((r) => (release = r));
    const order: string[] = [];
    const write = async (items: readonly IngestItem[]): Promise<BatchOutcome> => {
      const first = seqOf(items[0]!);
      order.push(`start ${first}`);
      if (first === 1) await gate; // the first batch is slow
      order.push(`commit ${first}`);
      return outcome(items);
    };
    const acks: number[] = [];
    const batcher = new Batcher(write, { maxBatch: 3, concurrency: 2 });
    for (let i = 1; i <= 6; i++) batcher.push(item(i, acks));
    await until(() => order.length, (n) => n >= 3, 1000);
    expect(order).toEqual(['start 1', 'start 4', 'commit 4']);
    expect(acks).toEqual([]); // 4..6 committed, but 1..3 are not yet
    release!();
    await batcher.idle();
    expect(acks).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('bounds batches and pending items by payload bytes too', async () => {
    const db = fakeDatabase();
    const big = (seq: number): IngestItem => ({ ...item(seq), payload: Buffer.alloc(400) });
    const batcher = new Batcher(db.write, { maxBatch: 100, maxBatchBytes: 1000, highWaterBytes: 2000, maxDelayMs: 5, concurrency: 1 });
    db.failTimes(Infinity);
    for (let i = 1; i <= 5; i++) batcher.push(big(i));
    expect(batcher.pendingBytes).toBe(2000);
    let released = false;
    const room = batcher.waitForRoom().then(() => (released = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(released).toBe(false); // 2000 bytes pending: the MQTT client would be held
    db.failTimes(0);
    await room;
    await batcher.idle();
    expect(db.committed.map((b) => b.length)).toEqual([3, 2]); // 3 × 400 bytes reach 1000
  });

  it('flushes a partial batch once items stop arriving (idleFlushMs), long before maxDelayMs', async () => {
    const db = fakeDatabase();
    const batcher = new Batcher(db.write, { maxBatch: 1000, maxDelayMs: 5000, idleFlushMs: 5 });
    const started = Date.now();
    for (let i = 1; i <= 20; i++) batcher.push(item(i));
    await until(() => db.committed.length, (n) => n >= 1, 2000);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(db.committed[0]).toHaveLength(20);
    await batcher.close(100);
  });

  it('on close, writes what it holds, or gives up after the timeout leaving the rest unacknowledged', async () => {
    const db = fakeDatabase();
    const batcher = new Batcher(db.write, { maxDelayMs: 1000 });
    batcher.push(item(1));
    expect(await batcher.close(1000)).toBe(0);
    expect(db.committed.flat()).toHaveLength(1);
    expect(batcher.push(item(2))).toBe(false);

    const down = fakeDatabase();
    down.failTimes(Infinity);
    const stuck = new Batcher(down.write, { maxDelayMs: 1, retryInitialMs: 10, retryMaxMs: 10 });
    const acks: number[] = [];
    stuck.push(item(1, acks));
    stuck.push(item(2, acks));
    const started = Date.now();
    expect(await stuck.close(100)).toBe(2);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(acks).toEqual([]); // the broker keeps them for the next session
  });
});
