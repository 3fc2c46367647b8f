import { describe, expect, it } from 'vitest';
import { KalmanBoxFilter, boxToXyah, xyahToBox } from '../../src/tracking/kalman';

describe('box conversions', () => {
  it('converts xyxy to [cx, cy, w/h, h] and back', () => {
    expect(boxToXyah([100, 50, 140, 130])).toEqual([120, 90, 0.5, 80]);
    expect(xyahToBox([120, 90, 0.5, 80])).toEqual([100, 50, 140, 130]);
  });

  it('rejects a box without height, naming it', () => {
    expect(() => boxToXyah([10, 10, 20, 10])).toThrow(/\[10,10,20,10\]/);
  });
});

describe('KalmanBoxFilter', () => {
  it('starts with ByteTrack initial uncertainty (2·h/20 position, 10·h/160 velocity)', () => {
    const s = new KalmanBoxFilter().initiate([0, 0, 0.5, 80]);
    expect(Math.sqrt(s.covariance[0]!)).toBeCloseTo(8, 10); // 2 · 80/20
    expect(Math.sqrt(s.covariance[4 * 8 + 4]!)).toBeCloseTo(5, 10); // 10 · 80/160
    expect(Array.from(s.mean.slice(4))).toEqual([0, 0, 0, 0]);
  });

  it('converges to the velocity of a box moving at constant velocity', () => {
    const kf = new KalmanBoxFilter();
    const boxAt = (t: number): [number, number, number, number] => [100 + 5 * t, 200 - 3 * t, 140 + 5 * t, 280 - 3 * t];
    let s = kf.initiate(boxToXyah(boxAt(0)));
    for (let t = 1; t <= 40; t++) s = kf.update(kf.predict(s), boxToXyah(boxAt(t)));
    expect(s.mean[4]).toBeCloseTo(5, 1); // vcx px/frame
    expect(s.mean[5]).toBeCloseTo(-3, 1); // vcy
    expect(s.mean[6]).toBeCloseTo(0, 4); // va
    expect(s.mean[7]).toBeCloseTo(0, 2); // vh
    // and predicts the next box within a fraction of a pixel
    const next = xyahToBox(kf.predict(s).mean);
    boxAt(41).forEach((v, i) => expect(next[i]).toBeCloseTo(v, 0));
  });

  it('predicts a fractional number of frames ahead (skipped frames)', () => {
    const kf = new KalmanBoxFilter();
    const s = { ...kf.initiate([100, 100, 0.5, 80]) };
    s.mean = Float64Array.from([100, 100, 0.5, 80, 4, 2, 0, 0]);
    const p = kf.predict(s, 2.5);
    expect(Array.from(p.mean.slice(0, 4))).toEqual([110, 105, 0.5, 80]);
    // process noise grows with dt
    expect(p.covariance[0]!).toBeGreaterThan(kf.predict(s, 1).covariance[0]!);
  });

  it('does not modify its inputs', () => {
    const kf = new KalmanBoxFilter();
    const s = kf.initiate([100, 100, 0.5, 80]);
    const before = Array.from(s.mean);
    kf.update(kf.predict(s), [110, 100, 0.5, 80]);
    expect(Array.from(s.mean)).toEqual(before);
  });
});
