/**
 * @sightline/edge — the edge agent: sources → vision → (tracking → analytics) → publish.
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
export * from './geo/index';
export * from './evidence/index';
export * from './sources/bounded-queue';
export * from './sources/ffmpeg-process';
export * from './sources/video';
export * from './sources/snapshot';
