/**
 * Video writer: raw RGB frames piped into ffmpeg, encoded to a file a person can watch
 * (H.264 in MP4 with `libx264`, else MPEG-4 Part 2 when this ffmpeg has no libx264).
 *
 * ```
 *   write(rgb) ──stdin──▶ ffmpeg -f rawvideo -pix_fmt rgb24 -s WxH -r FPS -i pipe:0
 *                                -c:v libx264 -pix_fmt yuv420p -movflags +faststart OUT.mp4
 * ```
 *
 * `write` respects the pipe's backpressure (it resolves when ffmpeg took the frame), so a slow
 * encoder slows the producer instead of buffering frames in memory.
 */
import { execFile, spawn, type ChildProcessByStdio } from 'node:child_process';
import { promisify } from 'node:util';
import type { Readable, Writable } from 'node:stream';
import { FfmpegError, ffmpegPath } from '../sources/ffmpeg-process';

/** Options of {@link VideoWriter.open}. */
export interface VideoWriterOptions {
  /** Output file; the container follows the extension (`.mp4`, `.mkv`, `.avi`). Overwritten. */
  path: string;
  /** Frame size in pixels (every written frame is `width · height · 3` bytes of RGB). */
  width: number;
  height: number;
  /** Frames per second of the output. */
  fps: number;
  /** Encoder; default `libx264` when available, else `mpeg4`. */
  codec?: 'libx264' | 'mpeg4';
  /** Path of ffmpeg; default `$SIGHTLINE_FFMPEG` or `ffmpeg`. */
  ffmpegPath?: string;
}

const encoderCache = new Map<string, Promise<Set<string>>>();

/** Names of the video encoders this ffmpeg offers (`ffmpeg -encoders`), cached per executable. */
export function ffmpegEncoders(bin = ffmpegPath()): Promise<Set<string>> {
  let cached = encoderCache.get(bin);
  if (!cached) {
    cached = promisify(execFile)(bin, ['-hide_banner', '-encoders'], { maxBuffer: 4 * 1024 * 1024 })
      .then(({ stdout }) => new Set([...stdout.matchAll(/^\s*V\S*\s+(\S+)/gm)].map((m) => m[1]!)))
      .catch(() => new Set<string>());
    encoderCache.set(bin, cached);
  }
  return cached;
}

/** How the encoder process ended. */
interface EncoderExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

/** An ffmpeg encoder fed with raw RGB frames; see the module documentation. */
export class VideoWriter {
  private readonly stderr: string[] = [];
  private readonly exited: Promise<EncoderExit>;
  /** Set once the encoder has exited. */
  private exit: EncoderExit | undefined;
  private frameBytes: number;
  /** Frames written so far. */
  frames = 0;

  private constructor(
    readonly options: VideoWriterOptions,
    readonly codec: string,
    private readonly child: ChildProcessByStdio<Writable, null, Readable>,
  ) {
    this.frameBytes = options.width * options.height * 3;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      this.stderr.push(...chunk.split(/\r?\n/).filter((l) => l.trim() !== ''));
      if (this.stderr.length > 20) this.stderr.splice(0, this.stderr.length - 20);
    });
    child.stdin.on('error', () => {}); // EPIPE when ffmpeg died; reported by close()
    this.exited = new Promise<EncoderExit>((resolve) => {
      child.on('error', (error) => resolve({ code: null, signal: null, error }));
      child.on('close', (code, signal) => resolve({ code, signal }));
    }).then((exit) => (this.exit = exit));
  }

  /** Starts the encoder. */
  static async open(options: VideoWriterOptions): Promise<VideoWriter> {
    if (!(options.width > 0 && options.height > 0 && options.fps > 0)) {
      throw new RangeError(`video writer ${options.path}: size ${options.width}x${options.height} and fps ${options.fps} must be positive`);
    }
    const bin = options.ffmpegPath ?? ffmpegPath();
    const codec = options.codec ?? ((await ffmpegEncoders(bin)).has('libx264') ? 'libx264' : 'mpeg4');
    // yuv420p needs even sizes; pad odd ones by a pixel.
    const even = options.width % 2 !== 0 || options.height % 2 !== 0 ? ['-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2'] : [];
    const quality = codec === 'libx264' ? ['-preset', 'veryfast', '-crf', '23'] : ['-q:v', '4'];
    const args = [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-s',
      `${options.width}x${options.height}`,
      '-r',
      String(options.fps),
      '-i',
      'pipe:0',
      ...even,
      '-c:v',
      codec,
      ...quality,
      '-pix_fmt',
      'yuv420p',
      ...(/\.(mp4|mov|m4v)$/i.test(options.path) ? ['-movflags', '+faststart'] : []),
      options.path,
    ];
    const child = spawn(bin, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    return new VideoWriter(options, codec, child);
  }

  /**
   * Appends one frame (`width · height · 3` bytes, RGB); resolves when ffmpeg accepted it.
   * @throws FfmpegError when the encoder has exited (e.g. the output path cannot be written).
   */
  async write(rgb: Buffer): Promise<void> {
    if (rgb.length !== this.frameBytes) {
      throw new RangeError(`video writer ${this.options.path}: frame has ${rgb.length} bytes, expected ${this.frameBytes} (${this.options.width}x${this.options.height} RGB)`);
    }
    if (this.exit) throw this.failure(this.exit);
    this.frames += 1;
    if (!this.child.stdin.write(rgb)) {
      let onDrain = () => {};
      const drained = new Promise<void>((resolve) => {
        onDrain = resolve;
        this.child.stdin.once('drain', onDrain);
      });
      // An encoder that has died never drains: wait for whichever comes first.
      await Promise.race([drained, this.exited]);
      this.child.stdin.off('drain', onDrain);
      if (this.exit) throw this.failure(this.exit);
    }
  }

  /** The error for an encoder that exited: ffmpeg's last message, else its exit status. */
  private failure(exit: EncoderExit): FfmpegError {
    const why = exit.error?.message ?? this.stderr.at(-1) ?? `exit code ${exit.code ?? exit.signal}`;
    return new FfmpegError(`cannot write ${this.options.path} with ${this.codec}: ${why}`);
  }

  /**
   * Finishes the file and waits for ffmpeg.
   * @throws FfmpegError with ffmpeg's message when encoding failed.
   */
  async close(): Promise<void> {
    this.child.stdin.end();
    const exit = await this.exited;
    if (exit.error || exit.code !== 0) throw this.failure(exit);
  }
}
