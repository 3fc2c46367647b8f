/**
 * Video pipeline: source → detect → track → count, overlapped (see `video-pipeline.ts`).
 *
 * - `traffic-analyzer.ts` — {@link TrafficAnalyzer}: detections → tracks → crossings, zones → interval drafts
 * - `video-pipeline.ts`   — {@link runVideoPipeline}: the driver with read-ahead, outlets and timings
 * - `traffic-camera.ts`   — {@link runTrafficCamera}: one video camera of the agent → TrafficCount messages
 * - `stage-timings.ts`    — {@link StageTimings}: per-stage p50/p95 over a bounded window
 */
export { TrafficAnalyzer, mergeAcrossClasses, TRAFFIC_TRACKER_DEFAULTS, TRAFFIC_LINE_DEFAULTS } from './traffic-analyzer';
export type { TrafficAnalyzerOptions, AnalyzedFrame, LineTotals } from './traffic-analyzer';
export { runVideoPipeline } from './video-pipeline';
export type { VideoPipelineOptions, PipelineFrame, PipelineSummary } from './video-pipeline';
export { runTrafficCamera, DEFAULT_TRAFFIC_CLASSES } from './traffic-camera';
export type { TrafficCameraOptions, TrafficSink, FrameHealth } from './traffic-camera';
export { StageTimings } from './stage-timings';
export type { StageSummary } from './stage-timings';
