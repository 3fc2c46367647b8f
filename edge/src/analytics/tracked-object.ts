/**
 * What analytics needs from a tracker: an id that stays with one object, its box and its class.
 *
 * `Track` from `tracking/byte-tracker.ts` satisfies this interface; any other tracker can
 * be plugged in by producing these fields.
 *
 * Pass analytics **every** track the tracker returns for a frame, lost ones included: a track
 * missing from an update is taken as gone (zones emit its exit, line counters forget its side),
 * while a `'lost'` track keeps its state through a short occlusion.
 */
import type { Box } from '../vision/preprocess/letterbox';

export interface TrackedObject {
  /** Stable track id. */
  id: number;
  /** `[x1, y1, x2, y2]` in pixels of the original frame. */
  box: Readonly<Box>;
  /** The track's class (ByteTracker: score-weighted majority over its life). */
  label: string;
  /** `'lost'`: not seen this frame, box predicted; analytics hold its state. Default `'tracked'`. */
  state?: 'tracked' | 'lost';
}
