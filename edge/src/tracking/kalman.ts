/**
 * Constant-velocity Kalman filter on a bounding box: it smooths and predicts where a tracked
 * object's box will be in the next frame.
 *
 * This is the filter of SORT (Bewley et al., "Simple Online and Realtime Tracking", ICIP 2016),
 * DeepSORT and ByteTrack, in the exact parameterisation of ByteTrack's
 * `yolox/tracker/kalman_filter.py` (https://github.com/ifzhang/ByteTrack):
 *
 * ```
 * state x = [cx, cy, a, h, vcx, vcy, va, vh]    8 values
 *            │   │   │  │   └── velocities of the four, in units per frame
 *            │   │   │  └── box height, px
 *            │   │   └── aspect ratio w / h (dimensionless)
 *            └───┴── box centre, px
 * measurement z = [cx, cy, a, h]                the detector's box, converted by boxToXyah
 *
 * predict:  x ← F x,            P ← F P Fᵀ + Q        F = [[I, dt·I], [0, I]]
 * update:   S = H P Hᵀ + R,     K = P Hᵀ S⁻¹          H = [I, 0]
 *           x ← x + K (z − H x), P ← P − K S Kᵀ
 * ```
 *
 * The noise is proportional to the box height (a far, small car jitters fewer pixels than a near,
 * big one): standard deviations are `stdWeightPosition · h` (1/20) for cx, cy, h and
 * `stdWeightVelocity · h` (1/160) for their velocities; the aspect ratio gets small constants
 * (1e-2 / 1e-5 for the process, 1e-1 for the measurement), as in ByteTrack.
 *
 * Sharp edges:
 * - Velocities are **per frame** (per `dt = 1`). {@link KalmanBoxFilter.predict} takes a
 *   fractional `dt` for frames that were skipped; the process noise is then scaled by `dt`
 *   (variance of a random walk grows linearly with time) — ByteTrack itself always uses `dt = 1`.
 * - States are plain `Float64Array`s and every method returns new arrays (the inputs are never
 *   modified), like ByteTrack's functional `predict(mean, covariance)`.
 * - A box with zero height has no aspect ratio: {@link boxToXyah} throws; filter such boxes out.
 *
 * @example
 * const kf = new KalmanBoxFilter();
 * let s = kf.initiate(boxToXyah([100, 100, 140, 180]));
 * s = kf.predict(s);                                    // where will it be next frame?
 * s = kf.update(s, boxToXyah([104, 100, 144, 180]));   // correct with the new detection
 * xyahToBox(s.mean);                                    // smoothed [x1, y1, x2, y2]
 */
import type { Box } from '../vision/preprocess/letterbox';

/** `[cx, cy, a, h]`: box centre (px), aspect ratio w/h, height (px). */
export type Xyah = [number, number, number, number];

/** Gaussian belief over the 8-dimensional box state. */
export interface KalmanState {
  /** `[cx, cy, a, h, vcx, vcy, va, vh]`, length 8. */
  mean: Float64Array;
  /** 8×8 covariance, row-major, length 64. */
  covariance: Float64Array;
}

/** Noise weights of {@link KalmanBoxFilter}; defaults are ByteTrack's. */
export interface KalmanOptions {
  /** Std of the position (cx, cy, h) as a fraction of the box height; default 1/20. */
  stdWeightPosition?: number;
  /** Std of the velocity (vcx, vcy, vh) as a fraction of the box height; default 1/160. */
  stdWeightVelocity?: number;
}

const NDIM = 4;
const SDIM = 8;

/** `[x1, y1, x2, y2]` → `[cx, cy, w/h, h]`. Throws on a box without positive height or width. */
export function boxToXyah(box: Readonly<Box>): Xyah {
  const w = box[2] - box[0];
  const h = box[3] - box[1];
  if (!(w > 0 && h > 0) || !box.every(Number.isFinite)) {
    throw new RangeError(`boxToXyah: box ${JSON.stringify(box)} must be finite [x1, y1, x2, y2] with x2 > x1 and y2 > y1`);
  }
  return [box[0] + w / 2, box[1] + h / 2, w / h, h];
}

/** `[cx, cy, a, h, ...]` (a state mean or a measurement) → `[x1, y1, x2, y2]`. */
export function xyahToBox(xyah: ArrayLike<number>): Box {
  const cx = xyah[0]!;
  const cy = xyah[1]!;
  const h = xyah[3]!;
  const w = xyah[2]! * h;
  return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
}

/** Constant-velocity Kalman filter over `[cx, cy, a, h]` and their velocities. */
export class KalmanBoxFilter {
  readonly stdWeightPosition: number;
  readonly stdWeightVelocity: number;

  constructor(options: KalmanOptions = {}) {
    this.stdWeightPosition = options.stdWeightPosition ?? 1 / 20;
    this.stdWeightVelocity = options.stdWeightVelocity ?? 1 / 160;
  }

  /**
   * A new state from a first measurement: position = the measurement, velocity = 0 with a large
   * uncertainty (10× the per-frame velocity std), as ByteTrack's `initiate`.
   */
  initiate(measurement: Readonly<Xyah>): KalmanState {
    const h = measurement[3];
    const wp = this.stdWeightPosition;
    const wv = this.stdWeightVelocity;
    const mean = new Float64Array(SDIM);
    mean.set(measurement, 0);
    const std = [2 * wp * h, 2 * wp * h, 1e-2, 2 * wp * h, 10 * wv * h, 10 * wv * h, 1e-5, 10 * wv * h];
    return { mean, covariance: diagonal(std.map((s) => s * s)) };
  }

  /**
   * Propagate the state `dt` frames ahead (default 1). `dt` may be fractional (frames skipped at
   * an irregular rate); the process noise variance is scaled by `dt`.
   */
  predict(state: KalmanState, dt = 1): KalmanState {
    const h = state.mean[3]!;
    const wp = this.stdWeightPosition;
    const wv = this.stdWeightVelocity;
    const std = [wp * h, wp * h, 1e-2, wp * h, wv * h, wv * h, 1e-5, wv * h];
    const q = diagonal(std.map((s) => s * s * dt));
    const f = motionMatrix(dt);
    const mean = matVec(f, state.mean, SDIM, SDIM);
    const covariance = add(matMul(matMul(f, state.covariance, SDIM, SDIM, SDIM), transpose(f, SDIM, SDIM), SDIM, SDIM, SDIM), q);
    return { mean, covariance };
  }

  /** The state seen through the measurement model: `H x` and `H P Hᵀ + R` (4 and 4×4). */
  project(state: KalmanState): { mean: Float64Array; covariance: Float64Array } {
    const h = state.mean[3]!;
    const wp = this.stdWeightPosition;
    const r = [wp * h, wp * h, 1e-1, wp * h].map((s) => s * s);
    const mean = state.mean.slice(0, NDIM);
    const covariance = new Float64Array(NDIM * NDIM);
    for (let i = 0; i < NDIM; i++) {
      for (let j = 0; j < NDIM; j++) covariance[i * NDIM + j] = state.covariance[i * SDIM + j]!;
      covariance[i * NDIM + i]! += r[i]!;
    }
    return { mean, covariance };
  }

  /** Correct the (predicted) state with a measurement `[cx, cy, a, h]`. */
  update(state: KalmanState, measurement: Readonly<Xyah>): KalmanState {
    const projected = this.project(state);
    const sInv = invert(projected.covariance, NDIM);
    // P Hᵀ = the first four columns of P (8×4).
    const pht = new Float64Array(SDIM * NDIM);
    for (let i = 0; i < SDIM; i++) for (let j = 0; j < NDIM; j++) pht[i * NDIM + j] = state.covariance[i * SDIM + j]!;
    const gain = matMul(pht, sInv, SDIM, NDIM, NDIM); // K, 8×4
    const innovation = new Float64Array(NDIM);
    for (let i = 0; i < NDIM; i++) innovation[i] = measurement[i]! - projected.mean[i]!;
    const mean = add(state.mean, matVec(gain, innovation, SDIM, NDIM));
    const kskt = matMul(matMul(gain, projected.covariance, SDIM, NDIM, NDIM), transpose(gain, SDIM, NDIM), SDIM, NDIM, SDIM);
    const covariance = symmetrize(subtract(state.covariance, kskt), SDIM);
    return { mean, covariance };
  }
}

// ── small dense-matrix helpers (row-major Float64Array) ─────────────────────────────────────────

function motionMatrix(dt: number): Float64Array {
  const f = identity(SDIM);
  for (let i = 0; i < NDIM; i++) f[i * SDIM + NDIM + i] = dt;
  return f;
}

function identity(n: number): Float64Array {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) m[i * n + i] = 1;
  return m;
}

function diagonal(values: readonly number[]): Float64Array {
  const n = values.length;
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) m[i * n + i] = values[i]!;
  return m;
}

/** (n×k) · (k×m) → n×m. */
function matMul(a: Float64Array, b: Float64Array, n: number, k: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p]!;
      if (aip === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j]! += aip * b[p * m + j]!;
    }
  }
  return out;
}

/** (n×m) · (m) → n. */
function matVec(a: Float64Array, v: Float64Array, n: number, m: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < m; j++) s += a[i * m + j]! * v[j]!;
    out[i] = s;
  }
  return out;
}

function transpose(a: Float64Array, n: number, m: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) out[j * n + i] = a[i * m + j]!;
  return out;
}

function add(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((x, i) => x + b[i]!);
}

function subtract(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((x, i) => x - b[i]!);
}

/** (M + Mᵀ) / 2: removes the asymmetry rounding adds to a covariance over many updates. */
function symmetrize(a: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = (a[i * n + j]! + a[j * n + i]!) / 2;
  return out;
}

/** Inverse of an n×n matrix by Gauss–Jordan elimination with partial pivoting. */
function invert(a: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a);
  const inv = identity(n);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r * n + col]!) > Math.abs(m[pivot * n + col]!)) pivot = r;
    const pv = m[pivot * n + col]!;
    if (Math.abs(pv) < 1e-300 || !Number.isFinite(pv)) {
      throw new RangeError('KalmanBoxFilter: innovation covariance is singular (box height 0 or non-finite state?)');
    }
    if (pivot !== col) {
      for (let j = 0; j < n; j++) {
        swap(m, col * n + j, pivot * n + j);
        swap(inv, col * n + j, pivot * n + j);
      }
    }
    for (let j = 0; j < n; j++) {
      m[col * n + j]! /= pv;
      inv[col * n + j]! /= pv;
    }
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const factor = m[r * n + col]!;
      if (factor === 0) continue;
      for (let j = 0; j < n; j++) {
        m[r * n + j]! -= factor * m[col * n + j]!;
        inv[r * n + j]! -= factor * inv[col * n + j]!;
      }
    }
  }
  return inv;
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}
