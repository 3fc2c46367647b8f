/**
 * VideoSource on live streams, for real: RTSP over UDP from `rtsp-server-perl` fed by ffmpeg,
 * recovery after the server is stopped and started again, an unreachable and a silent camera,
 * and an HTTP MJPEG stream.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer as createNetServer, type Socket } from 'node:net';
import sharp from 'sharp';
import { VideoSource, type SourceState } from '../../src/index';
import { fixture } from '../../../tests/support/fixtures';
import { freePort, publishRtsp, startMjpegServer, startRtspServer, waitUntil, type Running, type TestHttpServer } from '../support/streams';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function rtspCamera(ports: { sourcePort: number; clientPort: number }): Promise<{ server: Running; publisher: Running }> {
  const server = await startRtspServer(ports);
  const publisher = publishRtsp(fixture('video/highway_cctv.avi'), `rtsp://127.0.0.1:${ports.sourcePort}/cam`);
  return { server, publisher };
}

describe('RTSP (rtsp-server-perl, UDP transport)', () => {
  it('plays the stream over UDP, recovers after the server restarts, and counts the reconnect', async () => {
    const ports = { sourcePort: await freePort(), clientPort: await freePort() };
    let camera = await rtspCamera(ports);
    cleanups.push(() => camera.publisher.stop(), () => camera.server.stop());

    const states: SourceState[] = [];
    const source = new VideoSource({
      deviceId: 'pole-1',
      cameraId: 'rtsp',
      url: `rtsp://127.0.0.1:${ports.clientPort}/cam`,
      rtspTransport: 'udp',
      fps: 10,
      stallTimeoutMs: 3_000,
      backoff: { initialDelayMs: 300, maxDelayMs: 2_000 },
      onStateChange: (s) => states.push(s),
    });
    cleanups.push(() => source.close());
    expect(source.live).toBe(true);

    let frames = 0;
    const test = { phase: 'first' as 'first' | 'down' | 'again' };
    let framesAfterRestart = 0;
    const consumer = (async () => {
      for await (const frame of source) {
        frames += 1;
        expect(frame.width).toBe(320);
        expect(frame.height).toBe(240);
        expect(frame.pixels!.data.length).toBe(320 * 240 * 3);
        if (test.phase === 'again') framesAfterRestart += 1;
      }
    })();

    // 1. frames flow
    await waitUntil(() => frames >= 15, 30_000, '15 frames over RTSP/UDP');
    expect(source.stats.state).toBe('streaming');
    expect(source.stats.reconnects).toBe(0);

    // 2. the server goes away: the source notices and retries (never throws)
    await camera.publisher.stop();
    await camera.server.stop();
    test.phase = 'down';
    await waitUntil(() => source.stats.state === 'reconnecting' || source.stats.state === 'error', 15_000, 'the source to notice the drop');
    expect(source.stats.lastError).toBeTruthy();

    // 3. the server comes back (same ports): frames flow again, the reconnect is counted
    camera = await rtspCamera(ports);
    test.phase = 'again';
    await waitUntil(() => framesAfterRestart >= 10, 45_000, '10 frames after the server restarted');
    expect(source.stats.state).toBe('streaming');
    expect(source.stats.reconnects).toBe(1);
    expect(source.stats.restarts).toBeGreaterThanOrEqual(1);
    expect(states).toContain('reconnecting');
    expect(states.filter((s) => s === 'streaming').length).toBeGreaterThanOrEqual(2);

    await source.close();
    await consumer;
    expect(source.stats.state).toBe('closed');
  }, 120_000);

  it('an unreachable camera is an error state with the reason, not a crash', async () => {
    const port = await freePort(); // nothing listens here
    const source = new VideoSource({
      deviceId: 'd',
      cameraId: 'gone',
      url: `rtsp://127.0.0.1:${port}/cam`,
      backoff: { initialDelayMs: 100, maxDelayMs: 300 },
    });
    cleanups.push(() => source.close());
    let frames = 0;
    const consumer = (async () => {
      for await (const _ of source) frames += 1;
    })();
    await waitUntil(() => source.stats.state === 'error' && source.stats.restarts >= 2, 20_000, 'error state and retries');
    expect(source.stats.lastError).toMatch(/refused|could not open/i);
    await source.close();
    await consumer; // ends quietly
    expect(frames).toBe(0);
  }, 30_000);

  it('a camera that accepts the connection but never answers times out into the error state', async () => {
    const sockets: Socket[] = [];
    const silent = createNetServer((s) => sockets.push(s)); // accepts, says nothing
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const port = (silent.address() as { port: number }).port;
    const source = new VideoSource({
      deviceId: 'd',
      cameraId: 'silent',
      url: `rtsp://127.0.0.1:${port}/cam`,
      stallTimeoutMs: 1_500,
      backoff: { initialDelayMs: 100, maxDelayMs: 200, maxAttempts: 2 },
    });
    const t0 = Date.now();
    for await (const _ of source) void _; // ends after maxAttempts, without throwing
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(source.stats.state).toBe('error');
    expect(source.stats.lastError).toMatch(/no frame for 1500 ms/);
    expect(source.stats.frames).toBe(0);
  }, 30_000);
});

describe('HTTP MJPEG stream', () => {
  it('decodes a multipart/x-mixed-replace stream and keeps only the latest frames for a slow consumer', async () => {
    // 10 JPEG frames from the fixture video.
    const file = new VideoSource({ deviceId: 'd', cameraId: 'c', url: fixture('video/highway_cctv.avi'), fps: 5 });
    const jpegs: Buffer[] = [];
    for await (const f of file) {
      jpegs.push(await sharp(f.pixels!.data, { raw: { width: f.width, height: f.height, channels: 3 } }).jpeg().toBuffer());
      if (jpegs.length === 10) break;
    }
    const http: TestHttpServer = await startMjpegServer(jpegs, 25);
    cleanups.push(() => http.close());

    const source = new VideoSource({ deviceId: 'd', cameraId: 'mjpeg', url: http.url, queueSize: 1 });
    cleanups.push(() => source.close());
    let n = 0;
    for await (const frame of source) {
      expect([frame.width, frame.height]).toEqual([320, 240]);
      n += 1;
      if (n === 1) await new Promise((r) => setTimeout(r, 1_000)); // busy: ~25 frames arrive meanwhile
      if (n === 5) break;
    }
    expect(source.stats.dropped).toBeGreaterThan(10);
    expect(source.stats.decoded).toBeGreaterThan(source.stats.frames);
  }, 30_000);
});
