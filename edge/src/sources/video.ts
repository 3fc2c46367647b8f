/**
 * Video frame source: a video file (any container/codec ffmpeg reads), an RTSP camera, or an
 * HTTP(S) stream (MJPEG `multipart/x-mixed-replace`, MPEG-TS/H.264, HLS …), decoded by ffmpeg to
 * raw RGB at the detection rate and delivered as {@link Frame}s with `pixels` (no JPEG round trip).
 *
 * ```
 *             ┌──── ffmpeg (own process) ────┐         BoundedQueue          consumer
 *  url ──────▶│ demux ─▶ decode ─▶ fps=N ─▶ rgb24 │──pipe──▶ [ queueSize ] ──▶ for await (frame …)
 *             └──────────────────────────────┘   file: 'block'  (backpressure, pauses ffmpeg)
 *                                                 live: 'drop-oldest' (latest frames, drops counted)
 * ```
 *
 * **File or live.** Decided from the URL (`rtsp://`, `rtsps://`, `http(s)://`, `udp://`, `tcp://`,
 * `srt://`, `rtmp://` are live; paths and `file://` are files) unless `live` says otherwise.
 *
 * **Time.** A file frame's `ptsMs` is `index · 1000 / fps` (exact: ffmpeg's `fps` filter emits a
 * constant rate; without `fps` the file's own rate is used, exact for constant-rate files) and its
 * `capturedAt` is `startTime + ptsMs`. A live frame's `capturedAt` is its wall-clock arrival and
 * `ptsMs` the time since the source was opened (cameras' own clocks are not trusted).
 *
 * **Live streams reconnect.** When ffmpeg exits (stream ended, camera rebooted, network gone) or
 * no frame arrived for `stallTimeoutMs` (a UDP stream that silently stopped), ffmpeg is restarted
 * after an exponential backoff (`initialDelayMs · factor^n`, capped at `maxDelayMs`, ±20% jitter,
 * reset when frames flow). `stats.restarts` counts restarts, `stats.reconnects` the times frames
 * flowed again after a loss. A camera that never answers puts the source in state `'error'` with
 * `lastError` set — it keeps retrying and never throws; the frame loop simply waits.
 *
 * **Files** end at their end (or loop with `loop: true`); an unreadable file throws a
 * {@link FfmpegError} naming it.
 *
 * @example
 * const source = new VideoSource({ deviceId: 'pole-17', cameraId: 'north', url: 'rtsp://10.0.0.5/stream1', fps: 5 });
 * for await (const frame of source) {
 *   const result = await detector.detectDecoded(frame.pixels!);
 * }
 * source.stats; // { state: 'streaming', frames: 1200, dropped: 3, restarts: 1, reconnects: 1, ... }
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Position } from '@sightline/contracts';
import type { DecodedImage } from '../vision/preprocess/decode';
import { BoundedQueue } from './bounded-queue';
import { FfmpegError, FfmpegRawVideo, redactUrl, type RawVideoInfo } from './ffmpeg-process';
import type { Frame } from './frame';

/** Where a source stands. */
export type SourceState =
  /** Starting ffmpeg / waiting for the first frame. */
  | 'connecting'
  /** Frames are arriving. */
  | 'streaming'
  /** The stream dropped; waiting for the backoff delay before the next attempt. */
  | 'reconnecting'
  /** The last attempt failed before any frame (see `lastError`); still retrying unless attempts ran out. */
  | 'error'
  /** A file reached its end (or a live source ran out of attempts). */
  | 'ended'
  /** Closed by the caller. */
  | 'closed';

/** Counters and state of a source, for logs and the agent's stats. */
export interface SourceStats {
  state: SourceState;
  /** Frames ffmpeg delivered (decoded at the detection rate). */
  decoded: number;
  /** Frames delivered to the consumer. */
  frames: number;
  /** Live: frames decoded but discarded because the consumer was busy (latest frames are kept). */
  dropped: number;
  /** Times ffmpeg was restarted after the stream ended, failed or stalled. */
  restarts: number;
  /** Times frames flowed again after a loss (successful reconnections). */
  reconnects: number;
  /** Last failure (ffmpeg's message or the stall timeout), ISO time of it in `lastErrorAt`. */
  lastError?: string;
  lastErrorAt?: string;
  /** Capture time of the last delivered frame. */
  lastFrameAt?: string;
  /** The video's size and the rate of the decoded frames, once known. */
  video?: { width: number; height: number; fps?: number };
}

/** Reconnection policy of a live source. */
export interface BackoffOptions {
  /** First delay after a failure, ms; default 500. */
  initialDelayMs?: number;
  /** Longest delay, ms; default 30 000. */
  maxDelayMs?: number;
  /** Growth per consecutive failure; default 2. */
  factor?: number;
  /** Consecutive failed attempts (no frame) before giving up with state `'error'`; default Infinity. */
  maxAttempts?: number;
}

/** Options of {@link VideoSource}. */
export interface VideoSourceOptions {
  deviceId: string;
  cameraId: string;
  /** File path, `file://` URL, or stream URL (`rtsp://user:pass@host:554/path`, `http://cam/mjpg/video.mjpg`). */
  url: string;
  /** Detection rate: frames per second delivered (ffmpeg's `fps` filter); default the video's own rate. */
  fps?: number;
  /**
   * Decode pixels scaled (in ffmpeg) to fit inside this box with the aspect ratio kept — give the
   * detector's input size (`{ width: 416, height: 416 }`) and frames arrive at exactly the
   * letterbox's resized size, so the detector skips its own resize, and a 1080p stream moves 20×
   * fewer bytes through the pipe. Frame `width`/`height` stay the video's own size: boxes, lines
   * and zones keep the video's pixel coordinates (pass the frame size to `ObjectDetector.prepare`).
   * Default: pixels at the video's size.
   */
  fit?: { width: number; height: number };
  /** Treat as a live stream (true) or a file (false); default from the URL scheme. */
  live?: boolean;
  /** RTSP transport (`-rtsp_transport`); default ffmpeg's (UDP, falling back to TCP). */
  rtspTransport?: 'udp' | 'tcp' | 'http' | 'https';
  /** Files: start over at the end, until closed (`-stream_loop -1`); default false. */
  loop?: boolean;
  /** Files: decode at the video's own speed like a camera would deliver it (`-re`); default false. */
  realtime?: boolean;
  /** Files: capture time of the first frame (ms since the epoch or a Date); default when the source opens. */
  startTime?: number | Date;
  /**
   * Frames held between ffmpeg and the consumer; default 2. Files: decoded ahead (overlaps
   * decoding with inference), then ffmpeg pauses. Live: the latest frames kept, older ones dropped.
   */
  queueSize?: number;
  /** Live: restart ffmpeg when no frame arrived for this long (also the connect timeout), ms; default 10 000. */
  stallTimeoutMs?: number;
  /** Live: reconnection backoff. */
  backoff?: BackoffOptions;
  /** ffmpeg decoder and filter threads; default 1 (see `FfmpegRawVideoOptions.threads`). */
  threads?: number;
  /** Extra ffmpeg input options, before `-i` (e.g. `['-headers', 'Authorization: …']`). */
  inputArgs?: string[];
  /** Fixed camera position attached to every frame. */
  position?: Position;
  /** Closes the source. */
  signal?: AbortSignal;
  /** Called on every state change (for logs and status). */
  onStateChange?: (state: SourceState, stats: SourceStats) => void;
  /** Path of ffmpeg; default `$SIGHTLINE_FFMPEG` or `ffmpeg`. */
  ffmpegPath?: string;
}

const LIVE_SCHEMES = /^(rtsps?|rtmps?|https?|udp|tcp|srt|rtp):\/\//i;

/** True when the URL names a live stream (by scheme), false for paths and `file://`. */
export function isLiveUrl(url: string): boolean {
  return LIVE_SCHEMES.test(url);
}

/** A video file or live stream as an async iterable of frames; see the module documentation. */
export class VideoSource implements AsyncIterable<Frame> {
  readonly options: VideoSourceOptions;
  readonly live: boolean;
  private readonly state: SourceStats = { state: 'connecting', decoded: 0, frames: 0, dropped: 0, restarts: 0, reconnects: 0 };
  private readonly queue: BoundedQueue<Frame>;
  private readonly abort = new AbortController();
  private current: FfmpegRawVideo | undefined;
  private started = false;
  private supervisor: Promise<void> | undefined;
  private readonly name: string;
  private videoKnown!: (v: NonNullable<SourceStats['video']>) => void;
  private readonly videoInfo: Promise<NonNullable<SourceStats['video']>>;

  constructor(options: VideoSourceOptions) {
    if (options.fps !== undefined && !(options.fps > 0 && options.fps <= 240)) {
      throw new RangeError(`video source ${options.cameraId}: fps ${options.fps} must be > 0 and ≤ 240`);
    }
    this.options = options;
    this.live = options.live ?? isLiveUrl(options.url);
    this.name = redactUrl(options.url);
    const size = options.queueSize ?? 2;
    this.queue = new BoundedQueue<Frame>(size, this.live ? 'drop-oldest' : 'block');
    this.videoInfo = new Promise((resolve) => (this.videoKnown = resolve));
    if (options.signal) {
      if (options.signal.aborted) this.abort.abort();
      else options.signal.addEventListener('abort', () => void this.close(), { once: true });
    }
  }

  /** A snapshot of the counters and state. */
  get stats(): SourceStats {
    return { ...this.state, dropped: this.queue.dropped, ...(this.state.video ? { video: { ...this.state.video } } : {}) };
  }

  /**
   * Starts the source (if not yet) and resolves with the decoded frames' size and rate once ffmpeg
   * stated them — before the first frame is consumed (e.g. to set a tracker's frame rate).
   * @throws the source's error when it ends or fails before that (a file that cannot be opened).
   */
  async info(): Promise<{ width: number; height: number; fps?: number }> {
    this.start();
    const ended = this.supervisor!.then(() => {
      throw new Error(`video ${this.name}: ${this.state.lastError ?? 'ended before its size was known'}`);
    });
    return Promise.race([this.videoInfo, ended]);
  }

  /** Iterates the frames (starts ffmpeg on first use). One consumer at a time. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Frame, void, undefined> {
    this.start();
    try {
      for (;;) {
        const frame = await this.queue.shift();
        if (!frame) return;
        this.state.frames += 1;
        this.state.lastFrameAt = frame.capturedAt;
        yield frame;
      }
    } finally {
      // Leaving the loop early (break, error in the consumer) stops ffmpeg.
      if (!this.queue.isClosed) await this.close();
    }
  }

  /** Stops ffmpeg and ends the iteration; safe to call twice. */
  async close(): Promise<void> {
    if (!this.abort.signal.aborted) this.abort.abort();
    this.setState('closed');
    this.queue.close();
    this.queue.drain();
    await this.current?.kill();
    await this.supervisor?.catch(() => {});
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    if (this.abort.signal.aborted) {
      this.queue.close();
      this.supervisor = Promise.resolve();
      return;
    }
    this.supervisor = (this.live ? this.superviseLive() : this.readFile()).catch((err: Error) => {
      this.fail(err.message);
      this.setState('error');
      this.queue.close(err);
    });
  }

  private setState(state: SourceState): void {
    if (this.state.state === state || this.state.state === 'closed') return;
    this.state.state = state;
    this.options.onStateChange?.(state, this.stats);
  }

  private fail(message: string): void {
    this.state.lastError = message;
    this.state.lastErrorAt = new Date().toISOString();
  }

  private inputArgs(): string[] {
    const o = this.options;
    const args = [...(o.inputArgs ?? [])];
    if (this.live && o.rtspTransport && /^rtsps?:/i.test(o.url)) args.push('-rtsp_transport', o.rtspTransport);
    if (!this.live && o.loop) args.push('-stream_loop', '-1');
    if (!this.live && o.realtime) args.push('-re');
    return args;
  }

  private spawn(): FfmpegRawVideo {
    const o = this.options;
    const input = o.url.startsWith('file://') ? decodeURIComponent(new URL(o.url).pathname) : o.url;
    const proc = FfmpegRawVideo.spawn({
      input,
      inputArgs: this.inputArgs(),
      ...(o.fps !== undefined ? { fps: o.fps } : {}),
      ...(o.fit ? { fit: o.fit } : {}),
      ...(o.threads !== undefined ? { threads: o.threads } : {}),
      ...(o.ffmpegPath ? { ffmpegPath: o.ffmpegPath } : {}),
    });
    this.current = proc;
    return proc;
  }

  private frame(data: Buffer, info: RawVideoInfo, index: number, ptsMs: number, capturedMs: number): Frame {
    const pixels: DecodedImage = { data, width: info.width, height: info.height, channels: 3 };
    return {
      deviceId: this.options.deviceId,
      cameraId: this.options.cameraId,
      capturedAt: new Date(capturedMs).toISOString(),
      width: info.sourceWidth,
      height: info.sourceHeight,
      source: this.name,
      pixels,
      ptsMs,
      index,
      ...(this.options.position ? { position: this.options.position } : {}),
    };
  }

  /** File: one ffmpeg, backpressure through the blocking queue, exact pts. */
  private async readFile(): Promise<void> {
    const proc = this.spawn();
    const info = await proc.info;
    this.state.video = { width: info.sourceWidth, height: info.sourceHeight, ...(info.fps !== undefined ? { fps: info.fps } : {}) };
    this.videoKnown(this.state.video);
    const fps = this.options.fps ?? info.fps;
    if (!fps) throw new FfmpegError(`video ${this.name}: ffmpeg did not state a frame rate; set fps`);
    const start = this.options.startTime === undefined ? Date.now() : +this.options.startTime;
    this.setState('streaming');
    let index = 0;
    for await (const data of proc.frames()) {
      if (this.abort.signal.aborted) break;
      const ptsMs = (index * 1000) / fps;
      this.state.decoded += 1;
      await this.queue.push(this.frame(data, info, index, ptsMs, start + ptsMs));
      index += 1;
    }
    this.setState('ended');
    this.queue.close();
  }

  /** Live: restart ffmpeg with backoff whenever the stream ends, fails or stalls. */
  private async superviseLive(): Promise<void> {
    const backoff = this.options.backoff ?? {};
    const initial = backoff.initialDelayMs ?? 500;
    const max = backoff.maxDelayMs ?? 30_000;
    const factor = backoff.factor ?? 2;
    const maxAttempts = backoff.maxAttempts ?? Infinity;
    const stallMs = this.options.stallTimeoutMs ?? 10_000;
    const opened = Date.now();
    let index = 0;
    let failures = 0; // consecutive attempts without a frame
    let everStreamed = false;

    this.setState('connecting');
    while (!this.abort.signal.aborted) {
      // The state stays 'error' / 'reconnecting' during a retry until frames flow again.
      const proc = this.spawn();
      let gotFrame = false;
      let stalled = false;
      let watchdog: NodeJS.Timeout | undefined;
      const arm = () => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => {
          stalled = true;
          void proc.kill(500);
        }, stallMs);
      };
      arm();
      try {
        const info = await proc.info;
        this.state.video = { width: info.sourceWidth, height: info.sourceHeight, ...(info.fps !== undefined ? { fps: info.fps } : {}) };
        this.videoKnown(this.state.video);
        for await (const data of proc.frames()) {
          if (this.abort.signal.aborted) break;
          arm();
          const now = Date.now();
          if (!gotFrame) {
            gotFrame = true;
            if (everStreamed) this.state.reconnects += 1;
            everStreamed = true;
            failures = 0;
            this.setState('streaming');
          }
          this.state.decoded += 1;
          void this.queue.push(this.frame(data, info, index++, now - opened, now));
        }
        if (!this.abort.signal.aborted) this.fail(stalled ? `no frame for ${stallMs} ms from ${this.name}` : `stream ${this.name} ended`);
      } catch (err) {
        if (!this.abort.signal.aborted) this.fail(stalled ? `no frame for ${stallMs} ms from ${this.name}` : (err as Error).message);
      } finally {
        clearTimeout(watchdog);
        await proc.kill(500);
      }
      if (this.abort.signal.aborted) break;
      if (!gotFrame) failures += 1;
      if (failures >= maxAttempts) {
        this.setState('error');
        break;
      }
      this.setState(gotFrame ? 'reconnecting' : 'error');
      const delay = Math.min(max, initial * factor ** Math.max(0, failures - 1)) * (0.8 + 0.4 * Math.random());
      await sleep(delay, undefined, { signal: this.abort.signal }).catch(() => {});
      if (this.abort.signal.aborted) break;
      this.state.restarts += 1;
    }
    this.queue.close();
  }
}
