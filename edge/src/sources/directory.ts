import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import type { Position } from '@sightline/contracts';
import { exifCaptureTime } from './capture-time';
import type { Frame } from './frame';

/** A frame whose picture is encoded bytes (still images, snapshot URLs). */
export type EncodedFrame = Frame & { image: Buffer };

/** File extensions read as frames. */
export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);

/** Options of {@link readImageFrames}. */
export interface ImageSourceOptions {
  deviceId: string;
  cameraId: string;
  /** A folder (its image files, sorted by name) and/or individual files, in order. */
  paths: string[];
  /** Frames per second to pace at; 0 or absent = as fast as the consumer pulls. */
  fps?: number;
  /** Start again from the first file after the last one, until aborted. */
  loop?: boolean;
  /** Fixed camera position attached to every frame. */
  position?: Position;
  signal?: AbortSignal;
}

/**
 * Expands folders into their image files (JPEG, PNG, WebP; sorted by name, not recursive) and
 * keeps plain files as given.
 * @throws Error naming the path when it does not exist.
 */
export async function listImageFiles(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => {
      throw new Error(`frame source: ${path} does not exist`);
    });
    if (info.isDirectory()) {
      const names = (await readdir(path)).filter((n) => IMAGE_EXTENSIONS.has(extname(n).toLowerCase())).sort();
      files.push(...names.map((n) => resolve(path, n)));
    } else {
      files.push(resolve(path));
    }
  }
  return files;
}

/**
 * Frame source over still images: yields one {@link Frame} per file, paced at `fps`.
 *
 * Capture time: EXIF `DateTimeOriginal` when present, else the file's modification time.
 * Size: read from the image header, width and height swapped for EXIF orientations 5..8.
 * A file that cannot be read or is not an image is skipped with its error passed to `onError`;
 * the source goes on with the next file.
 */
export async function* readImageFrames(
  options: ImageSourceOptions,
  onError: (file: string, error: Error) => void = () => {},
): AsyncGenerator<EncodedFrame> {
  const files = await listImageFiles(options.paths);
  if (files.length === 0) throw new Error(`frame source: no JPEG, PNG or WebP files in ${options.paths.join(', ')}`);
  const intervalMs = options.fps && options.fps > 0 ? 1000 / options.fps : 0;
  const started = performance.now();
  let index = 0;
  do {
    for (const file of files) {
      if (options.signal?.aborted) return;
      if (intervalMs > 0) {
        const due = started + index * intervalMs - performance.now();
        if (due > 0) await sleep(due, undefined, { signal: options.signal }).catch(() => {});
        if (options.signal?.aborted) return;
      }
      index += 1;
      let image: Buffer;
      let mtime: Date;
      let size: { width: number; height: number };
      try {
        [image, mtime] = await Promise.all([readFile(file), stat(file).then((s) => s.mtime)]);
        size = await displayedSize(image);
      } catch (err) {
        onError(file, err as Error);
        continue;
      }
      yield {
        deviceId: options.deviceId,
        cameraId: options.cameraId,
        capturedAt: (await exifCaptureTime(image)) ?? mtime.toISOString(),
        image,
        ...size,
        source: basename(file),
        ...(options.position ? { position: options.position } : {}),
      };
    }
  } while (options.loop && !options.signal?.aborted);
}


/** Width and height of an encoded image as displayed, from its header (EXIF orientation applied). */
export async function displayedSize(image: Buffer): Promise<{ width: number; height: number }> {
  const { width, height, orientation } = await sharp(image).metadata();
  if (!width || !height) throw new Error('not a readable image (no dimensions in its header)');
  return orientation && orientation >= 5 ? { width: height, height: width } : { width, height };
}
