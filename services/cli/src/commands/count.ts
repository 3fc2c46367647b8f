import { resolveModel } from '@sightline/models';
import {
  annotateFrame,
  ObjectDetector,
  runVideoPipeline,
  VideoSource,
  VideoWriter,
  type CountingLine,
  type LineCounts,
} from '@sightline/edge';
import { numberOption, parseCommandArgs, UsageError } from '../args';

/** Classes counted when `--classes` is not given. */
export const DEFAULT_COUNT_CLASSES = ['car', 'truck', 'bus', 'motorcycle', 'bicycle', 'person'];

export const countUsage = `usage: sightline count VIDEO --line x1,y1,x2,y2 [--line ...] [--classes car,truck,bus,motorcycle,bicycle,person]
                       [--fps N] [--format json] [--annotate OUT.mp4] [--model ID] [--score 0.1] [--threads N]

Runs video → detector → tracker (ByteTrack) → line counter on a video file (or stream URL) and prints
  {"frames": N, "fps": F, "lines": [{"id": "line-1", "in": {"car": n, ...}, "out": {"car": n, ...}}]}
  frames  frames processed;  fps  the detection rate (--fps, else the video's own rate)
  lines   one entry per --line, in order, ids line-1, line-2, ...; "in"/"out" hold every --classes
          label (0 included), counted by the class the track had when it crossed.

--line x1,y1,x2,y2  a counting segment from (x1,y1) to (x2,y2) in pixels of the video frame (x right,
                    y down). IN = crossing from the right side of start→end to its left side: a line
                    drawn left to right counts objects moving UP the image as "in". Swap the ends to swap.
                    An object counts when its box's bottom-centre crosses the segment itself.
--classes           labels to track and count (COCO names), comma-separated
--fps N             detection rate: decode N frames per second (default: every frame)
--annotate OUT.mp4  also write the video with boxes, track ids, the lines and running counts (at the
                    detector's working resolution: the frame scaled to fit 416x416 for YOLOX-Nano)`;

/** What `sightline count --format json` prints. */
export interface CountOutput {
  frames: number;
  fps: number;
  lines: Array<{ id: string; in: Record<string, number>; out: Record<string, number> }>;
}

/**
 * Parses `x1,y1,x2,y2` into a counting line.
 * @throws UsageError naming the value when it is not four finite numbers or start = end.
 */
export function parseLineOption(value: string, id: string): CountingLine {
  const parts = value.split(',').map((p) => p.trim());
  const nums = parts.map(Number);
  if (parts.length !== 4 || parts.some((p) => p === '') || !nums.every(Number.isFinite)) {
    throw new UsageError(`--line must be four numbers x1,y1,x2,y2 (pixels), got "${value}"`);
  }
  const [x1, y1, x2, y2] = nums as [number, number, number, number];
  if (x1 === x2 && y1 === y2) throw new UsageError(`--line "${value}": start and end are the same point`);
  return { id, start: [x1, y1], end: [x2, y2] };
}

/** `sightline count`: prints line counts for a video; returns the exit status. */
export async function countCommand(argv: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    line: { type: 'string', multiple: true },
    classes: { type: 'string' },
    fps: { type: 'string' },
    format: { type: 'string', default: 'json' },
    annotate: { type: 'string' },
    model: { type: 'string', default: 'yolox-nano' },
    score: { type: 'string' },
    threads: { type: 'string' },
  });
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'give one VIDEO' : `give one VIDEO, got ${positionals.length}`);
  if (values.format !== 'json') throw new UsageError(`--format must be json, got "${values.format}"`);
  const lineValues = values.line ?? [];
  if (lineValues.length === 0) throw new UsageError('give at least one --line x1,y1,x2,y2');
  const lines = lineValues.map((v, i) => parseLineOption(v, `line-${i + 1}`));
  const classes = values.classes === undefined ? DEFAULT_COUNT_CLASSES : values.classes.split(',').map((c) => c.trim()).filter((c) => c !== '');
  if (classes.length === 0) throw new UsageError('--classes needs at least one label');
  const fpsOption = numberOption('fps', values.fps, 0.01, 240);
  const score = numberOption('score', values.score, 0, 1);
  const threads = numberOption('threads', values.threads, 1, 64);
  const video = positionals[0]!;

  const { manifest, path } = await resolveModel(values.model);
  const unknown = classes.filter((c) => !manifest.labels.includes(c));
  if (unknown.length > 0) throw new UsageError(`--classes: ${unknown.join(', ')} not among the labels of model ${manifest.id}`);

  // ffmpeg scales frames to the network's letterbox size (cheap, in its own process); boxes and
  // lines stay in the video's pixels.
  const source = new VideoSource({
    deviceId: 'cli',
    cameraId: 'count',
    url: video,
    ...(fpsOption !== undefined ? { fps: fpsOption } : {}),
    fit: { width: manifest.input.width, height: manifest.input.height },
    queueSize: 3,
  });
  const info = await source.info();
  const fps = fpsOption ?? info.fps ?? 25;
  for (const l of lines) {
    const outside = [l.start, l.end].some(([x, y]) => x < 0 || y < 0 || x > info.width || y > info.height);
    if (outside) process.stderr.write(`sightline count: note: ${l.id} reaches outside the ${info.width}x${info.height} frame\n`);
  }

  const detector = await ObjectDetector.create({ manifest, modelPath: path, intraOpThreads: threads ?? 1, worker: true, allowSpinning: false });
  let writer: VideoWriter | undefined;
  try {
    const summary = await runVideoPipeline(source, {
      detector,
      lines,
      classes,
      tracker: { frameRate: fps },
      detect: score !== undefined ? { score } : {},
      onFrame: values.annotate
        ? async (frame, result) => {
            writer ??= await VideoWriter.open({ path: values.annotate!, width: result.pixels.width, height: result.pixels.height, fps });
            const flash = new Set(result.crossings.map((c) => c.lineId));
            const counts = new Map(result.totals.map((t) => [t.id, t] as const));
            const rgb = await annotateFrame(result.pixels, {
              tracks: result.tracks,
              lines: lines.map((line) => ({ line, counts: counts.get(line.id) })),
              flash,
              caption: `frame ${frame.index ?? ''}  ${frame.ptsMs !== undefined ? (frame.ptsMs / 1000).toFixed(2) + ' s' : ''}`,
            }, frame);
            await writer.write(rgb);
          }
        : undefined,
    });
    const output: CountOutput = {
      frames: summary.frames,
      fps,
      lines: summary.lines.map((l) => ({ id: l.id, in: byClass(l.in, classes), out: byClass(l.out, classes) })),
    };
    out.write(`${JSON.stringify(output)}\n`);
  } finally {
    await source.close();
    await detector.close();
    await writer?.close();
  }
  return 0;
}

/** Every class in `classes`, in that order, with its count (0 when none). */
function byClass(counts: LineCounts['in'], classes: readonly string[]): Record<string, number> {
  return Object.fromEntries(classes.map((c) => [c, counts[c] ?? 0]));
}
