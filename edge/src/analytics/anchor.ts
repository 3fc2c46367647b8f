/**
 * Anchors: which point of a bounding box stands for "where the object is".
 *
 * A box covers a whole region; to decide whether a car crossed a line or stands in a zone we
 * follow one point of it. For road users seen from a pole camera the natural choice is where
 * they touch the ground, the middle of the box's bottom edge: {@link Anchor.BOTTOM_CENTER}, the
 * default everywhere in analytics. The names follow supervision's `sv.Position`
 * (https://github.com/roboflow/supervision, `supervision/geometry/core.py`).
 *
 * ```
 *  TOP_LEFT ────── TOP_CENTER ────── TOP_RIGHT          (x grows right, y grows down,
 *     │                                  │                pixels of the original frame)
 *  CENTER_LEFT       CENTER       CENTER_RIGHT
 *     │                                  │
 *  BOTTOM_LEFT ── BOTTOM_CENTER ── BOTTOM_RIGHT
 * ```
 *
 * Sharp edge: with a high-mounted camera looking down at a steep angle the bottom of the box is
 * close to the ground contact; at a shallow angle, or for tall vehicles partly outside the frame
 * (boxes are clipped to the image), the bottom edge can jump when the object enters or leaves
 * the image. Draw lines and zones well inside the frame.
 *
 * @example
 * anchorPoint([100, 50, 140, 130]);                 // [120, 130]  (BOTTOM_CENTER)
 * anchorPoint([100, 50, 140, 130], Anchor.CENTER);  // [120, 90]
 */
import type { Box } from '../vision/preprocess/letterbox';

/** `[x, y]` in pixels of the original frame, y down. */
export type Point = [number, number];

/** Named anchor positions on a box (string values, usable in JSON config). */
export const Anchor = {
  CENTER: 'CENTER',
  CENTER_LEFT: 'CENTER_LEFT',
  CENTER_RIGHT: 'CENTER_RIGHT',
  TOP_CENTER: 'TOP_CENTER',
  TOP_LEFT: 'TOP_LEFT',
  TOP_RIGHT: 'TOP_RIGHT',
  BOTTOM_LEFT: 'BOTTOM_LEFT',
  BOTTOM_CENTER: 'BOTTOM_CENTER',
  BOTTOM_RIGHT: 'BOTTOM_RIGHT',
} as const;
export type Anchor = (typeof Anchor)[keyof typeof Anchor];

/** The anchor used when none is given. */
export const DEFAULT_ANCHOR: Anchor = Anchor.BOTTOM_CENTER;

/** The point of `box` (`[x1, y1, x2, y2]`, px) named by `anchor` (default BOTTOM_CENTER). */
export function anchorPoint(box: Readonly<Box>, anchor: Anchor = DEFAULT_ANCHOR): Point {
  const [x1, y1, x2, y2] = box;
  const cx = (x1 + x2) / 2;
  const cy = (y1 + y2) / 2;
  switch (anchor) {
    case Anchor.CENTER:
      return [cx, cy];
    case Anchor.CENTER_LEFT:
      return [x1, cy];
    case Anchor.CENTER_RIGHT:
      return [x2, cy];
    case Anchor.TOP_CENTER:
      return [cx, y1];
    case Anchor.TOP_LEFT:
      return [x1, y1];
    case Anchor.TOP_RIGHT:
      return [x2, y1];
    case Anchor.BOTTOM_LEFT:
      return [x1, y2];
    case Anchor.BOTTOM_CENTER:
      return [cx, y2];
    case Anchor.BOTTOM_RIGHT:
      return [x2, y2];
    default:
      throw new RangeError(`anchorPoint: unknown anchor ${JSON.stringify(anchor)}; expected one of ${Object.values(Anchor).join(', ')}`);
  }
}
