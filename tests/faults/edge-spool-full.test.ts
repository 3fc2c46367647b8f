/**
 * Fault: the spool fills up while the broker is away. The oldest messages are dropped, never the
 * newest, and the drop counter appears in the next stats message, which reaches the receiver
 * with the surviving messages once the broker is back.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StatsMessage } from '@sightline/contracts';
import { HealthRecorder, MqttPublisher, StatsReporter } from '@sightline/edge';
import { Receiver, TestBroker, until } from './edge-harness';

const COUNT = 400;
const MAX_BYTES = 64 * 1024; // the smallest the config allows; ~130 of these messages

describe('edge spool full', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sightline-full-'));
  let broker: TestBroker | undefined;
  afterAll(async () => {
    await broker?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('drops the oldest messages and reports the count in the next stats message', { timeout: 60_000 }, async () => {
    const deviceId = `full-${randomBytes(3).toString('hex')}`;
    broker = await TestBroker.start();
    const receiver = await Receiver.connect(broker.url, deviceId);
    await broker.stop();

    const publisher = new MqttPublisher({ deviceId, mqttUrl: broker.url, spoolFile: join(dir, 'spool.sqlite'), spoolMaxBytes: MAX_BYTES, reconnectPeriodMs: 300 });
    const recorder = new HealthRecorder();
    const reporter = new StatsReporter({ sink: publisher, recorder, startedAt: new Date().toISOString() });
    for (let i = 0; i < COUNT; i++) {
      recorder.frameIn();
      recorder.frameProcessed(40 + (i % 10));
      await publisher.publishObservations({
        cameraId: 'cam-1',
        capturedAt: new Date().toISOString(),
        frame: { width: 1280, height: 720, source: `frame-${i}.jpg` },
        model: { id: 'yolox-nano' },
        observations: [
          { id: '0192f0c8-0000-7000-8000-000000000001', label: 'car', classId: 2, score: 0.9, box: [10, 20, 110, 220] },
          { id: '0192f0c8-0000-7000-8000-000000000002', label: 'person', classId: 0, score: 0.6, box: [300, 200, 340, 320] },
        ],
      });
    }
    const afterFill = publisher.spoolStats;
    const report = await reporter.report();
    const afterReport = publisher.spoolStats; // spooling the report may itself push out one more

    await broker.start();
    await publisher.flush(30_000);
    await until(() => receiver.of('stats').length > 0, 10_000);
    const observations = receiver.of('observations');
    const stats = receiver.of('stats').map((m) => m.body as unknown as StatsMessage);

    console.log(
      `[edge spool full] ${COUNT} messages offline into a ${MAX_BYTES} B spool: kept ${afterFill.depth} (${afterFill.bytes} B), ` +
        `dropped ${afterFill.dropped} oldest (${afterReport.dropped} after spooling the stats report); next stats message seq ${report.seq}: spool ${JSON.stringify(stats[0]?.spool)}; ` +
        `received ${observations.length} observations (seq ${observations[0]?.seq}..${observations.at(-1)?.seq}) + ${stats.length} stats`,
    );

    expect(afterFill.bytes).toBeLessThanOrEqual(MAX_BYTES);
    expect(afterFill.dropped).toBeGreaterThan(0);
    expect(afterFill.depth + afterFill.dropped).toBe(COUNT);
    // The survivors are the newest, in order; then the stats message that counts the others.
    const kept = COUNT - afterReport.dropped;
    expect(observations.map((m) => m.seq)).toEqual([...Array(kept).keys()].map((i) => COUNT - kept + i));
    expect(stats).toHaveLength(1);
    expect(stats[0]).toMatchObject({ seq: COUNT, spool: { dropped: afterFill.dropped, depth: afterFill.depth }, frames: { in: COUNT, processed: COUNT } });
    expect(receiver.outOfOrder).toBe(0);

    await publisher.close();
    await receiver.close();
  });
});
