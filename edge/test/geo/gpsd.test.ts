import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { haversineMetres } from '@sightline/contracts';
import { fixFromTpv, GPSD_WATCH_COMMAND, GpsdFeed } from '../../src/geo';

/**
 * A tiny fake gpsd: greets with VERSION like gpsd does, waits for ?WATCH, answers DEVICES and
 * WATCH, then lets the test push reports.
 */
class FakeGpsd {
  readonly server: Server;
  readonly clients: Socket[] = [];
  readonly commands: string[] = [];
  #watchers: Array<(s: Socket) => void> = [];

  constructor() {
    this.server = createServer((socket) => {
      this.clients.push(socket);
      socket.setEncoding('utf8');
      socket.write('{"class":"VERSION","release":"3.25","rev":"3.25","proto_major":3,"proto_minor":15}\r\n');
      socket.on('data', (chunk: string) => {
        this.commands.push(chunk);
        if (chunk.startsWith('?WATCH=')) {
          socket.write('{"class":"DEVICES","devices":[{"class":"DEVICE","path":"/dev/ttyACM0","driver":"u-blox","activated":"2026-11-29T16:37:00.000Z"}]}\r\n');
          socket.write('{"class":"WATCH","enable":true,"json":true,"nmea":false,"raw":0,"scaled":false,"timing":false,"split24":false,"pps":false}\r\n');
          for (const w of this.#watchers.splice(0)) w(socket);
        }
      });
      socket.on('error', () => {});
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as { port: number }).port;
  }

  /** Resolves with the socket of the next client that sends ?WATCH. */
  nextWatcher(): Promise<Socket> {
    return new Promise((resolve) => this.#watchers.push(resolve));
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const tpv = (time: string, lat: number, lon: number, extra: Record<string, unknown> = {}) =>
  `${JSON.stringify({ class: 'TPV', device: '/dev/ttyACM0', mode: 3, time, ept: 0.005, lat, lon, altHAE: 60.1, eph: 3.2, epx: 2.1, epy: 2.9, track: 45.0, speed: 8.0, ...extra })}\r\n`;

let fake: FakeGpsd | undefined;
let feed: GpsdFeed | undefined;
afterEach(async () => {
  await feed?.close();
  await fake?.close();
  feed = undefined;
  fake = undefined;
});

describe('GpsdFeed against a fake gpsd', () => {
  it('sends ?WATCH and turns TPV reports into positions matched by time', async () => {
    fake = new FakeGpsd();
    const port = await fake.listen();
    const watcher = fake.nextWatcher();
    feed = new GpsdFeed({ host: '127.0.0.1', port });
    const socket = await watcher;
    expect(fake.commands[0]).toBe(GPSD_WATCH_COMMAND);

    // A SKY report and a no-fix TPV are not positions.
    socket.write('{"class":"SKY","device":"/dev/ttyACM0","hdop":0.9,"satellites":[]}\r\n');
    socket.write('{"class":"TPV","device":"/dev/ttyACM0","mode":1,"time":"2026-11-29T16:38:00.000Z"}\r\n');
    // One report split across two TCP chunks, then a second one.
    const first = tpv('2026-11-29T16:38:00.000Z', 48.8566, 2.3522);
    socket.write(first.slice(0, 25));
    await new Promise((r) => setTimeout(r, 20));
    const firstFix = feed.waitForFix(2000);
    socket.write(first.slice(25));
    expect((await firstFix).lat).toBe(48.8566);
    const second = new Promise((resolve) => feed!.onFix(resolve));
    socket.write(tpv('2026-11-29T16:38:01.000Z', 48.8567, 2.3524));
    await second;

    expect(feed.fixCount).toBe(2);
    expect(feed.latest()).toEqual({ timeMs: Date.parse('2026-11-29T16:38:01.000Z'), lat: 48.8567, lon: 2.3524, accuracyM: 3.2, headingDeg: 45, speedMps: 8 });
    const mid = feed.positionAt('2026-11-29T16:38:00.500Z')!;
    expect(mid.source).toBe('gps');
    expect(haversineMetres(mid, { lat: 48.85665, lon: 2.3523 })).toBeLessThan(0.05);
    expect(mid.headingDeg).toBeCloseTo(45, 6);
    expect(mid.accuracyM).toBe(3.2);
    // A frame 1 s after the last fix still gets it (tolerance 2 s); 10 s later does not.
    expect(feed.positionAt('2026-11-29T16:38:02.000Z')).toMatchObject({ lat: 48.8567, lon: 2.3524 });
    expect(feed.positionAt('2026-11-29T16:38:11.000Z')).toBeUndefined();
  });

  it('reconnects after gpsd drops the connection and keeps updating', async () => {
    fake = new FakeGpsd();
    const port = await fake.listen();
    let watcher = fake.nextWatcher();
    feed = new GpsdFeed({ host: '127.0.0.1', port, reconnectMs: 50 });
    let socket = await watcher;
    const one = feed.waitForFix(2000);
    socket.write(tpv('2026-11-29T16:40:00.000Z', 52.52, 13.405));
    await one;
    watcher = fake.nextWatcher();
    socket.destroy();
    socket = await watcher; // the feed came back and sent ?WATCH again
    const next = new Promise((resolve) => feed!.onFix(resolve));
    socket.write(tpv('2026-11-29T16:40:05.000Z', 52.5201, 13.4051));
    await next;
    expect(feed.fixCount).toBe(2);
    expect(feed.positionAt('2026-11-29T16:40:05.000Z')).toMatchObject({ lat: 52.5201, lon: 13.4051 });
    expect(fake.commands.filter((c) => c === GPSD_WATCH_COMMAND)).toHaveLength(2);
  });

  it('keeps retrying while gpsd is down and reports the errors', async () => {
    fake = new FakeGpsd();
    const port = await fake.listen();
    await fake.close();
    fake = undefined;
    const errors: string[] = [];
    feed = new GpsdFeed({ host: '127.0.0.1', port, reconnectMs: 20, onError: (e) => errors.push(e.message) });
    await expect(feed.waitForFix(300)).rejects.toThrow(new RegExp(`gpsd 127\\.0\\.0\\.1:${port}: no fix within 300 ms`));
    expect(errors.length).toBeGreaterThan(2);
    expect(errors[0]).toMatch(/ECONNREFUSED/);
  });
});

describe('fixFromTpv', () => {
  it('uses epx/epy when eph is absent and the receipt time when time is absent', () => {
    expect(fixFromTpv({ class: 'TPV', mode: 2, lat: 1, lon: 2, epx: 4, epy: 6 }, 1234)).toEqual({ timeMs: 1234, lat: 1, lon: 2, accuracyM: 6 });
    expect(fixFromTpv({ class: 'TPV', mode: 3, lat: 'x', lon: 2 }, 0)).toBeUndefined();
    expect(fixFromTpv({ class: 'TPV', mode: 0 }, 0)).toBeUndefined();
    expect(fixFromTpv({ class: 'SKY' }, 0)).toBeUndefined();
  });
});
