import { describe, expect, it } from 'vitest';
import { validateStatsMessage, type StatsMessage } from '@sightline/contracts';
import type { StatsDraft } from '../../src/publish/mqtt-publisher';
import { HealthRecorder, RollingPercentiles, StatsReporter, type StatsSink } from '../../src/stats/index';

describe('RollingPercentiles', () => {
  it('uses nearest rank and is 0 when empty', () => {
    const window = new RollingPercentiles(10);
    expect(window.percentile(50)).toBe(0);
    for (const v of [4, 1, 3, 2]) window.add(v);
    expect(window.percentile(50)).toBe(2);
    expect(window.percentile(95)).toBe(4);
    expect(window.percentile(100)).toBe(4);
  });

  it('forgets the oldest samples beyond its capacity', () => {
    const window = new RollingPercentiles(3);
    for (const v of [1000, 1000, 1, 2, 3]) window.add(v);
    expect(window.count).toBe(3);
    expect(window.percentile(95)).toBe(3);
  });
});

describe('HealthRecorder', () => {
  it('counts frames and measures fps per period', () => {
    const recorder = new HealthRecorder({ nowMs: 0 });
    for (let i = 0; i < 10; i++) {
      recorder.frameIn();
      if (i % 5 === 4) recorder.frameDropped();
      else recorder.frameProcessed(40 + i);
    }
    expect(recorder.snapshot(4_000)).toEqual({
      frames: { in: 10, processed: 8, dropped: 2 },
      fps: 2,
      inferenceMs: { p50: 43, p95: 48 },
    });
    recorder.frameIn();
    recorder.frameProcessed(50);
    expect(recorder.snapshot(6_000).fps).toBe(0.5); // 1 frame in the 2 s since the last snapshot
  });
});

describe('StatsReporter', () => {
  it('builds a schema-valid StatsMessage from the recorder and the spool counters', async () => {
    const sent: StatsMessage[] = [];
    const sink: StatsSink = {
      spoolStats: { depth: 7, bytes: 4096, dropped: 3, nextSeq: 40 },
      reconnects: 2,
      async publishStats(draft: StatsDraft) {
        const message: StatsMessage = { schema: 'sightline/v1/stats', id: '0192f0c8-0000-7000-8000-000000000000', seq: 40, deviceId: 'dev-1', ...draft };
        sent.push(message);
        return message;
      },
    };
    const recorder = new HealthRecorder({ nowMs: Date.parse('2026-01-01T00:00:00Z') });
    recorder.frameIn();
    recorder.frameProcessed(12.345);
    const reporter = new StatsReporter({ sink, recorder, startedAt: '2026-01-01T00:00:00.000Z', intervalSeconds: 30 });
    const message = await reporter.report(Date.parse('2026-01-01T00:00:10Z'));
    expect(validateStatsMessage(message)).toEqual({ ok: true, value: message });
    expect(message).toMatchObject({
      sentAt: '2026-01-01T00:00:10.000Z',
      frames: { in: 1, processed: 1, dropped: 0 },
      fps: 0.1,
      inferenceMs: { p50: 12.3, p95: 12.3 },
      spool: { depth: 7, bytes: 4096, dropped: 3 },
      reconnects: 2,
    });
    await reporter.stop(); // a last report on stop
    expect(sent).toHaveLength(2);
  });
});
