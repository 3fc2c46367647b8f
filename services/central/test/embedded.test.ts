/**
 * Embedded mode: PGlite on disk + the in-process aedes broker, no servers needed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCentral, type Central } from '../src/index';
import { keyHeaders, observationMessage, publisher, trafficMessage, unique, until } from './helpers';

interface Page {
  items: Array<{ id: string; deviceId: string; label: string; capturedAt: string; box: number[]; position?: { lat: number } }>;
  nextCursor: string | null;
}

async function list(central: Central, query: string): Promise<Page> {
  const response = await fetch(`${central.apiUrl}/v1/observations?${query}`, { headers: await keyFor(central) });
  expect(response.status).toBe(200);
  return (await response.json()) as Page;
}

/** A read key per central instance (created in its database on first use). */
const keys = new WeakMap<Central, Promise<Record<string, string>>>();
function keyFor(central: Central): Promise<Record<string, string>> {
  let key = keys.get(central);
  if (!key) keys.set(central, (key = keyHeaders(central.db)));
  return key;
}

describe('embedded mode (PGlite + aedes)', () => {
  let dataDir: string;
  const device = unique('emb');

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sightline-pglite-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('stores published messages, serves them, and keeps them across a restart', async () => {
    let central: Central = await startCentral({ dataDir, mqttPort: 0, httpPort: 0, logger: false });
    const messages = Array.from({ length: 5 }, (_, i) => observationMessage(device, i + 1, { labels: ['bus', 'person'] }));
    try {
      expect(central.mqttUrl).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
      const pub = await publisher(central.mqttUrl); // aedes speaks MQTT 3.1.1
      for (const m of messages) await pub.send(device, m);
      await pub.send(device, 'not json');
      await pub.close();

      const page = await until(() => list(central, `device=${device}&limit=100`), (p) => p.items.length >= 10);
      expect(page.items).toHaveLength(10);
      expect(page.items[0]!.capturedAt).toBe(messages[4]!.capturedAt); // newest first
      expect(page.items[0]!.position?.lat).toBe(52.37);
      await central.ingest.idle();
      expect(central.ingest.stats()).toMatchObject({ received: 6, stored: 5, deadLettered: 1, pending: 0 });
      const health = await fetch(`${central.apiUrl}/healthz`);
      expect(health.status).toBe(200);

      // Traffic counts and device state work on PGlite too (date_bin, jsonb, the seq-gap upserts).
      const traffic = await publisher(central.mqttUrl);
      const counts = trafficMessage(device, 7, { intervalStart: '2025-05-01T08:01:00.000Z', counts: [['bus', 'in', 2]] });
      await traffic.sendTo(device, 'traffic', counts);
      await traffic.sendTo(device, 'traffic', counts); // re-delivered: counts once
      await traffic.sendTo(device, 'status', 'online', { retain: true });
      await traffic.close();
      const series = await until(
        async () => (await (await fetch(`${central.apiUrl}/v1/traffic/counts?device=${device}&from=2025-05-01T08:00:00Z&to=2025-05-01T09:00:00Z&bucket=1h`, { headers: await keyFor(central) })).json()) as { series: Array<{ key: unknown; total: number }> },
        (body) => body.series.length > 0,
      );
      await central.ingest.idle();
      expect(series.series).toEqual([expect.objectContaining({ key: { class: 'bus', direction: 'in' }, total: 2 })]);
      const state = await until(
        async () => (await (await fetch(`${central.apiUrl}/v1/devices/${device}`, { headers: await keyFor(central) })).json()) as { state: string | null; seq: unknown },
        (body) => body.state === 'online',
      );
      expect(state.seq).toEqual({ last: 7, missing: 1, gaps: 1 }); // observations 1..5, traffic 7: 6 missing
    } finally {
      await central.close();
    }

    central = await startCentral({ dataDir, mqttPort: 0, httpPort: 0, logger: false });
    try {
      const page = await list(central, `device=${device}&label=bus`);
      expect(page.items.map((i) => i.id).sort()).toEqual(messages.map((m) => m.observations[0]!.id).sort());
      const letters = await central.db.selectFrom('dead_letters').select(['reason', 'device_id']).execute();
      expect(letters).toEqual([{ reason: expect.stringMatching(/^invalid JSON/), device_id: device }]);
    } finally {
      await central.close();
    }
  });

  it('refuses a data directory another process holds, and takes over a stale lock', async () => {
    const { writeFile } = await import('node:fs/promises');
    const { lockDataDir } = await import('../src/db/data-dir-lock');
    const dir = join(dataDir, 'locked');
    await writeFile(`${dir}.lock`, '1\n'); // pid 1 always runs
    await expect(startCentral({ dataDir: dir, mqttPort: 0, httpPort: 0, logger: false })).rejects.toThrow(
      `data directory ${dir} is in use by process 1; stop it or choose another data directory (SIGHTLINE_DATA_DIR)`,
    );
    await writeFile(`${dir}.lock`, '999999999\n'); // no such process
    const lock = await lockDataDir(dir);
    await expect(lockDataDir(dir)).rejects.toThrow(`in use by process ${process.pid}`);
    await lock.release();
  });

  it('runs in memory with memory://', async () => {
    const central = await startCentral({ dataDir: 'memory://', mqttPort: 0, httpPort: 0, logger: false });
    try {
      const pub = await publisher(central.mqttUrl);
      await pub.send(device, observationMessage(device, 1));
      await pub.close();
      const page = await until(() => list(central, ''), (p) => p.items.length >= 2);
      expect(page.items).toHaveLength(2);
    } finally {
      await central.close();
    }
  });

  it('names the port when the embedded broker cannot listen', async () => {
    const first = await startCentral({ dataDir: 'memory://', mqttPort: 0, httpPort: 0, logger: false });
    try {
      const port = Number(new URL(first.mqttUrl).port);
      await expect(startCentral({ dataDir: 'memory://', mqttPort: port, httpPort: 0, logger: false })).rejects.toThrow(
        new RegExp(`cannot start the embedded MQTT broker on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`),
      );
    } finally {
      await first.close();
    }
  });
});
