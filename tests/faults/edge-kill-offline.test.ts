/**
 * Fault: the edge is killed with SIGKILL while offline with a full spool (more produced than fits,
 * so the oldest were dropped), then restarted with the broker back: every message that was in the
 * spool at the kill is delivered, in order, and the persisted drop counter survives into stats.
 * The publisher runs in a child process (tests/faults/edge-spool-child.ts, under tsx) so it can be killed.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { StatsMessage } from '@sightline/contracts';
import { Receiver, TestBroker, until } from './edge-harness';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHILD = fileURLToPath(new URL('./edge-spool-child.ts', import.meta.url));
const COUNT = 3000;
const MAX_BYTES = 1024 * 1024; // about 2,000 of these messages: the spool is full and drops

const children = new Set<() => void>();

/** Runs the child; resolves with its first JSON line and the process (still running, maybe). */
function runChild(args: object): { line: Promise<Record<string, unknown>>; exited: Promise<number | null>; kill: () => void } {
  // `node --import tsx`, not the tsx CLI: the CLI runs the script in a grandchild that SIGKILL would not reach.
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(args)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const line = new Promise<Record<string, unknown>>((done, fail) => {
    createInterface({ input: child.stdout }).once('line', (text) => done(JSON.parse(text) as Record<string, unknown>));
    void exited.then((code) => fail(new Error(`child exited (${code}) before reporting: ${stderr.trim()}`)));
  });
  const kill = () => child.kill('SIGKILL');
  children.add(kill);
  void exited.then(() => children.delete(kill));
  return { line, exited, kill };
}

describe('edge killed while offline', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sightline-kill-'));
  let broker: TestBroker | undefined;
  afterAll(async () => {
    for (const kill of children) kill(); // a failed run must not leave a child holding the spool
    await broker?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers the spool of a SIGKILLed edge after it restarts', { timeout: 120_000 }, async () => {
    const deviceId = `kill-${randomBytes(3).toString('hex')}`;
    const spoolFile = join(dir, 'spool.sqlite');
    broker = await TestBroker.start();
    // The receiver's persistent session is made now and survives the outage (broker persistence).
    const receiver = await Receiver.connect(broker.url, deviceId);
    await broker.stop();

    const producer = runChild({ mode: 'produce', url: broker.url, spoolFile, deviceId, count: COUNT, maxBytes: MAX_BYTES });
    const spooled = await producer.line;
    producer.kill();
    const killedWith = await producer.exited;
    expect(spooled).toMatchObject({ event: 'spooled', connected: false, nextSeq: COUNT });
    const depth = spooled.depth as number;
    const dropped = spooled.dropped as number;

    await broker.start();
    const restarted = runChild({ mode: 'drain', url: broker.url, spoolFile, deviceId });
    const drained = await restarted.line;
    expect(await restarted.exited).toBe(0);
    await until(() => receiver.messages.length >= depth + 1, 30_000);
    const observations = receiver.of('observations');
    const stats = receiver.of('stats').map((m) => m.body as unknown as StatsMessage);

    console.log(
      `[edge kill offline] spooled ${COUNT} offline into a ${MAX_BYTES} B spool in ${String(spooled.ms)} ms: ` +
        `depth ${depth} (${String(spooled.bytes)} B), dropped ${dropped}; killed (${killedWith === null ? 'SIGKILL' : killedWith}); ` +
        `restarted with ${JSON.stringify(drained.before)}; drained in ${String(drained.ms)} ms; ` +
        `received ${observations.length} observations (seq ${observations[0]?.seq}..${observations.at(-1)?.seq}), ` +
        `${receiver.duplicates} duplicates, ${receiver.outOfOrder} out of order; stats after restart: spool.dropped ${stats[0]?.spool.dropped}`,
    );

    expect(killedWith).toBeNull(); // killed by the signal, not exited
    expect(dropped).toBeGreaterThan(0);
    expect(depth + dropped).toBe(COUNT);
    expect(drained).toMatchObject({ event: 'drained', before: { depth, dropped, nextSeq: COUNT }, depth: 0 });
    // Exactly what was in the spool at the kill: the newest `depth`, contiguous, in order.
    expect(observations.map((m) => m.seq)).toEqual([...Array(depth).keys()].map((i) => COUNT - depth + i));
    expect(receiver.outOfOrder).toBe(0);
    expect(stats).toHaveLength(1);
    expect(stats[0]!.seq).toBe(COUNT);
    expect(stats[0]!.spool.dropped).toBe(dropped);
    await receiver.close();
  });
});
