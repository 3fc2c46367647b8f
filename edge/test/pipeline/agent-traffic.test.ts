/**
 * The edge agent with a video camera and a snapshot camera, on the real Mosquitto
 * (SIGHTLINE_TEST_MQTT_URL): TrafficCount messages per line per clock-aligned interval on
 * `sightline/v1/{deviceId}/traffic`, whose totals match our hand count of the fixture video; and a
 * camera that does not answer is an error state, not a crash.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { validateTrafficCountMessage, type TrafficCountMessage } from '@sightline/contracts';
import { runAgent } from '../../src/agent';
import { parseAgentConfig } from '../../src/config';
import { fixture } from '../../../tests/support/fixtures';
import { freePort, startSnapshotServer, type TestHttpServer } from '../support/streams';

const BROKER = process.env.SIGHTLINE_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const truth = JSON.parse(await readFile(new URL('../../../tests/fixtures/highway_cctv.counts.json', import.meta.url), 'utf8')) as {
  line: { start: [number, number]; end: [number, number] };
  counts: { in: number; out: number };
};

let snapshotServer: TestHttpServer | undefined;
afterAll(async () => {
  await snapshotServer?.close();
});

async function subscribe(deviceId: string, kind: 'traffic' | 'observations') {
  const received: unknown[] = [];
  const client = await mqtt.connectAsync(BROKER, { clientId: `${deviceId}-${kind}-sub` });
  client.on('message', (_topic, payload) => received.push(JSON.parse(payload.toString('utf8'))));
  await client.subscribeAsync(`sightline/v1/${deviceId}/${kind}`, { qos: 1 });
  return { received, close: () => client.endAsync() };
}

async function until(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

describe('edge agent with video cameras', () => {
  it('publishes a TrafficCount per line per interval, zeros included, totalling the hand count ±10%', async () => {
    const deviceId = `traffic-${randomBytes(4).toString('hex')}`;
    const dir = await mkdtemp(join(tmpdir(), 'sightline-traffic-'));
    const config = parseAgentConfig(
      {
        deviceId,
        mqtt: { url: BROKER },
        stateDir: 'state',
        cameras: [
          {
            id: 'highway',
            source: { type: 'video', url: fixture('video/highway_cctv.avi') },
            lines: [
              { id: 'y80', start: truth.line.start, end: truth.line.end },
              { id: 'far-corner', start: [300, 230], end: [319, 239] }, // nothing crosses it: zero counts
            ],
            classes: ['car', 'truck', 'bus', 'motorcycle'],
            intervalSeconds: 10,
          },
        ],
      },
      dir,
    );
    const sub = await subscribe(deviceId, 'traffic');
    const stats = await runAgent(config, { logger: pino({ level: 'silent' }) });
    expect(stats.frames).toBe(748);
    // Frames are stamped from the agent's start: 30 s of video spans 3 or 4 ten-second intervals, per line.
    await until(() => sub.received.length >= stats.trafficMessages, 10_000);
    await sub.close();
    expect(stats.trafficMessages).toBeGreaterThanOrEqual(6);
    expect(sub.received).toHaveLength(stats.trafficMessages);
    const messages = sub.received.map((m) => {
      const check = validateTrafficCountMessage(m);
      if (!check.ok) throw new Error(`invalid TrafficCount: ${check.reason}`);
      return check.value as TrafficCountMessage;
    });
    for (const m of messages) {
      expect(m).toMatchObject({ schema: 'sightline/v1/traffic', deviceId, cameraId: 'highway', intervalSeconds: 10 });
      expect(Date.parse(m.intervalStart) % 10_000).toBe(0);
    }
    const byLine = (id: string) => messages.filter((m) => m.lineId === id);
    expect(byLine('y80').length).toBe(byLine('far-corner').length);
    expect(byLine('far-corner').every((m) => m.counts.length === 0)).toBe(true);
    const total = (direction: 'in' | 'out') =>
      byLine('y80').reduce((n, m) => n + m.counts.filter((c) => c.direction === direction).reduce((a, c) => a + c.count, 0), 0);
    const got = { in: total('in'), out: total('out') };
    console.log(`[agent traffic] ${messages.length} TrafficCount messages; line y80 in ${got.in} (hand ${truth.counts.in}), out ${got.out} (hand ${truth.counts.out})`);
    expect(Math.abs(got.in - truth.counts.in) / truth.counts.in).toBeLessThanOrEqual(0.1);
    expect(Math.abs(got.out - truth.counts.out) / truth.counts.out).toBeLessThanOrEqual(0.1);
    // seq increases message by message (one spool, one counter)
    const seqs = messages.map((m) => m.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  }, 300_000);

  it('keeps running with a camera that never answers (error state) next to a snapshot camera that works', async () => {
    const deviceId = `cams-${randomBytes(4).toString('hex')}`;
    const dir = await mkdtemp(join(tmpdir(), 'sightline-cams-'));
    const jpeg = await readFile(fixture('demo/bus.jpg'));
    snapshotServer = await startSnapshotServer((_req, res) => void res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg));
    const deadPort = await freePort();
    const config = parseAgentConfig(
      {
        deviceId,
        mqtt: { url: BROKER },
        stateDir: 'state',
        cameras: [
          { id: 'gate', source: { type: 'snapshot', url: snapshotServer.url, intervalSeconds: 0.5 } },
          { id: 'dead', source: { type: 'video', url: `rtsp://127.0.0.1:${deadPort}/stream` }, lines: [{ id: 'l', start: [0, 10], end: [10, 10] }] },
        ],
      },
      dir,
    );
    const sub = await subscribe(deviceId, 'observations');
    const controller = new AbortController();
    const run = runAgent(config, { logger: pino({ level: 'silent' }), signal: controller.signal });
    await until(() => sub.received.length >= 3, 60_000);
    controller.abort();
    const stats = await run;
    await sub.close();
    expect(sub.received.length).toBeGreaterThanOrEqual(3);
    expect(stats.sources.gate).toMatchObject({ state: 'closed', failures: 0 });
    expect(stats.sources.gate!.frames).toBeGreaterThanOrEqual(3);
    const dead = stats.sources.dead as { state: string; lastError?: string; frames: number };
    expect(['error', 'closed']).toContain(dead.state);
    expect(dead.lastError).toMatch(/refused|could not open/i);
    expect(dead.frames).toBe(0);
  }, 120_000);
});
