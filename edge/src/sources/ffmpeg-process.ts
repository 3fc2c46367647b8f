/**
 * One ffmpeg process that decodes a video (file, RTSP, HTTP stream, …) into raw RGB frames on its
 * stdout, and the reader that cuts that byte stream back into frames.
 *
 * ```
 *  ffmpeg -nostdin -hide_banner -filter_threads 1 -threads 1 [inputArgs] -i <input> -an -sn -dn
 *         -vf fps=N[,scale=…] -f rawvideo -pix_fmt rgb24 pipe:1
 *     stdout: W·H·3 bytes per frame, RGB, row-major, no padding  ──▶ frames()
 *     stderr: log; the "Input #0 … Video: … WxH" line gives the video's own size, the
 *             "Output #0 … Video: rawvideo … WxH … N fps" line the frames' size and rate
 * ```
 *
 * Decoding straight to `rgb24` means a frame reaches the detector without any JPEG re-encode or
 * decode. The frame size is read from ffmpeg's own description of its output stream, so it is
 * right after any scaling and for streams whose size is only known once connected (no separate
 * ffprobe round-trip to the camera).
 *
 * Backpressure: {@link FfmpegRawVideo.frames} only reads the pipe when its consumer asks for the
 * next frame; while it does not, the pipe fills and ffmpeg blocks on its write — a file is never
 * decoded further ahead than the pipe buffer plus the frame being assembled.
 *
 * The ffmpeg executable is `$SIGHTLINE_FFMPEG`, else `ffmpeg` on the PATH (Debian: `apt-get install ffmpeg`).
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';

/** Size and rate of the raw frames ffmpeg writes. */
export interface RawVideoInfo {
  /** Frame size in pixels (after `fit`, if any). */
  width: number;
  height: number;
  /** The video's own size in pixels, before any scaling (equal to width/height without `fit`). */
  sourceWidth: number;
  sourceHeight: number;
  /** Output frames per second as ffmpeg states it (the `fps` filter's rate, or the input's); undefined if not stated. */
  fps?: number;
  /** Bytes per frame: `width · height · 3`. */
  frameBytes: number;
}

/** Options of {@link FfmpegRawVideo.spawn}. */
export interface FfmpegRawVideoOptions {
  /** What ffmpeg opens with `-i`: a path or a URL (`rtsp://`, `http://`, …). */
  input: string;
  /** Options placed before `-i` (`['-rtsp_transport', 'udp']`, `['-stream_loop', '-1']`, `['-re']`). */
  inputArgs?: string[];
  /** Output rate through ffmpeg's `fps` filter (frames are dropped or duplicated to it); default: the input's rate. */
  fps?: number;
  /**
   * Scale every frame to fit inside this box keeping its aspect ratio — `round(w·r) × round(h·r)`,
   * `r = min(W/w, H/h)`, a detector's letterbox geometry — with bilinear swscale; default: no scaling.
   */
  fit?: { width: number; height: number };
  /**
   * Decoder and filter threads (`-threads`, `-filter_threads`); default 1. For camera-sized frames
   * at detection rates, thread hand-offs cost more than they save (the highway fixture: 0.76 ms of
   * CPU per frame with 1, 1.3 ms with ffmpeg's default of one per core) and the cores are better
   * left to inference; raise it for 4K streams.
   */
  threads?: number;
  /** Path of the ffmpeg executable; default `$SIGHTLINE_FFMPEG` or `ffmpeg`. */
  ffmpegPath?: string;
}

/** How an ffmpeg process ended. */
export interface FfmpegExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines ffmpeg wrote to stderr (its error message, when it failed). */
  stderrTail: string;
  /** True when it was ended by {@link FfmpegRawVideo.kill}. */
  killed: boolean;
}

/** ffmpeg could not be started, or failed; the message carries ffmpeg's own explanation. */
export class FfmpegError extends Error {
  override readonly name = 'FfmpegError';
  constructor(
    message: string,
    readonly exit?: FfmpegExit,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The ffmpeg executable used by default. */
export function ffmpegPath(): string {
  return process.env.SIGHTLINE_FFMPEG || 'ffmpeg';
}

const STDERR_LINES = 20;

/**
 * Parses ffmpeg's description of a video stream (`Stream #0:0: Video: rawvideo (RGB[24] / …),
 * rgb24(…), 320x240 [SAR 1:1 DAR 4:3], q=2-31, 9216 kb/s, 5 fps, 5 tbn`) into size and rate.
 * @returns undefined when the line is not a video stream description with a size.
 */
export function parseOutputStreamLine(line: string): { width: number; height: number; fps?: number } | undefined {
  if (!/Stream #\d+:\d+.*: Video:/.test(line)) return undefined;
  // The size is "WxH" followed by a space, comma or "[" — not the "0x18424752" FourCC.
  const size = /[\s,](\d{1,5})x(\d{1,5})(?=[\s,[]|$)/.exec(line);
  if (!size) return undefined;
  const fps = /,\s*(\d+(?:\.\d+)?)(k?) fps/.exec(line);
  const info: { width: number; height: number; fps?: number } = { width: Number(size[1]), height: Number(size[2]) };
  if (fps) info.fps = Number(fps[1]) * (fps[2] === 'k' ? 1000 : 1);
  return info;
}

/** One running ffmpeg decoder; see the module documentation. */
export class FfmpegRawVideo {
  /** Resolves once ffmpeg described its output stream; rejects if it exits (or cannot start) first. */
  readonly info: Promise<RawVideoInfo>;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<FfmpegExit>;
  /** The command line, for logs and error messages (URL credentials hidden). */
  readonly commandLine: string;
  private readonly child: ChildProcessByStdio<null, Readable, Readable>;
  private readonly stderrLines: string[] = [];
  private killedByUs = false;
  private exitInfo: FfmpegExit | undefined;

  private constructor(options: FfmpegRawVideoOptions) {
    const filters: string[] = [];
    if (options.fps !== undefined) filters.push(`fps=${options.fps}`);
    if (options.fit) {
      const { width: W, height: H } = options.fit;
      // Quoted, so the commas inside the expressions do not split the filter chain.
      const r = `min(${W}/iw,${H}/ih)`;
      filters.push(`scale=w='max(1,min(${W},round(iw*${r})))':h='max(1,min(${H},round(ih*${r})))':flags=bilinear`);
    }
    const threads = String(options.threads ?? 1);
    const args = [
      '-nostdin',
      '-hide_banner',
      '-nostats',
      '-loglevel',
      'info',
      '-filter_threads',
      threads,
      '-threads',
      threads,
      ...(options.inputArgs ?? []),
      '-i',
      options.input,
      '-an',
      '-sn',
      '-dn',
      ...(filters.length > 0 ? ['-vf', filters.join(',')] : []),
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      'pipe:1',
    ];
    const bin = options.ffmpegPath ?? ffmpegPath();
    this.commandLine = [bin, ...args].map((a) => redactUrl(a)).join(' ');
    this.child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });

    let resolveInfo!: (i: RawVideoInfo) => void;
    let rejectInfo!: (e: Error) => void;
    this.info = new Promise<RawVideoInfo>((res, rej) => {
      resolveInfo = res;
      rejectInfo = rej;
    });
    this.info.catch(() => {}); // observed through frames() or by the caller

    let inOutputSection = false;
    let inInputSection = false;
    let source: { width: number; height: number } | undefined;
    let infoKnown = false;
    let partial = '';
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => {
      const lines = (partial + chunk).split(/\r?\n|\r/);
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        this.stderrLines.push(line);
        if (this.stderrLines.length > STDERR_LINES) this.stderrLines.shift();
        if (infoKnown) continue;
        if (/^Input #0/.test(line)) inInputSection = true;
        else if (/^Output #0/.test(line)) {
          inOutputSection = true;
          inInputSection = false;
        } else if (inInputSection && !source) {
          const parsed = parseOutputStreamLine(line);
          if (parsed) source = { width: parsed.width, height: parsed.height };
        } else if (inOutputSection) {
          const parsed = parseOutputStreamLine(line);
          if (parsed) {
            infoKnown = true;
            resolveInfo({
              ...parsed,
              sourceWidth: source?.width ?? parsed.width,
              sourceHeight: source?.height ?? parsed.height,
              frameBytes: parsed.width * parsed.height * 3,
            });
          }
        }
      }
    });

    this.exited = new Promise<FfmpegExit>((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null, extra?: string) => {
        if (this.exitInfo) return;
        if (partial.trim() !== '') this.stderrLines.push(partial);
        if (extra) this.stderrLines.push(extra);
        this.exitInfo = { code, signal, stderrTail: this.stderrTail(), killed: this.killedByUs };
        if (!infoKnown) {
          rejectInfo(
            new FfmpegError(
              `ffmpeg could not open ${redactUrl(options.input)}${this.exitInfo.killed ? ' (stopped)' : ''}: ${lastErrorLine(this.stderrLines) || `exit code ${code ?? signal}`}`,
              this.exitInfo,
            ),
          );
        }
        resolve(this.exitInfo);
      };
      this.child.on('error', (err: NodeJS.ErrnoException) => {
        const hint = err.code === 'ENOENT' ? ` — is ffmpeg installed (Debian: apt-get install ffmpeg) or SIGHTLINE_FFMPEG set?` : '';
        finish(null, null, `cannot start ${bin}: ${err.message}${hint}`);
      });
      this.child.on('close', (code, signal) => finish(code, signal));
    });
  }

  /** Starts ffmpeg (does not wait for it to open the input; see {@link info}). */
  static spawn(options: FfmpegRawVideoOptions): FfmpegRawVideo {
    return new FfmpegRawVideo(options);
  }

  /** Process id (undefined if it could not start). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The last lines of ffmpeg's log. */
  stderrTail(): string {
    return this.stderrLines.join('\n');
  }

  /**
   * The decoded frames, each a fresh `Buffer` of `info.frameBytes` bytes (RGB, row-major). Ends
   * when ffmpeg's output ends; then throws an {@link FfmpegError} if ffmpeg failed (not when it was
   * {@link kill}ed). Leaving the loop early kills ffmpeg. Call once.
   */
  async *frames(): AsyncGenerator<Buffer, void, undefined> {
    try {
      const { frameBytes } = await this.info;
      let frame = Buffer.allocUnsafe(frameBytes);
      let filled = 0;
      for await (const chunk of this.child.stdout as AsyncIterable<Buffer>) {
        let offset = 0;
        while (offset < chunk.length) {
          const n = Math.min(frameBytes - filled, chunk.length - offset);
          chunk.copy(frame, filled, offset, offset + n);
          filled += n;
          offset += n;
          if (filled === frameBytes) {
            yield frame;
            frame = Buffer.allocUnsafe(frameBytes);
            filled = 0;
          }
        }
      }
      const exit = await this.exited;
      if (!exit.killed && exit.code !== 0) {
        throw new FfmpegError(`ffmpeg failed (exit code ${exit.code ?? exit.signal}): ${lastErrorLine(this.stderrLines) || 'no message'}`, exit);
      }
    } finally {
      if (!this.exitInfo) this.kill();
    }
  }

  /** Stops ffmpeg (SIGTERM, then SIGKILL after `graceMs`); resolves when it has exited. */
  async kill(graceMs = 2_000): Promise<FfmpegExit> {
    if (!this.exitInfo && this.child.exitCode === null && this.child.signalCode === null) {
      this.killedByUs = true;
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      timer.unref();
      // Unblock a process stuck writing to a pipe nobody reads.
      this.child.stdout.resume();
      const exit = await this.exited;
      clearTimeout(timer);
      return exit;
    }
    return this.exited;
  }
}

/** The most telling stderr line: the last one that looks like an error, else the last one. */
function lastErrorLine(lines: readonly string[]): string {
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i]!;
    if (/error|invalid|failed|refused|not found|no such|unable|cannot|denied|timed out|unauthorized|404|401|403|end of file|does not contain/i.test(l)) {
      return l.trim();
    }
  }
  return lines.at(-1)?.trim() ?? '';
}

/** `rtsp://user:secret@host/x` → `rtsp://user:***@host/x`; other strings unchanged. */
export function redactUrl(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]+):[^@/\s]*@/i, '$1:***@');
}
