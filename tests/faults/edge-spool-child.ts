/**
 * The edge publisher in a process of its own, for tests/faults/edge-kill-offline.test.ts (which
 * SIGKILLs it). Run with `node --import tsx` (so the script is the process a signal reaches); one
 * JSON argument:
 *
 *   node --import tsx tests/faults/edge-spool-child.ts '{"mode":"produce","url":"mqtt://127.0.0.1:1","spoolFile":"/tmp/x/spool.sqlite","deviceId":"d","count":3000,"maxBytes":1048576}'
 *
 * - `produce`: spools `count` observation messages (the broker is expected to be down), prints
 *   `{"event":"spooled",...}` with the spool's counters, then idles until killed.
 * - `drain`: connects, spools one stats report (carrying the persisted drop counter), waits until
 *   the spool is empty, prints `{"event":"drained",...}`, closes cleanly and exits 0.
 */
import { HealthRecorder, MqttPublisher, StatsReporter } from '@sightline/edge';

interface ChildArgs {
  mode: 'produce' | 'drain';
  url: string;
  spoolFile: string;
  deviceId: string;
  count?: number;
  maxBytes?: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as ChildArgs;
const say = (value: object) => process.stdout.write(`${JSON.stringify(value)}\n`);

const publisher = new MqttPublisher({
  deviceId: args.deviceId,
  mqttUrl: args.url,
  spoolFile: args.spoolFile,
  spoolMaxBytes: args.maxBytes,
  reconnectPeriodMs: 300,
});

if (args.mode === 'produce') {
  const started = Date.now();
  for (let i = 0; i < (args.count ?? 0); i++) {
    await publisher.publishObservations({
      cameraId: 'cam-1',
      capturedAt: new Date().toISOString(),
      frame: { width: 1280, height: 720, source: `frame-${i}.jpg` },
      model: { id: 'yolox-nano' },
      observations: [{ id: '0192f0c8-0000-7000-8000-000000000001', label: 'pothole', classId: 0, score: 0.7, box: [100, 400, 180, 450] }],
    });
  }
  say({ event: 'spooled', ms: Date.now() - started, connected: publisher.connected, ...publisher.spoolStats });
  setInterval(() => {}, 60_000); // idle, offline, until SIGKILL
} else {
  const startedAt = new Date().toISOString();
  const before = publisher.spoolStats;
  await publisher.waitConnected(20_000);
  const started = Date.now();
  const stats = await new StatsReporter({ sink: publisher, recorder: new HealthRecorder(), startedAt }).report();
  await publisher.flush(60_000);
  say({ event: 'drained', ms: Date.now() - started, before, statsSeq: stats.seq, acknowledged: publisher.acknowledged, ...publisher.spoolStats });
  await publisher.close();
  process.exit(0);
}
