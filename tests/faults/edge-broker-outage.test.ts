/**
 * Fault: the broker is stopped for a while (default 30 s; SIGHTLINE_FAULT_OUTAGE_SECONDS) while
 * the edge keeps producing, then started again. The edge must spool, replay in order, lose
 * nothing, and the receiver (a persistent QoS 1 subscriber, connected throughout apart from the
 * outage itself) must see every message once after de-duplication by id.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { MqttPublisher, type ObservationDraft } from '@sightline/edge';
import { Receiver, TestBroker, until } from './edge-harness';

const OUTAGE_SECONDS = Number(process.env.SIGHTLINE_FAULT_OUTAGE_SECONDS ?? 30);
const RATE_PER_SECOND = 50;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function draft(i: number): ObservationDraft {
  return {
    cameraId: 'cam-1',
    capturedAt: new Date().toISOString(),
    frame: { width: 1920, height: 1080, source: `frame-${i}.jpg` },
    model: { id: 'yolox-nano' },
    observations: [{ id: '0192f0c8-0000-7000-8000-000000000001', label: 'car', classId: 2, score: 0.8, box: [10, 20, 110, 220] }],
  };
}

describe('edge publisher across a broker outage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sightline-outage-'));
  let broker: TestBroker | undefined;
  afterAll(async () => {
    await broker?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`spools through a ${OUTAGE_SECONDS} s outage and replays everything in order, once`, { timeout: (OUTAGE_SECONDS + 90) * 1000 }, async () => {
    broker = await TestBroker.start();
    const deviceId = `outage-${randomBytes(3).toString('hex')}`;
    const receiver = await Receiver.connect(broker.url, deviceId);
    const publisher = new MqttPublisher({ deviceId, mqttUrl: broker.url, spoolFile: join(dir, 'spool.sqlite'), reconnectPeriodMs: 500 });
    await publisher.waitConnected();

    // Produce at a steady rate until told to stop; the producer never waits for the broker.
    let produced = 0;
    let producing = true;
    let peakDepth = 0;
    const producer = (async () => {
      const start = Date.now();
      while (producing) {
        await publisher.publishObservations(draft(produced));
        produced += 1;
        peakDepth = Math.max(peakDepth, publisher.spoolStats.depth);
        await sleep(Math.max(0, start + (produced * 1000) / RATE_PER_SECOND - Date.now()));
      }
    })();

    await sleep(2000);
    await broker.stop();
    const stoppedAt = Date.now();
    const producedBeforeOutage = produced;
    await sleep(OUTAGE_SECONDS * 1000);
    const depthAtRestart = publisher.spoolStats.depth;
    await broker.start();
    const restartedAt = Date.now();
    // Replay time: until the backlog is gone (only the newest few, still in flight, remain).
    await until(() => publisher.spoolStats.depth <= 5, 60_000);
    const replayMs = Date.now() - restartedAt;
    await sleep(2000);
    producing = false;
    await producer;

    await publisher.flush(60_000);
    await until(() => receiver.messages.length >= produced, 30_000);
    const received = receiver.of('observations');

    console.log(
      `[edge broker outage] outage ${((restartedAt - stoppedAt) / 1000).toFixed(1)} s at ${RATE_PER_SECOND} msg/s: ` +
        `produced ${produced} (${produced - producedBeforeOutage} during/after the outage), spool depth at restart ${depthAtRestart}, ` +
        `peak ${peakDepth}; backlog replayed ${replayMs} ms after the restart (${Math.round((depthAtRestart * 1000) / Math.max(1, replayMs))} msg/s incl. reconnect); received ${received.length} unique, ` +
        `${receiver.duplicates} duplicate deliveries (de-duplicated by id), ${receiver.outOfOrder} out of order; ` +
        `reconnects ${publisher.reconnects}, spool dropped ${publisher.spoolStats.dropped}`,
    );

    expect(depthAtRestart).toBeGreaterThanOrEqual(OUTAGE_SECONDS * RATE_PER_SECOND * 0.8);
    expect(publisher.spoolStats).toMatchObject({ depth: 0, dropped: 0 });
    expect(received.map((m) => m.seq)).toEqual([...Array(produced).keys()]);
    expect(receiver.outOfOrder).toBe(0);
    expect(publisher.reconnects).toBeGreaterThanOrEqual(1);

    await publisher.close();
    await receiver.close();
  });
});
