/**
 * Analytics stage: tracks → traffic counts and zone events.
 *
 * - `anchor.ts`              — which point of a box stands for the object (BOTTOM_CENTER default)
 * - `tracked-object.ts`      — what analytics needs from a tracker
 * - `line-counter.ts`        — {@link LineCounter}: IN/OUT crossings of a line segment, per class
 * - `zone.ts`                — {@link PolygonZone}: occupancy, enter/exit, dwell time
 * - `interval-aggregator.ts` — {@link IntervalAggregator}: crossings → clock-aligned per-line counts
 */
export { Anchor, DEFAULT_ANCHOR, anchorPoint } from './anchor';
export type { Point } from './anchor';
export type { TrackedObject } from './tracked-object';
export { LineCounter, LINE_DIRECTION_CONVENTION, signedDistance } from './line-counter';
export type { CountingLine, Crossing, CrossingDirection, LineCounts, LineCounterOptions } from './line-counter';
export { PolygonZone, pointInPolygon } from './zone';
export type { ZoneSpec, ZoneEvent, ZoneOccupancy, ZoneUpdate, ZoneMember, PolygonZoneOptions } from './zone';
export { IntervalAggregator, intervalStartOf } from './interval-aggregator';
export type { TrafficCountDraft, IntervalAggregatorOptions } from './interval-aggregator';
