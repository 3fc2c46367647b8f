/**
 * Agent health: frame counters and inference percentiles ({@link HealthRecorder}) reported every
 * N seconds on `sightline/v1/<deviceId>/stats` ({@link StatsReporter}).
 */
export { RollingPercentiles } from './rolling-percentiles';
export { HealthRecorder, type HealthSnapshot } from './health-recorder';
export { StatsReporter, type StatsReporterOptions, type StatsSink } from './stats-reporter';
