/**
 * @sightline/edge — the edge agent: sources → vision → tracking → analytics → publish (pipeline: the video driver).
 */
export * from './vision/index';
export * from './sources/frame';
export * from './sources/directory';
export * from './sources/capture-time';
export * from './publish/mqtt-publisher';
export * from './publish/spool';
export * from './stats/index';
export * from './config';
export * from './agent';
export * from './tracking/index';
export * from './analytics/index';
export * from './sources/bounded-queue';
export * from './sources/ffmpeg-process';
export * from './sources/video';
export * from './sources/snapshot';
export * from './pipeline/index';
export * from './annotate/index';
export * from './geo/index';
export * from './evidence/index';
