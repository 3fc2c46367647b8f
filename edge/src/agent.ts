import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { loadTaxonomy, resolveModel, unknownTaxonomyLabels } from '@sightline/models';
import type { AgentConfig, CameraConfig } from './config';
import { observeFrame } from './evidence/observations';
import { createFrameLocator, type FrameLocator } from './geo/locator';
import { MqttPublisher } from './publish/mqtt-publisher';
import { HealthRecorder } from './stats/health-recorder';
import { StatsReporter } from './stats/stats-reporter';
import { readImageFrames, type EncodedFrame } from './sources/directory';
import { SnapshotSource, type SnapshotStats } from './sources/snapshot';
import type { SourceStats } from './sources/video';
import { runTrafficCamera } from './pipeline/traffic-camera';
import { ObjectDetector } from './vision/detector';

/** Counters of one agent run. */
export interface AgentStats {
  /** Frames read from the sources. */
  frames: number;
  /** Frames the detector could not process (corrupt image, over the pixel limit, ...). */
  failed: number;
  /** Observation messages spooled for the broker (one per frame with detections). */
  messages: number;
  /** Observations (detected objects) in those messages. */
  observations: number;
  /** Messages (of any kind) still in the spool at exit, unacknowledged; sent after the next start. */
  unsent: number;
  /** Redacted evidence JPEGs acknowledged by the broker (observations of incident-raising categories). */
  evidence: number;
  /** Evidence JPEGs not published (broker not connected, or the publish failed): evidence is not spooled. */
  evidenceSkipped: number;
  /** Traffic count messages spooled (video cameras: one per line per interval). */
  trafficMessages: number;
  /** Video and snapshot cameras: their source's last state and counters (reconnects, drops, last error). */
  sources: Record<string, SourceStats | SnapshotStats>;
}

/** Options of {@link runAgent}. */
export interface AgentRunOptions {
  /** Stops the sources; the agent then publishes `stopped` and returns. */
  signal?: AbortSignal;
  logger?: Logger;
}

/**
 * Runs the edge agent: for every camera, frames → detector → one ObservationMessage per frame
 * with detections → spool → MQTT, plus a StatsMessage every `statsIntervalSeconds`. Cameras run
 * concurrently and share one detector session. The broker need not be reachable: messages wait
 * in the spool (`<stateDir>/spool.sqlite`) until it is.
 * Each frame gets a position (its EXIF GPS, else the camera's GPS track at the capture time, else
 * the fixed position; see `geo/locator.ts`); each observation its city category from the model's
 * taxonomy (`model.taxonomy`, else the manifest's), and those of incident-raising categories a
 * redacted evidence JPEG on `.../evidence/{observationId}` (best effort, not spooled).
 * Returns when every source is exhausted (or `signal` aborts), after the spool drained (or
 * `spool.flushOnStopSeconds` passed; the rest is sent after the next start, see `unsent`) and the
 * retained status says `stopped`.
 *
 * @throws Error when the model cannot be resolved, the spool cannot be opened, the taxonomy or a
 *   camera's GPS log cannot be read or is invalid.
 */
export async function runAgent(config: AgentConfig, options: AgentRunOptions = {}): Promise<AgentStats> {
  const log = options.logger ?? pino({ name: 'sightline-edge' });
  const startedAt = new Date().toISOString();
  const { manifest, path: modelPath } = await resolveModel(config.model?.id ?? 'yolox-nano');
  // Taxonomy: config override, else the manifest's. Categories and evidence need it; without one,
  // observations go out uncategorised. Loaded first: a bad taxonomy file fails before anything starts.
  const taxonomyRef = config.model?.taxonomy ?? manifest.taxonomy;
  const taxonomy = taxonomyRef ? loadTaxonomy(taxonomyRef) : undefined;
  if (taxonomy) {
    const unknown = unknownTaxonomyLabels(taxonomy, manifest.labels);
    if (unknown.length > 0) log.warn({ taxonomy: taxonomy.id, model: manifest.id, labels: unknown }, 'taxonomy labels the model never emits');
  }
  const hasVideo = config.cameras.some((c) => c.source.type === 'video');
  const detector = await ObjectDetector.create({
    manifest,
    modelPath,
    intraOpThreads: config.model?.intraOpThreads ?? (hasVideo ? 1 : undefined),
    interOpThreads: config.model?.interOpThreads,
    // Video: inference on its own thread, so decoding, tracking and publishing overlap with it.
    ...(hasVideo ? { worker: true, allowSpinning: false } : {}),
  });
  const publisher = new MqttPublisher({
    deviceId: config.deviceId,
    mqttUrl: config.mqtt.url,
    username: config.mqtt.username,
    password: config.mqtt.password,
    protocolVersion: config.mqtt.protocolVersion,
    sessionExpirySeconds: config.mqtt.sessionExpirySeconds,
    inFlightWindow: config.mqtt.inFlightWindow,
    spoolFile: join(config.stateDir ?? `.sightline/edge-${config.deviceId}`, 'spool.sqlite'),
    spoolMaxBytes: config.spool?.maxBytes,
    startedAt,
    info: { model: manifest.id, cameras: config.cameras.map((c) => c.id) },
    logger: log,
  });
  const health = new HealthRecorder();
  const reporter = new StatsReporter({ sink: publisher, recorder: health, startedAt, intervalSeconds: config.statsIntervalSeconds, logger: log });
  const stats: AgentStats = {
    frames: 0,
    failed: 0,
    messages: 0,
    observations: 0,
    unsent: 0,
    evidence: 0,
    evidenceSkipped: 0,
    trafficMessages: 0,
    sources: {},
  };
  const evidenceSent = new Set<Promise<void>>();
  const locators: FrameLocator[] = [];
  try {
    reporter.start();
    log.info({ deviceId: config.deviceId, mqtt: config.mqtt.url, model: manifest.id, spool: publisher.spoolStats }, 'edge agent started');
    const score = config.model?.score ?? manifest.defaults.score;
    const iou = config.model?.iou ?? manifest.defaults.iou;

    const runCamera = async (camera: CameraConfig) => {
      // Position of each frame: its EXIF GPS, else the GPS track at its capture time, else the fixed position.
      const locator = await createFrameLocator(camera, {
        warn: (message, details) => log.warn({ camera: camera.id, ...details }, message),
      });
      locators.push(locator);
      if (camera.source.type === 'video') {
        // Video: tracking and line counts → TrafficCount per line per interval (no per-frame observations).
        const summary = await runTrafficCamera({
          deviceId: config.deviceId,
          cameraId: camera.id,
          source: camera.source,
          lines: camera.lines ?? [],
          zones: camera.zones ?? [],
          ...(camera.intervalSeconds !== undefined ? { intervalSeconds: camera.intervalSeconds } : {}),
          ...(camera.classes ? { classes: camera.classes } : {}),
          ...(camera.position ? { position: { ...camera.position, source: 'fixed' as const } } : {}),
          detector,
          detect: { ...(config.model?.iou !== undefined ? { iou: config.model.iou } : {}) },
          sink: {
            publishTraffic: async (draft) => {
              await publisher.publishTraffic(draft);
              stats.trafficMessages += 1;
            },
          },
          health,
          signal: options.signal,
          logger: log,
          onSourceStats: (s) => (stats.sources[camera.id] = s),
        });
        stats.frames += summary.frames;
        log.info({ camera: camera.id, frames: summary.frames, lines: summary.lines }, 'video camera finished');
        return;
      }
      const onSkipped = (file: string, error: Error) => {
        stats.failed += 1;
        health.frameIn();
        health.frameDropped();
        log.warn({ camera: camera.id, file, err: error.message }, 'frame skipped');
      };
      let frames: AsyncIterable<EncodedFrame>;
      if (camera.source.type === 'snapshot') {
        const snapshot = new SnapshotSource({
          deviceId: config.deviceId,
          cameraId: camera.id,
          url: camera.source.url,
          intervalSeconds: camera.source.intervalSeconds,
          ...(camera.position ? { position: { ...camera.position, source: 'fixed' as const } } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
          onStateChange: (state, s) => {
            stats.sources[camera.id] = s;
            if (state === 'error') log.warn({ camera: camera.id, err: s.lastError, failures: s.failures }, 'snapshot camera failing (retrying)');
            else log.info({ camera: camera.id, state }, 'snapshot camera state');
          },
        });
        frames = snapshot;
      } else {
        frames = readImageFrames(
          {
            deviceId: config.deviceId,
            cameraId: camera.id,
            paths: camera.source.paths,
            fps: camera.source.fps,
            loop: camera.source.loop,
            position: camera.position ? { ...camera.position, source: 'fixed' } : undefined,
            signal: options.signal,
          },
          onSkipped,
        );
      }
      for await (const frame of frames) {
        stats.frames += 1;
        health.frameIn();
        let result;
        try {
          const start = performance.now();
          result = await detector.detect(frame.image, { score, iou });
          health.frameProcessed(performance.now() - start);
        } catch (err) {
          stats.failed += 1;
          health.frameDropped();
          log.warn({ camera: camera.id, file: frame.source, err: (err as Error).message }, 'frame failed');
          continue;
        }
        if (result.detections.length === 0) continue;
        const position = (await locator.locate(frame)) ?? frame.position;
        // Still images: no tracks, so the taxonomy's minFrames gate is 1 (see observeFrame).
        const observed = await observeFrame(frame.image, result.detections, { taxonomy, hits: 'still' });
        const message = await publisher.publishObservations({
          cameraId: frame.cameraId,
          capturedAt: frame.capturedAt,
          frame: { width: result.width, height: result.height, source: frame.source },
          model: { id: manifest.id },
          ...(position ? { position } : {}),
          observations: observed.observations,
        });
        stats.messages += 1;
        stats.observations += message.observations.length;
        for (const item of observed.evidence) {
          const sent: Promise<void> = publisher.publishEvidence(item.observationId, item.jpeg).then((ok) => {
            if (ok) stats.evidence += 1;
            else stats.evidenceSkipped += 1;
            evidenceSent.delete(sent);
          });
          evidenceSent.add(sent);
        }
        log.debug({ camera: camera.id, file: frame.source, detections: message.observations.length, evidence: observed.evidence.length }, 'published');
      }
    };
    await Promise.all(config.cameras.map(runCamera));
  } finally {
    await Promise.all([...evidenceSent]);
    await Promise.all(locators.map((l) => l.close()));
    await reporter.stop().catch((err: Error) => log.warn({ err: err.message }, 'last stats report failed'));
    const closed = await publisher.close((config.spool?.flushOnStopSeconds ?? 10) * 1000);
    stats.unsent = closed.unsent;
    await detector.close();
  }
  log.info(stats, 'edge agent finished');
  return stats;
}
