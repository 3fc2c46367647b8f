/**
 * Snapshot source: a camera's "current picture" URL (`http://cam/snapshot.jpg`, `…/cgi-bin/snapshot.cgi`)
 * fetched every `intervalSeconds` — for cameras that offer no stream, or when one still a minute is
 * all an application needs. Each answer becomes a {@link Frame} with the encoded bytes in `image`.
 *
 * ```
 *   t0        t0+I       t0+2I      …   GET url (timeout) ─▶ 200 + image bytes ─▶ Frame
 *   │──fetch──│──fetch──│──fetch──│        │ error / non-2xx / not an image / timeout
 *                                          ▼
 *                                   state 'error', lastError, failures += 1; next tick as usual
 * ```
 *
 * Ticks are aligned to the start (`t0 + k·I`); a fetch slower than the interval skips the ticks it
 * overran (counted in `stats.dropped`) instead of bursting. A camera that does not answer is never
 * a crash: the source reports state `'error'` with the reason and keeps polling. `capturedAt` is
 * the time the answer arrived (camera clocks are not trusted).
 *
 * @example
 * const source = new SnapshotSource({ deviceId: 'pole-17', cameraId: 'gate', url: 'http://10.0.0.7/snap.jpg', intervalSeconds: 10 });
 * for await (const frame of source) console.log(frame.capturedAt, frame.width, frame.height);
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Position } from '@sightline/contracts';
import { displayedSize, type EncodedFrame } from './directory';
import { redactUrl } from './ffmpeg-process';
import type { SourceState } from './video';

/** Options of {@link SnapshotSource}. */
export interface SnapshotSourceOptions {
  deviceId: string;
  cameraId: string;
  /** `http://` or `https://` URL answering with one JPEG/PNG/WebP image. Basic-auth credentials in the URL are sent as a header. */
  url: string;
  /** Seconds between fetches (> 0). */
  intervalSeconds: number;
  /** Per-request timeout, ms; default the interval, within 2 000 … 10 000. */
  timeoutMs?: number;
  /** Extra request headers (e.g. `Authorization`). */
  headers?: Record<string, string>;
  /** Largest accepted answer in bytes; default 20 MiB. */
  maxBytes?: number;
  /** Fixed camera position attached to every frame. */
  position?: Position;
  signal?: AbortSignal;
  /** Called on every state change. */
  onStateChange?: (state: SourceState, stats: SnapshotStats) => void;
}

/** Counters and state of a snapshot source. */
export interface SnapshotStats {
  /** `'connecting'` before the first answer, `'streaming'` while answers are good, `'error'` after a failed fetch, `'closed'`. */
  state: SourceState;
  /** Snapshots delivered. */
  frames: number;
  /** Fetches that failed (network, timeout, HTTP status, not an image). */
  failures: number;
  /** Ticks skipped because a fetch (or the consumer) took longer than the interval. */
  dropped: number;
  lastError?: string;
  lastErrorAt?: string;
  lastFrameAt?: string;
}

/** Polls a snapshot URL; see the module documentation. */
export class SnapshotSource implements AsyncIterable<EncodedFrame> {
  readonly options: SnapshotSourceOptions;
  private readonly state: SnapshotStats = { state: 'connecting', frames: 0, failures: 0, dropped: 0 };
  private readonly abort = new AbortController();
  private readonly url: URL;
  private readonly headers: Record<string, string>;

  constructor(options: SnapshotSourceOptions) {
    if (!(options.intervalSeconds > 0)) throw new RangeError(`snapshot source ${options.cameraId}: intervalSeconds ${options.intervalSeconds} must be > 0`);
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new TypeError(`snapshot source ${options.cameraId}: "${redactUrl(options.url)}" is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`snapshot source ${options.cameraId}: ${redactUrl(options.url)} must be an http:// or https:// URL`);
    }
    this.headers = { ...options.headers };
    if (url.username || url.password) {
      // fetch() refuses URLs with credentials; send them as Basic auth.
      const user = decodeURIComponent(url.username);
      const pass = decodeURIComponent(url.password);
      this.headers.authorization ??= `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
      url.username = '';
      url.password = '';
    }
    this.url = url;
    this.options = options;
    if (options.signal) {
      if (options.signal.aborted) this.abort.abort();
      else options.signal.addEventListener('abort', () => this.close(), { once: true });
    }
  }

  /** A snapshot of the counters and state. */
  get stats(): SnapshotStats {
    return { ...this.state };
  }

  /** Stops polling; the iteration ends. */
  close(): void {
    this.setState('closed');
    this.abort.abort();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<EncodedFrame, void, undefined> {
    const intervalMs = this.options.intervalSeconds * 1000;
    const started = Date.now();
    let tick = 0;
    let index = 0;
    while (!this.abort.signal.aborted) {
      const frame = await this.fetchOnce(index);
      if (frame) {
        index += 1;
        this.state.frames += 1;
        this.state.lastFrameAt = frame.capturedAt;
        yield frame;
      }
      if (this.abort.signal.aborted) return;
      // Next tick strictly in the future; ticks already passed are skipped.
      const elapsedTicks = Math.floor((Date.now() - started) / intervalMs);
      const next = Math.max(tick + 1, elapsedTicks + 1);
      this.state.dropped += next - tick - 1;
      tick = next;
      const wait = started + tick * intervalMs - Date.now();
      if (wait > 0) await sleep(wait, undefined, { signal: this.abort.signal }).catch(() => {});
    }
  }

  private setState(state: SourceState): void {
    if (this.state.state === state || this.state.state === 'closed') return;
    this.state.state = state;
    this.options.onStateChange?.(state, this.stats);
  }

  private async fetchOnce(index: number): Promise<EncodedFrame | undefined> {
    const timeoutMs = this.options.timeoutMs ?? Math.min(10_000, Math.max(2_000, this.options.intervalSeconds * 1000));
    const maxBytes = this.options.maxBytes ?? 20 * 1024 * 1024;
    const where = redactUrl(this.options.url);
    try {
      const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(timeoutMs)]);
      const res = await fetch(this.url, { headers: this.headers, signal, redirect: 'follow' });
      if (!res.ok) {
        await res.body?.cancel().catch(() => {});
        throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
      }
      const declared = Number(res.headers.get('content-length'));
      if (declared > maxBytes) {
        await res.body?.cancel().catch(() => {});
        throw new Error(`answer of ${declared} bytes is over the limit of ${maxBytes}`);
      }
      const image = Buffer.from(await res.arrayBuffer());
      if (image.length > maxBytes) throw new Error(`answer of ${image.length} bytes is over the limit of ${maxBytes}`);
      if (image.length === 0) throw new Error('empty answer (0 bytes)');
      let size: { width: number; height: number };
      try {
        size = await displayedSize(image);
      } catch {
        throw new Error(`answer is not an image (content-type ${res.headers.get('content-type') ?? 'none'}, ${image.length} bytes)`);
      }
      this.setState('streaming');
      return {
        deviceId: this.options.deviceId,
        cameraId: this.options.cameraId,
        capturedAt: new Date().toISOString(),
        image,
        ...size,
        source: where,
        index,
        ...(this.options.position ? { position: this.options.position } : {}),
      };
    } catch (err) {
      if (this.abort.signal.aborted) return undefined;
      const e = err as Error;
      const reason = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : e.cause instanceof Error ? `${e.message} (${e.cause.message})` : e.message;
      this.state.failures += 1;
      this.state.lastError = `snapshot ${where}: ${reason}`;
      this.state.lastErrorAt = new Date().toISOString();
      this.setState('error');
      return undefined;
    }
  }
}
