/**
 * Live GPS fixes from a gpsd daemon over TCP (gpsd JSON protocol, gpsd_json(5); default port 2947).
 *
 * On connect the client sends `?WATCH={"enable":true,"json":true}` and gpsd streams one JSON object
 * per line. `TPV` (time-position-velocity) reports with `mode` 2 (2D) or 3 (3D) and numeric
 * `lat`/`lon` become fixes: `time` (ISO 8601 UTC; the receipt time when absent), `track` (course,
 * degrees true), `speed` (m/s), and the horizontal error `eph` (metres; else the larger of
 * `epx`/`epy`) as accuracy. Other classes (VERSION, DEVICES, WATCH, SKY, ...) are ignored.
 *
 * The feed keeps the last `keepMs` of fixes in a {@link GpsTrack}, so a frame is matched to the
 * receiver's position at its capture time, not to whatever fix came last. A lost connection is
 * retried every `reconnectMs` until {@link GpsdFeed.close}.
 */
import { createConnection, type Socket } from 'node:net';
import type { Position } from '@sightline/contracts';
import { GpsTrack, type GpsFix, type GpsTrackOptions } from './track';

/** Options of {@link GpsdFeed}. */
export interface GpsdFeedOptions extends GpsTrackOptions {
  /** gpsd host, e.g. `127.0.0.1`. */
  host: string;
  /** gpsd TCP port (gpsd's default is 2947). */
  port: number;
  /** Delay before reconnecting after the connection is lost or refused, ms. Default 2000. */
  reconnectMs?: number;
  /** How much history to keep for matching frames by time, ms. Default 600 000 (10 min). */
  keepMs?: number;
  /** Called on connection errors (refused, reset); the feed keeps retrying. */
  onError?: (error: Error) => void;
}

/** The WATCH command that turns on JSON reports (gpsd_json(5), "?WATCH"). */
export const GPSD_WATCH_COMMAND = '?WATCH={"enable":true,"json":true}\n';

/**
 * A live gpsd connection and the track of its recent fixes.
 *
 * @example
 * const gps = new GpsdFeed({ host: '127.0.0.1', port: 2947 });
 * await gps.waitForFix(10_000);
 * gps.positionAt(frame.capturedAt); // { lat, lon, headingDeg, accuracyM, source: 'gps' } | undefined
 * await gps.close();
 */
export class GpsdFeed {
  readonly #options: GpsdFeedOptions;
  readonly #track: GpsTrack;
  readonly #listeners = new Set<(fix: GpsFix) => void>();
  #socket: Socket | undefined;
  #buffer = '';
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  #fixes = 0;

  /** Connects at once; see the class docs for the protocol. */
  constructor(options: GpsdFeedOptions) {
    this.#options = options;
    this.#track = new GpsTrack([], options);
    this.#connect();
  }

  /** Fixes received since the feed started. */
  get fixCount(): number {
    return this.#fixes;
  }

  /** The most recent fix, if any. */
  latest(): GpsFix | undefined {
    return this.#track.fixes().at(-1);
  }

  /** Camera position at `time` from the recent fixes (see {@link GpsTrack.positionAt}). */
  positionAt(time: string | Date | number): Position | undefined {
    return this.#track.positionAt(time);
  }

  /** Calls `listener` on every new fix; returns a function that removes it. */
  onFix(listener: (fix: GpsFix) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Resolves with the next fix (or the latest one, if there is one already).
   * @throws Error naming host and port after `timeoutMs` without a fix.
   */
  async waitForFix(timeoutMs = 10_000): Promise<GpsFix> {
    const latest = this.latest();
    if (latest) return latest;
    return new Promise<GpsFix>((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`gpsd ${this.#options.host}:${this.#options.port}: no fix within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.onFix((fix) => {
        clearTimeout(timer);
        off();
        resolve(fix);
      });
    });
  }

  /** Disconnects and stops reconnecting. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket && !socket.destroyed) {
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.end();
        setTimeout(() => socket.destroy(), 500).unref();
      });
    }
  }

  #connect(): void {
    if (this.#closed) return;
    const socket = createConnection({ host: this.#options.host, port: this.#options.port });
    this.#socket = socket;
    this.#buffer = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(GPSD_WATCH_COMMAND));
    socket.on('data', (chunk: string) => this.#onData(chunk));
    socket.on('error', (err) => this.#options.onError?.(new Error(`gpsd ${this.#options.host}:${this.#options.port}: ${err.message}`)));
    socket.on('close', () => {
      if (this.#socket === socket) this.#socket = undefined;
      if (!this.#closed) this.#timer = setTimeout(() => this.#connect(), this.#options.reconnectMs ?? 2000);
    });
  }

  #onData(chunk: string): void {
    this.#buffer += chunk;
    // A line longer than this is not gpsd talking; drop it rather than grow without bound.
    if (this.#buffer.length > 1_000_000) this.#buffer = '';
    let newline: number;
    while ((newline = this.#buffer.indexOf('\n')) >= 0) {
      const line = this.#buffer.slice(0, newline).trim();
      this.#buffer = this.#buffer.slice(newline + 1);
      if (line) this.#onLine(line);
    }
  }

  #onLine(line: string): void {
    let report: unknown;
    try {
      report = JSON.parse(line);
    } catch {
      return;
    }
    const fix = fixFromTpv(report, Date.now());
    if (!fix) return;
    this.#track.add(fix, fix.timeMs - (this.#options.keepMs ?? 600_000));
    this.#fixes += 1;
    for (const listener of [...this.#listeners]) listener(fix);
  }
}

/**
 * A fix from one gpsd report, or `undefined` when it is not a TPV with a 2D/3D fix and a position.
 * @param receivedMs used as the fix time when the TPV has no `time`.
 */
export function fixFromTpv(report: unknown, receivedMs: number): GpsFix | undefined {
  if (typeof report !== 'object' || report === null) return undefined;
  const r = report as Record<string, unknown>;
  if (r.class !== 'TPV' || typeof r.mode !== 'number' || r.mode < 2) return undefined;
  const { lat, lon } = r;
  if (typeof lat !== 'number' || typeof lon !== 'number' || Math.abs(lat) > 90 || Math.abs(lon) > 180) return undefined;
  const parsed = typeof r.time === 'string' ? Date.parse(r.time) : Number.NaN;
  const accuracy = finite(r.eph) ?? maxOf(finite(r.epx), finite(r.epy));
  const track = finite(r.track);
  const speed = finite(r.speed);
  return {
    timeMs: Number.isFinite(parsed) ? parsed : receivedMs,
    lat,
    lon,
    ...(accuracy !== undefined ? { accuracyM: accuracy } : {}),
    ...(track !== undefined && track >= 0 && track <= 360 ? { headingDeg: track % 360 } : {}),
    ...(speed !== undefined && speed >= 0 ? { speedMps: speed } : {}),
  };
}

function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function maxOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}
