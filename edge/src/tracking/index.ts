/**
 * Tracking stage: detections of consecutive frames → tracks with stable ids (ByteTrack).
 *
 * - `byte-tracker.ts` — {@link ByteTracker}, two-stage association, class vote, lost/removed tracks
 * - `kalman.ts`       — constant-velocity box Kalman filter (SORT/ByteTrack parameterisation)
 * - `assignment.ts`   — thresholded optimal linear assignment (Hungarian)
 */
export { ByteTracker } from './byte-tracker';
export type { ByteTrackerOptions, Track, TrackState } from './byte-tracker';
export { KalmanBoxFilter, boxToXyah, xyahToBox } from './kalman';
export type { KalmanOptions, KalmanState, Xyah } from './kalman';
export { linearAssignment, hungarian } from './assignment';
export type { AssignmentResult } from './assignment';
