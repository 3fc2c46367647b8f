import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Spool } from '../../src/publish/spool';

const TOPIC = 'sightline/v1/dev-1/observations';
const dirs: string[] = [];
const spools: Spool[] = [];

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sightline-spool-'));
  dirs.push(dir);
  return join(dir, 'spool.sqlite');
}

function open(path: string, maxBytes?: number): Spool {
  const spool = Spool.open(path, { maxBytes });
  spools.push(spool);
  return spool;
}

/** Enqueues a message whose payload is `{"id":..., "seq":..., "body":"xxx…"}`. */
function put(spool: Spool, body = 'x') {
  return spool.enqueue(TOPIC, ({ id, seq }) => ({ id, seq, body }));
}

afterEach(() => {
  for (const spool of spools.splice(0)) spool.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('Spool', () => {
  it('stamps consecutive seqs and distinct UUIDv7 ids, and peeks in seq order', () => {
    const spool = open(':memory:');
    const sent = [put(spool, 'a'), put(spool, 'b'), put(spool, 'c')];
    expect(sent.map((m) => m.seq)).toEqual([0, 1, 2]);
    expect(new Set(sent.map((m) => m.id)).size).toBe(3);
    expect(sent[0]!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);

    const all = spool.peek(-1, 10);
    expect(all.map((m) => m.seq)).toEqual([0, 1, 2]);
    expect(all.every((m) => m.topic === TOPIC)).toBe(true);
    expect(JSON.parse(all[1]!.payload.toString('utf8'))).toEqual(sent[1]);
    expect(spool.peek(0, 1).map((m) => m.seq)).toEqual([1]);
    expect(spool.peek(2, 10)).toEqual([]);
  });

  it('removes only acknowledged messages and keeps depth and bytes exact', () => {
    const spool = open(':memory:');
    for (let i = 0; i < 5; i++) put(spool);
    const bytesOfOne = spool.stats.bytes / 5;
    expect(spool.ack([1, 3])).toBe(2);
    expect(spool.ack([3, 99])).toBe(0); // already gone / never existed: ignored
    expect(spool.peek(-1, 10).map((m) => m.seq)).toEqual([0, 2, 4]);
    expect(spool.stats).toMatchObject({ depth: 3, bytes: 3 * bytesOfOne, dropped: 0, nextSeq: 5 });
  });

  it('keeps messages, the seq counter and the drop counter across a restart', () => {
    const path = tempFile();
    const first = open(path, 600);
    for (let i = 0; i < 20; i++) put(first, 'y'.repeat(50));
    first.ack([first.peek(-1, 1)[0]!.seq]);
    const before = first.stats;
    expect(before.dropped).toBeGreaterThan(0);
    first.close();

    const second = open(path, 600);
    expect(second.stats).toEqual(before);
    // The newest messages, contiguous up to the last one (the oldest were dropped or acknowledged).
    expect(second.peek(-1, 100).map((m) => m.seq)).toEqual([...Array(before.depth).keys()].map((i) => 20 - before.depth + i));
    expect(put(second).seq).toBe(20);
  });

  it('seq keeps rising after the spool was emptied and reopened', () => {
    const path = tempFile();
    const first = open(path);
    put(first);
    put(first);
    first.ack([0, 1]);
    first.close();
    const second = open(path);
    expect(second.stats.depth).toBe(0);
    expect(put(second).seq).toBe(2);
  });

  it('drops the oldest messages when full, counts them, and never exceeds maxBytes', () => {
    const spool = open(':memory:', 1000);
    const sizes: number[] = [];
    for (let i = 0; i < 30; i++) {
      put(spool, 'z'.repeat(60));
      sizes.push(spool.stats.bytes);
      expect(spool.stats.bytes).toBeLessThanOrEqual(1000);
    }
    const { depth, dropped } = spool.stats;
    expect(depth + dropped).toBe(30);
    expect(dropped).toBeGreaterThan(0);
    // What is left is the newest messages, contiguous up to the last one.
    expect(spool.peek(-1, 100).map((m) => m.seq)).toEqual([...Array(depth).keys()].map((i) => 30 - depth + i));
  });

  it('rejects a message larger than the whole spool without using a seq', () => {
    const spool = open(':memory:', 200);
    expect(() => put(spool, 'q'.repeat(500))).toThrow(/larger than the whole spool \(200 bytes\)/);
    expect(spool.stats).toMatchObject({ depth: 0, nextSeq: 0, dropped: 0 });
    expect(put(spool).seq).toBe(0);
  });

  it('rolls back when building the message throws', () => {
    const spool = open(':memory:');
    expect(() =>
      spool.enqueue(TOPIC, () => {
        throw new Error('bad draft');
      }),
    ).toThrow('bad draft');
    expect(spool.stats).toMatchObject({ depth: 0, nextSeq: 0 });
  });

  it('refuses a second process or handle on the same file', () => {
    const path = tempFile();
    open(path);
    expect(() => Spool.open(path)).toThrow(/in use by another process/);
  });
});
