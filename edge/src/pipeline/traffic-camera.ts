/**
 * One video camera of the agent: its stream (or file) through the video pipeline, with every
 * closed interval of every counting line published as a TrafficCount on
 * `sightline/v1/{deviceId}/traffic`, health counters fed, and the source's state logged.
 *
 * ```
 *  VideoSource(url, fps, fit = model input) ─▶ runVideoPipeline(lines, zones, classes, interval)
 *        │ state changes → log (error: warn with the reason)          │ onDrafts
 *        │ dropped frames (live, kept latest) → health.frameDropped     ▼
 *        ▼                                                      publisher.publishTraffic({ cameraId, lineId,
 *   frames → health.frameIn / frameProcessed(inference ms)          intervalStart, intervalSeconds, counts })
 * ```
 *
 * A file camera ends at the end of the file (unless `loop`); a live camera runs until `signal`
 * aborts — a camera that never answers keeps its loop waiting in state `'error'`, never throws.
 */
import type { Logger } from 'pino';
import type { Position } from '@sightline/contracts';
import type { ObjectDetector } from '../vision/detector';
import { redactUrl } from '../sources/ffmpeg-process';
import { VideoSource, type SourceStats } from '../sources/video';
import type { CountingLine, ZoneSpec } from '../analytics/index';
import { runVideoPipeline, type PipelineSummary } from './video-pipeline';

/** Labels a traffic camera tracks and counts unless configured otherwise. */
export const DEFAULT_TRAFFIC_CLASSES = ['car', 'truck', 'bus', 'motorcycle', 'bicycle', 'person'];

/** Where counts go: the agent's publisher (spooled, stamped with id, seq and deviceId). */
export interface TrafficSink {
  publishTraffic(draft: {
    cameraId: string;
    lineId: string;
    intervalStart: string;
    intervalSeconds: number;
    counts: Array<{ label: string; direction: 'in' | 'out'; count: number }>;
  }): Promise<unknown>;
}

/** The agent's health counters (`stats/health-recorder.ts`). */
export interface FrameHealth {
  frameIn(): void;
  frameProcessed(inferenceMs: number): void;
  frameDropped(): void;
}

/** Options of {@link runTrafficCamera}. */
export interface TrafficCameraOptions {
  deviceId: string;
  cameraId: string;
  source: { url: string; fps?: number; rtspTransport?: 'udp' | 'tcp'; loop?: boolean; realtime?: boolean };
  lines?: readonly CountingLine[];
  zones?: readonly ZoneSpec[];
  /** Interval of the traffic counts, seconds; default 60. */
  intervalSeconds?: number;
  /** Labels tracked and counted; default {@link DEFAULT_TRAFFIC_CLASSES}. */
  classes?: readonly string[];
  position?: Position;
  detector: ObjectDetector;
  /** Detection score / NMS IoU overrides (the pipeline's default score is 0.1, for ByteTrack). */
  detect?: { score?: number; iou?: number };
  sink: TrafficSink;
  health?: FrameHealth;
  signal?: AbortSignal;
  logger?: Logger;
  /** Receives the source's counters whenever its state changes (and at the end). */
  onSourceStats?: (stats: SourceStats) => void;
}

/** Runs one video camera until its file ends or `signal` aborts; returns the pipeline's summary. */
export async function runTrafficCamera(options: TrafficCameraOptions): Promise<PipelineSummary> {
  const { cameraId, detector, logger: log } = options;
  const intervalSeconds = options.intervalSeconds ?? 60;
  const source = new VideoSource({
    deviceId: options.deviceId,
    cameraId,
    url: options.source.url,
    ...(options.source.fps !== undefined ? { fps: options.source.fps } : {}),
    ...(options.source.rtspTransport ? { rtspTransport: options.source.rtspTransport } : {}),
    ...(options.source.loop ? { loop: true } : {}),
    ...(options.source.realtime ? { realtime: true } : {}),
    fit: { width: detector.manifest.input.width, height: detector.manifest.input.height },
    ...(options.position ? { position: options.position } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    onStateChange: (state, stats) => {
      options.onSourceStats?.(stats);
      const details = { camera: cameraId, source: redactUrl(options.source.url), state, restarts: stats.restarts, reconnects: stats.reconnects };
      if (state === 'error') log?.warn({ ...details, err: stats.lastError }, 'camera source failing (retrying)');
      else log?.info(details, 'camera source state');
    },
  });
  const frameRate = options.source.fps ?? (await source.info().then((i) => i.fps).catch(() => undefined)) ?? 25;
  let dropsSeen = 0;
  const summary = await runVideoPipeline(source, {
    detector,
    lines: options.lines ?? [],
    zones: options.zones ?? [],
    classes: options.classes ?? DEFAULT_TRAFFIC_CLASSES,
    intervalMs: intervalSeconds * 1000,
    tracker: { frameRate },
    detect: { score: 0.1, ...options.detect },
    ...(options.signal ? { signal: options.signal } : {}),
    onFrame: (_frame, result) => {
      const health = options.health;
      if (!health) return;
      const dropped = source.stats.dropped;
      for (; dropsSeen < dropped; dropsSeen++) {
        health.frameIn();
        health.frameDropped();
      }
      health.frameIn();
      health.frameProcessed(result.detectionTimings.inferenceMs);
      for (const [zoneId, update] of Object.entries(result.zones)) {
        for (const e of update.events) log?.debug({ camera: cameraId, zone: zoneId, ...e }, 'zone event');
      }
    },
    onDrafts: async (drafts) => {
      for (const d of drafts) {
        await options.sink.publishTraffic({ cameraId, lineId: d.lineId, intervalStart: d.intervalStart, intervalSeconds, counts: d.counts });
      }
      log?.debug({ camera: cameraId, intervals: drafts.length }, 'traffic counts spooled');
    },
  });
  options.onSourceStats?.(source.stats);
  await source.close();
  return summary;
}
