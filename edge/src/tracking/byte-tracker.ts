/**
 * ByteTrack: multi-object tracking by associating every detection box — gives each object a
 * stable id from frame to frame, so that analytics can count *objects* rather than *detections*.
 *
 * Zhang et al., "ByteTrack: Multi-Object Tracking by Associating Every Detection Box", ECCV 2022
 * (https://arxiv.org/abs/2110.06864); reference code `yolox/tracker/byte_tracker.py` and
 * `matching.py` in https://github.com/ifzhang/ByteTrack. The idea: low-score boxes are often real
 * objects that are partly occluded or blurred, so instead of throwing them away they are used — in
 * a second pass, and only to *continue* tracks that already exist, never to start one.
 *
 * One {@link ByteTracker.update} per frame:
 *
 * ```
 *  detections ──┬─ high: score ≥ trackThresh (0.5)
 *               └─ low:  lowThresh (0.1) < score < trackThresh          (the rest is dropped)
 *
 *  0. Kalman-predict every track to this frame (see kalman.ts).
 *  1. confirmed (tracked + lost) tracks  × high   cost 1 − IoU·score, match if cost < 0.8
 *        matched lost tracks are re-found (state back to 'tracked', same id)
 *  2. still-unmatched *tracked* tracks   × low    cost 1 − IoU,        match if cost < 0.5
 *        tracks unmatched after this become 'lost'
 *  3. tentative tracks                   × high left over              match if cost < 0.7
 *        a tentative track that misses a frame is deleted
 *  4. high left over with score ≥ newTrackThresh (trackThresh + 0.1) → new tentative track
 *  5. lost tracks not re-found for more than trackBuffer · frameRate/30 frames → removed
 *  6. a track born after a lost track was last seen, overlapping its prediction with IoU > 0.85,
 *     is that lost object again: the lost track takes it over (keeps its id)
 * ```
 *
 * What this implementation decides (and how it differs from the reference):
 * - **Confirmation.** A new track is *tentative* until it has `minHits` consecutive hits
 *   (default 3; ByteTrack confirms on the second hit = `minHits: 2`, and confirms everything on the
 *   very first frame of a video, which we do not). Tentative tracks are never returned and do not
 *   consume ids: ids are given on confirmation, so they are 1, 2, 3, … without gaps (as
 *   supervision's `ByteTrack` does with its external ids).
 * - **Class-agnostic association, voted class.** Matching ignores the class — a car briefly
 *   detected as a truck keeps its track. A track's `label` is the class with the largest sum of
 *   detection scores over all detections it was matched to (score-weighted majority vote); on a tie
 *   the current label stays. The vote can change during a track's life.
 * - **Output box.** `box` is the matched detection's box when the track was matched this frame
 *   (no smoothing lag for line counting), and the Kalman prediction when it is lost.
 * - **Lost tracks are returned** (state `'lost'`, predicted box) until removed, so zones and line
 *   counters can hold a track's state through a short occlusion. Filter on `state` to draw only
 *   what was seen. Tracks removed in the last update are in {@link ByteTracker.removed}.
 * - **Score fusion** (`fuseScore`, default on as in ByteTrack for MOT17): in steps 1 and 3 the
 *   cost is `1 − IoU · score`, so a weak detection must overlap more to win.
 * - **Time.** Without `frameTimeMs` every update is one frame. With it, the filter predicts
 *   `dt = Δt · frameRate / 1000` frames (fractional) and the lost buffer counts those frames, so
 *   frames skipped by a slow detector are predicted through and `trackBuffer` means
 *   `trackBuffer / 30` seconds whatever the processing rate. Set `frameRate` to the rate at which
 *   `update` is usually called; a non-increasing time counts as one frame.
 * - **Duplicates.** ByteTrack's `remove_duplicate_stracks` drops the younger of any tracked/lost
 *   pair with IoU > 0.85 (the tracked one on a tie). In an X-shaped crossing where NMS hides the
 *   rear object for a few frames, that pair is the two crossing objects, and one of them loses its
 *   id. Here a pair counts as a duplicate only if the tracked one was born after the lost one was
 *   last matched (it cannot be a different object seen at the same time), and the lost track
 *   *takes over* the new one (state, hits, votes) instead of the newer simply being deleted.
 * - Every predict step on a lost track zeroes the height velocity first, as ByteTrack's
 *   `STrack.predict` does (a lost box must not grow or shrink without evidence). Tentative tracks
 *   are predicted too (ByteTrack leaves them in place; with `minHits > 2` prediction matters).
 *
 * Sharp edges: IoU association needs overlap between a track's prediction and its next box — at a
 * low frame rate a fast, small object moves more than its own width and gets a new id each frame.
 * Detections with non-finite or empty boxes are ignored.
 *
 * @example
 * const tracker = new ByteTracker({ frameRate: 10 });
 * for await (const frame of frames) {
 *   const { detections } = await detector.detect(frame.image);
 *   const tracks = tracker.update(detections, Date.parse(frame.capturedAt));
 *   // [{ id: 1, label: 'car', box: [...], state: 'tracked', hits: 12, ... }, ...]
 * }
 */
import type { Detection } from '../vision/detector';
import type { Box } from '../vision/preprocess/letterbox';
import { iou } from '../vision/nms';
import { linearAssignment } from './assignment';
import { KalmanBoxFilter, boxToXyah, xyahToBox, type KalmanOptions, type KalmanState } from './kalman';

/** `'tracked'`: matched to a detection this frame; `'lost'`: not seen, kept for a while. */
export type TrackState = 'tracked' | 'lost';

/** A confirmed track, as returned by {@link ByteTracker.update} (a snapshot: safe to keep). */
export interface Track {
  /** Stable id, 1, 2, 3, … in order of confirmation; never reused by one tracker. */
  id: number;
  /** `[x1, y1, x2, y2]` px: the matched detection's box, or the Kalman prediction when lost. */
  box: Box;
  /** Majority class over the track's life (score-weighted vote). */
  label: string;
  /** Class id of `label`. */
  classId: number;
  /** Score of the detection matched most recently. */
  score: number;
  /** Number of detections matched to this track. */
  hits: number;
  /** Number of `update` calls since the track's first detection (1 on that frame). */
  age: number;
  /** Number of `update` calls since the last match (0 when `state` is `'tracked'`). */
  timeSinceUpdate: number;
  state: TrackState;
  /** The detection matched most recently (this frame when `state` is `'tracked'`). */
  lastDetection?: Detection;
  /**
   * Box of the track's first detection (while it was still tentative), px. Lets analytics place
   * the object where it was first seen rather than where it was confirmed `minHits` frames later.
   */
  firstBox?: Box;
  /** `frameTimeMs` of the first detection, when times are given. */
  firstSeenMs?: number;
  /** `frameTimeMs` of the most recent match, when times are given. */
  lastSeenMs?: number;
}

/** Options of {@link ByteTracker}; defaults are ByteTrack's unless said. */
export interface ByteTrackerOptions {
  /** Detections at or above this score are "high" (first association, may start tracks); 0.5. */
  trackThresh?: number;
  /** Detections at or below this score are ignored; 0.1. */
  lowThresh?: number;
  /** Minimum score to start a new track; default `trackThresh + 0.1` (ByteTrack's `det_thresh`). */
  newTrackThresh?: number;
  /** First association (confirmed × high): match when cost < this; 0.8. */
  matchThresh?: number;
  /** Second association (tracked × low, cost 1 − IoU): 0.5. */
  lowMatchThresh?: number;
  /** Tentative tracks × remaining high detections: 0.7. */
  unconfirmedMatchThresh?: number;
  /** Consecutive hits for a tentative track to be confirmed; 3 (ByteTrack: 2). */
  minHits?: number;
  /** Frames (at 30 fps) a lost track is kept; 30. Scaled to `trackBuffer · frameRate / 30`. */
  trackBuffer?: number;
  /** Frames per second of `update` calls; 30. */
  frameRate?: number;
  /** Multiply IoU by the detection score in the first and third association; true. */
  fuseScore?: boolean;
  /** Noise weights of the Kalman filter. */
  kalman?: KalmanOptions;
}

/** A new and a lost track overlapping more than this are one object (ByteTrack: distance < 0.15). */
const DUPLICATE_IOU = 0.85;

type Status = 'tentative' | 'tracked' | 'lost' | 'removed';

interface Vote {
  label: string;
  weight: number;
}

/** Internal, mutable track record. */
interface TrackRecord {
  /** 0 while tentative. */
  id: number;
  status: Status;
  kf: KalmanState;
  /** Box used for association and output when not matched: the Kalman mean. */
  predicted: Box;
  /** Output box. */
  box: Box;
  detection: Detection;
  hits: number;
  age: number;
  timeSinceUpdate: number;
  /** Tracker frame clock at the last match. */
  lastHitClock: number;
  votes: Map<number, Vote>;
  classId: number;
  label: string;
  firstBox: Box;
  firstSeenMs?: number;
  lastSeenMs?: number;
}

/** ByteTrack multi-object tracker. See the module documentation. */
export class ByteTracker {
  private readonly trackThresh: number;
  private readonly lowThresh: number;
  private readonly newTrackThresh: number;
  private readonly matchThresh: number;
  private readonly lowMatchThresh: number;
  private readonly unconfirmedMatchThresh: number;
  private readonly minHits: number;
  private readonly frameRate: number;
  private readonly fuseScore: boolean;
  /** Lost tracks are removed after this many frames without a match. */
  readonly maxTimeLost: number;
  private readonly kf: KalmanBoxFilter;

  private tracks: TrackRecord[] = [];
  private nextId = 1;
  private clock = 0;
  private lastTimeMs: number | undefined;
  private removedLast: Track[] = [];

  constructor(options: ByteTrackerOptions = {}) {
    this.trackThresh = options.trackThresh ?? 0.5;
    this.lowThresh = options.lowThresh ?? 0.1;
    this.newTrackThresh = options.newTrackThresh ?? this.trackThresh + 0.1;
    this.matchThresh = options.matchThresh ?? 0.8;
    this.lowMatchThresh = options.lowMatchThresh ?? 0.5;
    this.unconfirmedMatchThresh = options.unconfirmedMatchThresh ?? 0.7;
    this.minHits = Math.max(1, Math.floor(options.minHits ?? 3));
    this.frameRate = options.frameRate ?? 30;
    this.fuseScore = options.fuseScore ?? true;
    const trackBuffer = options.trackBuffer ?? 30;
    if (!(this.frameRate > 0)) throw new RangeError(`ByteTracker: frameRate ${this.frameRate} must be > 0 (frames per second of update calls)`);
    if (!(trackBuffer >= 0)) throw new RangeError(`ByteTracker: trackBuffer ${trackBuffer} must be ≥ 0 (frames at 30 fps)`);
    if (!(this.lowThresh < this.trackThresh)) {
      throw new RangeError(`ByteTracker: lowThresh ${this.lowThresh} must be below trackThresh ${this.trackThresh}`);
    }
    this.maxTimeLost = Math.floor((this.frameRate / 30) * trackBuffer);
    this.kf = new KalmanBoxFilter(options.kalman);
  }

  /** Confirmed tracks currently lost (not seen, still kept). */
  get lostTracks(): Track[] {
    return this.tracks.filter((t) => t.status === 'lost' && t.id > 0).map(snapshot);
  }

  /** Confirmed tracks removed during the last {@link update} (lost too long, or duplicates). */
  get removed(): Track[] {
    return this.removedLast.slice();
  }

  /** Forget all tracks (ids keep increasing). */
  reset(): void {
    this.tracks = [];
    this.removedLast = [];
    this.clock = 0;
    this.lastTimeMs = undefined;
  }

  /**
   * Advance one frame.
   *
   * @param detections this frame's detections (any order; boxes in original-frame pixels).
   * @param frameTimeMs capture time of the frame in ms (e.g. `Date.parse(frame.capturedAt)`);
   *   optional, see "Time" in the module docs.
   * @returns confirmed tracks, `'tracked'` and `'lost'`, sorted by id.
   */
  update(detections: readonly Detection[], frameTimeMs?: number): Track[] {
    const dt = this.advanceClock(frameTimeMs);
    const removed: TrackRecord[] = [];

    const valid = detections.filter(
      (d) => Number.isFinite(d.score) && d.box.every(Number.isFinite) && d.box[2] > d.box[0] && d.box[3] > d.box[1],
    );
    const high = valid.filter((d) => d.score >= this.trackThresh);
    const low = valid.filter((d) => d.score > this.lowThresh && d.score < this.trackThresh);

    // 0. predict
    for (const t of this.tracks) {
      t.age += 1;
      t.timeSinceUpdate += 1;
      let state = t.kf;
      if (t.status === 'lost') {
        const mean = state.mean.slice();
        mean[7] = 0;
        state = { mean, covariance: state.covariance };
      }
      t.kf = this.kf.predict(state, dt);
      t.predicted = xyahToBox(t.kf.mean);
      t.box = t.predicted;
    }

    // 1. confirmed (tracked + lost) × high
    const pool = this.tracks.filter((t) => t.status === 'tracked' || t.status === 'lost');
    const first = this.assign(pool, high, this.fuseScore, this.matchThresh);
    for (const [ti, di] of first.matches) this.hit(pool[ti]!, high[di]!, frameTimeMs);

    // 2. remaining tracked × low
    const remaining = first.unmatchedRows.map((i) => pool[i]!).filter((t) => t.status === 'tracked');
    const second = this.assign(remaining, low, false, this.lowMatchThresh);
    for (const [ti, di] of second.matches) this.hit(remaining[ti]!, low[di]!, frameTimeMs);
    for (const ti of second.unmatchedRows) remaining[ti]!.status = 'lost';

    // 3. tentative × high left over
    const highLeft = first.unmatchedCols.map((j) => high[j]!);
    const tentative = this.tracks.filter((t) => t.status === 'tentative');
    const third = this.assign(tentative, highLeft, this.fuseScore, this.unconfirmedMatchThresh);
    for (const [ti, di] of third.matches) this.hit(tentative[ti]!, highLeft[di]!, frameTimeMs);
    for (const ti of third.unmatchedRows) tentative[ti]!.status = 'removed';

    // 4. new tracks
    for (const di of third.unmatchedCols) {
      const det = highLeft[di]!;
      if (det.score >= this.newTrackThresh) this.tracks.push(this.start(det, frameTimeMs));
    }

    // 5. expire lost tracks
    for (const t of this.tracks) {
      if (t.status === 'lost' && this.clock - t.lastHitClock > this.maxTimeLost) {
        t.status = 'removed';
        removed.push(t);
      }
    }

    // 6. duplicates: a track started on an object whose lost track's prediction overlaps it
    // (IoU > 0.85) — the lost track takes it over and keeps its id. See "Duplicates" above.
    const lost = this.tracks.filter((t) => t.status === 'lost');
    for (const a of this.tracks) {
      if (a.status !== 'tracked' && a.status !== 'tentative') continue;
      for (const b of lost) {
        if (b.status !== 'lost' || a.age > b.timeSinceUpdate) continue;
        if (iou(xyahToBox(a.kf.mean), b.predicted) <= DUPLICATE_IOU) continue;
        this.takeOver(b, a);
        if (a.id > 0) removed.push(a);
        break;
      }
    }

    this.tracks = this.tracks.filter((t) => t.status !== 'removed');
    this.removedLast = removed.filter((t) => t.id > 0).map(snapshot);
    return this.tracks
      .filter((t) => t.id > 0)
      .sort((a, b) => a.id - b.id)
      .map(snapshot);
  }

  private advanceClock(frameTimeMs: number | undefined): number {
    let dt = 1;
    if (frameTimeMs !== undefined && Number.isFinite(frameTimeMs)) {
      if (this.lastTimeMs !== undefined && frameTimeMs > this.lastTimeMs) {
        dt = Math.min(((frameTimeMs - this.lastTimeMs) * this.frameRate) / 1000, this.maxTimeLost + 1);
      }
      if (this.lastTimeMs === undefined || frameTimeMs > this.lastTimeMs) this.lastTimeMs = frameTimeMs;
    }
    this.clock += dt;
    return dt;
  }

  private costs(tracks: readonly TrackRecord[], dets: readonly Detection[], fuse: boolean): number[][] {
    return tracks.map((t) => dets.map((d) => 1 - iou(t.predicted, d.box) * (fuse ? d.score : 1)));
  }

  private assign(tracks: readonly TrackRecord[], dets: readonly Detection[], fuse: boolean, threshold: number) {
    return linearAssignment(this.costs(tracks, dets, fuse), threshold, dets.length);
  }

  private start(det: Detection, frameTimeMs: number | undefined): TrackRecord {
    const kf = this.kf.initiate(boxToXyah(det.box));
    const t: TrackRecord = {
      id: 0,
      status: 'tentative',
      kf,
      predicted: xyahToBox(kf.mean),
      box: [...det.box],
      detection: det,
      hits: 1,
      age: 1,
      timeSinceUpdate: 0,
      lastHitClock: this.clock,
      votes: new Map([[det.classId, { label: det.label, weight: det.score }]]),
      classId: det.classId,
      label: det.label,
      firstBox: [...det.box],
    };
    if (frameTimeMs !== undefined) {
      t.firstSeenMs = frameTimeMs;
      t.lastSeenMs = frameTimeMs;
    }
    if (this.minHits <= 1) this.confirm(t);
    return t;
  }

  private hit(t: TrackRecord, det: Detection, frameTimeMs: number | undefined): void {
    t.kf = this.kf.update(t.kf, boxToXyah(det.box));
    t.box = [...det.box];
    t.detection = det;
    t.hits += 1;
    t.timeSinceUpdate = 0;
    t.lastHitClock = this.clock;
    if (frameTimeMs !== undefined) {
      t.firstSeenMs ??= frameTimeMs;
      t.lastSeenMs = frameTimeMs;
    }
    const vote = t.votes.get(det.classId);
    if (vote) vote.weight += det.score;
    else t.votes.set(det.classId, { label: det.label, weight: det.score });
    elect(t);
    if (t.status === 'tentative') {
      if (t.hits >= this.minHits) this.confirm(t);
    } else {
      t.status = 'tracked';
    }
  }

  /** `keep` (lost) continues as `dup` (a younger track on the same object); `dup` is removed. */
  private takeOver(keep: TrackRecord, dup: TrackRecord): void {
    keep.kf = dup.kf;
    keep.predicted = dup.predicted;
    keep.box = dup.box;
    keep.detection = dup.detection;
    keep.hits += dup.hits;
    keep.timeSinceUpdate = dup.timeSinceUpdate;
    keep.lastHitClock = dup.lastHitClock;
    if (dup.lastSeenMs !== undefined) keep.lastSeenMs = dup.lastSeenMs;
    for (const [classId, v] of dup.votes) {
      const mine = keep.votes.get(classId);
      if (mine) mine.weight += v.weight;
      else keep.votes.set(classId, { ...v });
    }
    elect(keep);
    keep.status = dup.timeSinceUpdate === 0 ? 'tracked' : 'lost';
    dup.status = 'removed';
  }

  private confirm(t: TrackRecord): void {
    t.status = 'tracked';
    t.id = this.nextId++;
  }
}

/** Score-weighted majority vote; strictly greater, so a tie keeps the current label. */
function elect(t: TrackRecord): void {
  let bestWeight = t.votes.get(t.classId)!.weight;
  for (const [classId, v] of t.votes) {
    if (v.weight > bestWeight) {
      bestWeight = v.weight;
      t.classId = classId;
      t.label = v.label;
    }
  }
}

function snapshot(t: TrackRecord): Track {
  const out: Track = {
    id: t.id,
    box: [...t.box],
    label: t.label,
    classId: t.classId,
    score: t.detection.score,
    hits: t.hits,
    age: t.age,
    timeSinceUpdate: t.timeSinceUpdate,
    state: t.status === 'tracked' ? 'tracked' : 'lost',
    lastDetection: t.detection,
    firstBox: [...t.firstBox],
  };
  if (t.firstSeenMs !== undefined) out.firstSeenMs = t.firstSeenMs;
  if (t.lastSeenMs !== undefined) out.lastSeenMs = t.lastSeenMs;
  return out;
}
