import { basename } from 'node:path';
import { listImageFiles, ObjectDetector, type DetectionResult } from '@sightline/edge';
import { resolveModel } from '@sightline/models';
import { numberOption, parseCommandArgs, UsageError } from '../args';

export const detectUsage = `usage: sightline detect [--model ID] [--score 0.3] [--iou 0.45] [--format jsonl|table] IMAGE|DIR...

Runs the detector on still images and prints, per image (jsonl):
  {"file": "<basename>", "width": W, "height": H, "detections": [{"label": "car", "score": 0.81, "box": [x1, y1, x2, y2]}]}
Boxes are in pixels of the original (EXIF-oriented) image. A file that cannot be read gets a line
with an "error" field; the others still run; the exit status is 1 if any failed.`;

/** One line of `sightline detect --format jsonl`. */
export type DetectLine =
  | { file: string; width: number; height: number; detections: Array<{ label: string; score: number; box: number[] }> }
  | { file: string; error: string };

/** `sightline detect`: prints detections per image; returns the exit status. */
export async function detectCommand(argv: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    model: { type: 'string', default: 'yolox-nano' },
    score: { type: 'string' },
    iou: { type: 'string' },
    format: { type: 'string', default: 'jsonl' },
    threads: { type: 'string' },
  });
  if (values.format !== 'jsonl' && values.format !== 'table') {
    throw new UsageError(`--format must be jsonl or table, got "${values.format}"`);
  }
  if (positionals.length === 0) throw new UsageError('give at least one IMAGE or folder');
  const score = numberOption('score', values.score, 0, 1);
  const iou = numberOption('iou', values.iou, 0, 1);
  const threads = numberOption('threads', values.threads, 1, 64);

  const { manifest, path } = await resolveModel(values.model);
  const detector = await ObjectDetector.create({ manifest, modelPath: path, intraOpThreads: threads });
  let failed = 0;
  try {
    if (values.format === 'table') out.write(`${'file'.padEnd(36)} ${'label'.padEnd(14)} score  box [x1, y1, x2, y2]\n`);
    const files = await listImageFiles(positionals).catch(() => positionals);
    for (const file of files) {
      let line: DetectLine;
      try {
        const result: DetectionResult = await detector.detect(file, { score, iou });
        line = {
          file: basename(file),
          width: result.width,
          height: result.height,
          detections: result.detections.map((d) => ({ label: d.label, score: d.score, box: d.box })),
        };
      } catch (err) {
        failed += 1;
        line = { file: basename(file), error: (err as Error).message };
      }
      out.write(values.format === 'jsonl' ? `${JSON.stringify(line)}\n` : tableRows(line));
    }
  } finally {
    await detector.close();
  }
  return failed > 0 ? 1 : 0;
}

function tableRows(line: DetectLine): string {
  if ('error' in line) return `${line.file.padEnd(36)} ERROR ${line.error}\n`;
  if (line.detections.length === 0) return `${line.file.padEnd(36)} (no detections, ${line.width}x${line.height})\n`;
  return line.detections
    .map((d) => `${line.file.padEnd(36)} ${d.label.padEnd(14)} ${d.score.toFixed(2)}   [${d.box.map((v) => v.toFixed(1)).join(', ')}]\n`)
    .join('');
}
