import { describe, expect, it } from 'vitest';
import type { Detection } from '../../src/vision/detector';
import { ByteTracker, type Track } from '../../src/tracking/byte-tracker';

type Box = [number, number, number, number];

function det(box: Box, score = 0.9, label = 'car', classId = 2): Detection {
  return { label, classId, score, box };
}

/** Box of width w, height h with top-left (x, y). */
function rect(x: number, y: number, w = 40, h = 40): Box {
  return [x, y, x + w, y + h];
}

/** The track whose box is exactly `box` (a matched track reports its detection's box). */
function trackAt(tracks: Track[], box: Box): Track | undefined {
  return tracks.find((t) => t.box.every((v, i) => v === box[i]));
}

function run(tracker: ByteTracker, frames: Detection[][]): Track[][] {
  return frames.map((dets, i) => tracker.update(dets, i * (1000 / 30)));
}

describe('ByteTracker', () => {
  it('keeps the ids of two boxes moving in straight lines over 50 frames', () => {
    const a = (t: number) => rect(100 + 4 * t, 100, 60, 40);
    const b = (t: number) => rect(600 - 3 * t, 300 + 2 * t, 50, 50);
    const tracker = new ByteTracker();
    const out = run(tracker, Array.from({ length: 50 }, (_, t) => [det(a(t)), det(b(t), 0.8, 'bus', 5)]));
    // tentative for minHits = 3 frames, then confirmed in detection order of confirmation
    expect(out[0]).toEqual([]);
    expect(out[1]).toEqual([]);
    for (let t = 2; t < 50; t++) {
      expect(out[t]).toHaveLength(2);
      expect(trackAt(out[t]!, a(t))?.id).toBe(1);
      expect(trackAt(out[t]!, b(t))?.id).toBe(2);
    }
    const last = out[49]!;
    expect(last.map((t) => [t.label, t.state, t.hits, t.age])).toEqual([
      ['car', 'tracked', 50, 50],
      ['bus', 'tracked', 50, 50],
    ]);
  });

  it.each([1, 2, 3, 4, 5])('keeps the id through %i missed frames (lost → re-found)', (gap) => {
    const a = (t: number) => rect(100 + 5 * t, 200, 60, 40);
    const tracker = new ByteTracker();
    const out = run(
      tracker,
      Array.from({ length: 30 + gap }, (_, t) => (t >= 20 && t < 20 + gap ? [] : [det(a(t))])),
    );
    for (let t = 20; t < 20 + gap; t++) {
      expect(out[t]).toHaveLength(1);
      expect(out[t]![0]!.state).toBe('lost');
      expect(out[t]![0]!.id).toBe(1);
      // the lost box is the Kalman prediction along the path (within a pixel)
      out[t]![0]!.box.forEach((v, i) => expect(v).toBeCloseTo(a(t)[i]!, 0));
    }
    const after = out[20 + gap]!;
    expect(after.map((t) => [t.id, t.state])).toEqual([[1, 'tracked']]);
    expect(after[0]!.box).toEqual(a(20 + gap));
  });

  it('re-finds an object hidden for 10 frames behind another one, along its path', () => {
    const truck = rect(330, 80, 140, 120);
    const car = (t: number) => rect(100 + 10 * t, 120, 60, 40);
    const frames = Array.from({ length: 45 }, (_, t) =>
      t >= 20 && t < 30 ? [det(truck, 0.95, 'truck', 7)] : [det(truck, 0.95, 'truck', 7), det(car(t))],
    );
    const out = run(new ByteTracker(), frames);
    const carId = trackAt(out[19]!, car(19))!.id;
    const truckId = trackAt(out[19]!, truck)!.id;
    expect(carId).not.toBe(truckId);
    for (let t = 30; t < 45; t++) {
      expect(trackAt(out[t]!, car(t))?.id).toBe(carId);
      expect(trackAt(out[t]!, truck)?.id).toBe(truckId);
    }
    expect(Math.max(...out.flat().map((t) => t.id))).toBe(2); // no id was ever created for a fragment
  });

  it('keeps ids of two equal boxes crossing in an X, both detected throughout (full overlap for a frame)', () => {
    // A goes down-right, B down-left; they coincide exactly at t = 25.
    const a = (t: number) => rect(100 + 6 * t, 100 + 4 * t);
    const b = (t: number) => rect(400 - 6 * t, 100 + 4 * t);
    const out = run(new ByteTracker(), Array.from({ length: 50 }, (_, t) => [det(a(t)), det(b(t))]));
    const idA = trackAt(out[10]!, a(10))!.id;
    const idB = trackAt(out[10]!, b(10))!.id;
    for (let t = 30; t < 50; t++) {
      expect(trackAt(out[t]!, a(t))?.id).toBe(idA);
      expect(trackAt(out[t]!, b(t))?.id).toBe(idB);
    }
  });

  it('keeps ids of two crossing boxes when NMS hides the rear one while they overlap', () => {
    // Two lanes 10 px apart; when IoU > 0.45 the detector's NMS keeps only A (higher score).
    const a = (t: number) => rect(100 + 3 * t, 100 + 2 * t);
    const b = (t: number) => rect(400 - 3 * t, 110 + 2 * t);
    const iou = (p: Box, q: Box) => {
      const iw = Math.max(0, Math.min(p[2], q[2]) - Math.max(p[0], q[0]));
      const ih = Math.max(0, Math.min(p[3], q[3]) - Math.max(p[1], q[1]));
      return (iw * ih) / (2 * 1600 - iw * ih);
    };
    const hidden: number[] = [];
    const frames = Array.from({ length: 80 }, (_, t) => {
      if (iou(a(t), b(t)) > 0.45) {
        hidden.push(t);
        return [det(a(t), 0.9)];
      }
      return [det(a(t), 0.9), det(b(t), 0.8)];
    });
    expect(hidden).toEqual([49, 50, 51]);
    const out = run(new ByteTracker(), frames);
    const idA = trackAt(out[40]!, a(40))!.id;
    const idB = trackAt(out[40]!, b(40))!.id;
    expect(out[50]!.find((t) => t.id === idB)?.state).toBe('lost');
    for (let t = 52; t < 80; t++) {
      expect(trackAt(out[t]!, a(t))?.id).toBe(idA);
      expect(trackAt(out[t]!, b(t))?.id).toBe(idB);
    }
  });

  it('keeps ids when NMS hides one of two boxes crossing in an exact X for 5 frames', () => {
    // Same lane height: the boxes coincide at t = 50. ByteTrack's own duplicate removal would end
    // one of the two ids here (see "Duplicates" in byte-tracker.ts).
    const a = (t: number) => rect(100 + 3 * t, 100 + 2 * t);
    const b = (t: number) => rect(400 - 3 * t, 100 + 2 * t);
    const overlapping = (t: number) => Math.abs(a(t)[0] - b(t)[0]) < 15; // IoU > 0.45 ⇔ |dx| < 15.2
    const frames = Array.from({ length: 80 }, (_, t) => (overlapping(t) ? [det(a(t), 0.9)] : [det(a(t), 0.9), det(b(t), 0.8)]));
    expect(frames.filter((f) => f.length === 1)).toHaveLength(5);
    const out = run(new ByteTracker(), frames);
    const idA = trackAt(out[40]!, a(40))!.id;
    const idB = trackAt(out[40]!, b(40))!.id;
    for (let t = 53; t < 80; t++) {
      expect(trackAt(out[t]!, a(t))?.id).toBe(idA);
      expect(trackAt(out[t]!, b(t))?.id).toBe(idB);
    }
    expect(Math.max(...out.flat().map((t) => t.id))).toBe(2);
  });

  it('lets a lost track take over a newer track on the same object (duplicate) and keep its id', () => {
    // Moves right at 5 px/frame, vanishes at t = 20, reappears parked at x = 300 (far ahead of the
    // prediction, so a new track starts). The lost prediction reaches it around t = 40.
    const moving = (t: number) => rect(100 + 5 * t, 100, 60, 40);
    const parked = rect(300, 100, 60, 40);
    const frames = Array.from({ length: 50 }, (_, t) => (t < 20 ? [det(moving(t))] : t < 25 ? [] : [det(parked)]));
    const tracker = new ByteTracker();
    const out = frames.map((f, t) => {
      const r = tracker.update(f);
      return { tracks: r, removed: tracker.removed.map((x) => x.id), t };
    });
    expect(out[30]!.tracks.map((x) => [x.id, x.state])).toEqual([
      [1, 'lost'],
      [2, 'tracked'],
    ]);
    const merge = out.find((o) => o.removed.includes(2))!;
    expect(merge.t).toBeGreaterThan(35);
    expect(merge.t).toBeLessThan(45);
    expect(merge.tracks.map((x) => [x.id, x.state])).toEqual([[1, 'tracked']]);
    expect(out[49]!.tracks.map((x) => [x.id, x.state, x.box])).toEqual([[1, 'tracked', parked]]);
    expect(out[49]!.tracks[0]!.hits).toBe(20 + 25);
  });

  it('continues a track with low-score (0.2) detections but never starts one from them', () => {
    const a = (t: number) => rect(100 + 5 * t, 100, 60, 40);
    const ghost = (t: number) => rect(500, 300 + t, 50, 50);
    const frames = Array.from({ length: 30 }, (_, t) => [det(a(t), t < 10 ? 0.9 : 0.2), det(ghost(t), 0.2)]);
    const out = run(new ByteTracker(), frames);
    for (let t = 10; t < 30; t++) {
      expect(out[t]!.map((x) => [x.id, x.state, x.score])).toEqual([[1, 'tracked', 0.2]]);
      expect(out[t]![0]!.box).toEqual(a(t));
    }
    expect(out[29]![0]!.hits).toBe(30);
  });

  it('re-finds a lost track only with a high-score detection (low ones continue tracked tracks only)', () => {
    const a = (t: number) => rect(100 + 5 * t, 100, 60, 40);
    const frames = Array.from({ length: 20 }, (_, t) => {
      if (t >= 10 && t < 12) return [];
      return [det(a(t), t < 10 || t >= 15 ? 0.9 : 0.2)];
    });
    const out = run(new ByteTracker(), frames);
    expect(out[13]!.map((x) => x.state)).toEqual(['lost']);
    expect(out[15]!.map((x) => [x.id, x.state])).toEqual([[1, 'tracked']]);
  });

  it('keeps one track labelled by score-weighted majority when the class flips (car, car, truck, car, car)', () => {
    const a = (t: number) => rect(100 + 5 * t, 100, 60, 40);
    const labels = ['car', 'car', 'truck', 'car', 'car', 'truck', 'car', 'car'];
    const frames = labels.map((l, t) => [det(a(t), 0.8, l, l === 'car' ? 2 : 7)]);
    const out = run(new ByteTracker(), frames);
    for (let t = 2; t < labels.length; t++) expect(out[t]!.map((x) => [x.id, x.label, x.classId])).toEqual([[1, 'car', 2]]);
    expect(out[2]![0]!.lastDetection?.label).toBe('truck');
  });

  it('changes the voted label when another class accumulates more score', () => {
    const a = (t: number) => rect(100 + 5 * t, 100, 60, 40);
    // 0.625 = 5/8 keeps the sums exact
    const frames = Array.from({ length: 9 }, (_, t) => [t < 4 ? det(a(t), 0.625, 'car', 2) : det(a(t), 0.625, 'truck', 7)]);
    const out = run(new ByteTracker(), frames);
    expect(out[4]![0]!.label).toBe('car'); // car 2.5 vs truck 0.625
    expect(out[6]![0]!.label).toBe('car'); // 2.5 vs 1.875
    expect(out[7]![0]!.label).toBe('car'); // tie 2.5 vs 2.5 keeps the current label
    expect(out[8]![0]!).toMatchObject({ id: 1, label: 'truck', classId: 7 }); // 2.5 vs 3.125
  });

  it('confirms after minHits consecutive hits, drops one-frame blips, and numbers ids without gaps', () => {
    const blip = det(rect(700, 50), 0.9);
    const a = (t: number) => rect(100 + 5 * t, 100, 60, 40);
    const tracker = new ByteTracker({ minHits: 2 });
    const out = run(tracker, [[det(a(0)), blip], [det(a(1))], [det(a(2))]]);
    expect(out[0]).toEqual([]);
    expect(out[1]!.map((t) => t.id)).toEqual([1]);
    expect(new ByteTracker({ minHits: 1 }).update([det(a(0))]).map((t) => t.id)).toEqual([1]);
    // the blip needed 2 hits, missed the 2nd frame, and consumed no id: the next new object gets 2
    const next = run(tracker, [[det(a(3)), det(rect(400, 400))], [det(a(4)), det(rect(400, 400))]]);
    expect(next[1]!.map((t) => t.id)).toEqual([1, 2]);
  });

  it('does not start tracks below newTrackThresh (trackThresh + 0.1)', () => {
    const tracker = new ByteTracker({ minHits: 1 });
    expect(tracker.update([det(rect(0, 0), 0.55)])).toEqual([]);
    expect(tracker.update([det(rect(0, 0), 0.6)]).map((t) => t.id)).toEqual([1]);
  });

  it('removes a lost track after trackBuffer · frameRate / 30 frames and reports it once', () => {
    const tracker = new ByteTracker({ frameRate: 15, trackBuffer: 30 }); // 15 frames
    expect(tracker.maxTimeLost).toBe(15);
    for (let t = 0; t < 5; t++) tracker.update([det(rect(100 + 2 * t, 100))]);
    for (let k = 1; k <= 15; k++) {
      expect(tracker.update([]).map((t) => t.state)).toEqual(['lost']);
      expect(tracker.removed).toEqual([]);
    }
    expect(tracker.lostTracks.map((t) => t.id)).toEqual([1]);
    expect(tracker.update([])).toEqual([]);
    expect(tracker.removed.map((t) => t.id)).toEqual([1]);
    tracker.update([]);
    expect(tracker.removed).toEqual([]);
  });

  it('predicts through frames the detector skipped when frame times are given', () => {
    // 25 px/frame for a 60 px wide box: after two skipped frames a one-step prediction is 50 px off.
    const a = (t: number) => rect(100 + 25 * t, 100, 60, 40);
    const frames = [0, 1, 2, 3, 4, 5, 6, 9, 10, 11]; // frames 7 and 8 skipped
    const withTime = new ByteTracker({ frameRate: 10 });
    const out = frames.map((f) => withTime.update([det(a(f))], f * 100));
    expect(out.at(-1)!.map((t) => [t.id, t.state, t.hits])).toEqual([[1, 'tracked', 10]]);
    // The same frames without times are taken as one step apart: the track is lost, a new one starts.
    const noTime = new ByteTracker({ frameRate: 10 });
    const out2 = frames.map((f) => noTime.update([det(a(f))]));
    expect(out2.at(-1)!.map((t) => [t.id, t.state])).toEqual([
      [1, 'lost'],
      [2, 'tracked'],
    ]);
  });

  it('reports first/last seen times and ignores empty boxes', () => {
    const tracker = new ByteTracker({ minHits: 1 });
    tracker.update([det(rect(0, 0)), det([10, 10, 10, 20])], 1000);
    const [t] = tracker.update([det(rect(2, 0))], 1100);
    expect(t).toMatchObject({ id: 1, firstSeenMs: 1000, lastSeenMs: 1100, hits: 2, age: 2, timeSinceUpdate: 0 });
    const [lost] = tracker.update([], 1200);
    expect(lost).toMatchObject({ id: 1, state: 'lost', lastSeenMs: 1100, timeSinceUpdate: 1 });
  });
});
