/**
 * SnapshotSource against a local HTTP server serving a fixture JPEG: frames with the bytes and
 * size, failures as an error state (no crash) and recovery, basic auth from the URL.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { SnapshotSource } from '../../src/index';
import { fixture } from '../../../tests/support/fixtures';
import { startSnapshotServer, waitUntil, type TestHttpServer } from '../support/streams';

let server: TestHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('SnapshotSource', () => {
  it('fetches the picture every interval, as encoded frames with size and arrival time', async () => {
    const jpeg = await readFile(fixture('demo/bus.jpg'));
    const auth: Array<string | undefined> = [];
    server = await startSnapshotServer((req, res) => {
      auth.push(req.headers.authorization);
      res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg);
    });
    const url = server.url.replace('http://', 'http://admin:s3cret@');
    const source = new SnapshotSource({ deviceId: 'pole-1', cameraId: 'gate', url, intervalSeconds: 0.2, timeoutMs: 5_000 });
    const t0 = Date.now();
    const frames = [];
    for await (const frame of source) {
      frames.push(frame);
      if (frames.length === 3) break;
    }
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(350); // 3 frames at 0 s, 0.2 s, 0.4 s
    expect(frames[0]).toMatchObject({ deviceId: 'pole-1', cameraId: 'gate', width: 810, height: 1080, index: 0 });
    expect(frames[0]!.source).toBe(url.replace('s3cret', '***'));
    expect(frames[0]!.image.equals(jpeg)).toBe(true);
    expect(Date.parse(frames[2]!.capturedAt)).toBeGreaterThan(Date.parse(frames[0]!.capturedAt));
    expect(auth[0]).toBe(`Basic ${Buffer.from('admin:s3cret').toString('base64')}`);
    expect(source.stats).toMatchObject({ state: 'streaming', frames: 3, failures: 0 });
    source.close();
  });

  it('reports failures as an error state and goes on when the camera recovers', async () => {
    const jpeg = await readFile(fixture('demo/bus.jpg'));
    let mode: 'down' | 'garbage' | 'hang' | 'up' = 'down';
    server = await startSnapshotServer((_req, res) => {
      if (mode === 'down') res.writeHead(503).end('busy');
      else if (mode === 'garbage') res.writeHead(200, { 'content-type': 'image/jpeg' }).end('not a jpeg at all');
      else if (mode === 'hang') return; // never answers
      else res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg);
    });
    const source = new SnapshotSource({ deviceId: 'd', cameraId: 'c', url: server.url, intervalSeconds: 0.1, timeoutMs: 300 });
    const frames: number[] = [];
    const consumer = (async () => {
      for await (const f of source) frames.push(f.index!);
    })();
    await waitUntil(() => source.stats.failures >= 1, 5_000, 'a failure');
    expect(source.stats.state).toBe('error');
    expect(source.stats.lastError).toMatch(/HTTP 503/);
    mode = 'garbage';
    await waitUntil(() => /not an image/.test(source.stats.lastError ?? ''), 5_000, 'the not-an-image error');
    mode = 'hang';
    await waitUntil(() => /no answer within 300 ms/.test(source.stats.lastError ?? ''), 5_000, 'the timeout');
    mode = 'up';
    await waitUntil(() => frames.length >= 2, 5_000, 'frames after recovery');
    expect(source.stats.state).toBe('streaming');
    expect(frames.slice(0, 2)).toEqual([0, 1]);
    source.close();
    await consumer;
    expect(source.stats.state).toBe('closed');
  });

  it('rejects a URL that is not http(s)', () => {
    expect(() => new SnapshotSource({ deviceId: 'd', cameraId: 'c', url: 'rtsp://cam/stream', intervalSeconds: 1 })).toThrow(/must be an http:\/\/ or https:\/\/ URL/);
  });
});
