/**
 * Decoders on synthetic output tensors whose expected boxes are computed by hand.
 */
import { describe, expect, it } from 'vitest';
import { decodeEnd2end, decodeUltralytics, decodeYolov5, decodeYolox, decoderFor, yoloxGrid } from '../src/index';
import { EIGHTY, testManifest } from './support/manifests';

describe('YOLOX decoder ([1, 3549, 85], strides 8/16/32 on 416x416)', () => {
  const manifest = testManifest('yolox', EIGHTY);

  /** A zero output with one hot cell per entry: index, tx, ty, tw, th, objectness, {class: prob}. */
  function output(cells: Array<{ index: number; t: [number, number, number, number]; obj: number; probs: Record<number, number> }>) {
    const data = new Float32Array(3549 * 85);
    for (const c of cells) {
      const o = c.index * 85;
      data.set(c.t, o);
      data[o + 4] = c.obj;
      for (const [cls, p] of Object.entries(c.probs)) data[o + 5 + Number(cls)] = p;
    }
    return { data, dims: [1, 3549, 85] as const };
  }

  it('lays the grid out row-major per stride, stride 8 first (52² + 26² + 13² = 3549 cells)', () => {
    const g = yoloxGrid(416, 416, [8, 16, 32]);
    expect(g.gx.length).toBe(3549);
    // Cell 2787 = 52·52 + 3·26 + 5: stride 16, column 5, row 3.
    expect([g.gx[2787], g.gy[2787], g.stride[2787]]).toEqual([5, 3, 16]);
    expect([g.gx[3548], g.gy[3548], g.stride[3548]]).toEqual([12, 12, 32]);
    expect([g.gx[53], g.gy[53], g.stride[53]]).toEqual([1, 1, 8]);
  });

  it('decodes a hot cell to cx=(tx+gx)·s, cy=(ty+gy)·s, w=exp(tw)·s, h=exp(th)·s, score=obj·cls', () => {
    // Stride 16, gx 5, gy 3: cx = 5.5·16 = 88, cy = 3.25·16 = 52, w = 2·16 = 32, h = 1·16 = 16.
    const out = output([{ index: 52 * 52 + 3 * 26 + 5, t: [0.5, 0.25, Math.log(2), 0], obj: 0.9, probs: { 2: 0.8, 7: 0.5 } }]);
    const candidates = decodeYolox(out, { manifest, scoreThreshold: 0.3 });
    expect(candidates).toHaveLength(1);
    const [c] = candidates;
    expect(c!.classId).toBe(2); // best class only
    expect(c!.score).toBeCloseTo(0.72, 6);
    const expected = [72, 44, 104, 60];
    c!.box.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 4));
  });

  it('drops cells under the score threshold (obj·cls, not obj alone)', () => {
    // Last cell: stride 32, gx = gy = 12 → box [368, 368, 400, 400], score 0.9·0.3 = 0.27.
    const out = output([{ index: 3548, t: [0, 0, 0, 0], obj: 0.9, probs: { 0: 0.3 } }]);
    expect(decodeYolox(out, { manifest, scoreThreshold: 0.3 })).toEqual([]);
    const [c] = decodeYolox(out, { manifest, scoreThreshold: 0.25 });
    expect(c!.box).toEqual([368, 368, 400, 400]);
    expect(c!.classId).toBe(0);
  });

  it('rejects an output whose rows do not match the grid or whose width does not match the labels', () => {
    expect(() => decodeYolox({ data: new Float32Array(100 * 85), dims: [1, 100, 85] }, { manifest, scoreThreshold: 0.3 })).toThrow(
      /100 rows but a 416x416 input with strides \[8, 16, 32\] has 3549 grid cells/,
    );
    expect(() => decodeYolox({ data: new Float32Array(3549 * 6), dims: [1, 3549, 6] }, { manifest, scoreThreshold: 0.3 })).toThrow(
      /yolox decoder: output tensor has shape \[1, 3549, 6\].*expected \[1, N, 5 \+ 80\]/,
    );
  });
});

describe('Ultralytics v8/v11 decoder ([1, 4 + C, N], channel-major)', () => {
  const manifest = testManifest('ultralytics', ['a', 'b', 'c'], {}, 640);
  const N = 6;

  function output(columns: Array<{ i: number; box: [number, number, number, number]; probs: [number, number, number] }>) {
    const data = new Float32Array((4 + 3) * N);
    for (const col of columns) {
      [...col.box, ...col.probs].forEach((v, k) => (data[k * N + col.i] = v));
    }
    return { data, dims: [1, 7, N] as const };
  }

  it('reads cx, cy, w, h and sigmoid class scores down a column; score = best class (no objectness)', () => {
    const out = output([
      { i: 4, box: [100, 50, 20, 10], probs: [0.1, 0.85, 0.2] },
      { i: 1, box: [300, 200, 60, 40], probs: [0.5, 0.1, 0.05] },
      { i: 2, box: [10, 10, 4, 4], probs: [0.2, 0.1, 0.25] }, // below 0.3
    ]);
    const got = decodeUltralytics(out, { manifest, scoreThreshold: 0.3 });
    expect(got).toHaveLength(2);
    const byClass = Object.fromEntries(got.map((c) => [c.classId, c]));
    expect(byClass[1]!.box).toEqual([90, 45, 110, 55]);
    expect(byClass[1]!.score).toBeCloseTo(0.85, 6);
    expect(byClass[0]!.box).toEqual([270, 180, 330, 220]);
  });

  it('rejects an output with the wrong number of channels (e.g. a YOLOv5 layout)', () => {
    expect(() => decodeUltralytics({ data: new Float32Array(8 * 6), dims: [1, 6, 8] }, { manifest, scoreThreshold: 0.3 })).toThrow(
      /ultralytics decoder: output tensor has shape \[1, 6, 8\]/,
    );
  });
});

describe('YOLOv5 and end-to-end decoders', () => {
  it('YOLOv5 rows are cx, cy, w, h, obj, classes; score = obj·cls', () => {
    const manifest = testManifest('yolov5', ['a', 'b']);
    const data = new Float32Array(3 * 7);
    data.set([50, 60, 10, 20, 0.8, 0.25, 0.75], 7); // row 1
    const [c, ...rest] = decodeYolov5({ data, dims: [1, 3, 7] }, { manifest, scoreThreshold: 0.3 });
    expect(rest).toEqual([]);
    expect(c!.box).toEqual([45, 50, 55, 70]);
    expect(c!.classId).toBe(1);
    expect(c!.score).toBeCloseTo(0.6, 6);
  });

  it('end2end rows are x1, y1, x2, y2, score, class and zero-score padding is dropped', () => {
    const manifest = testManifest('end2end', ['a', 'b', 'c']);
    const data = new Float32Array(4 * 6);
    data.set([1, 2, 30, 40, 0.9, 2], 0);
    data.set([5, 5, 6, 6, 0.2, 1], 6);
    const got = decodeEnd2end({ data, dims: [1, 4, 6] }, { manifest, scoreThreshold: 0.3 });
    expect(got).toHaveLength(1);
    expect(got[0]!.box).toEqual([1, 2, 30, 40]);
    expect(got[0]!.classId).toBe(2);
  });
});

describe('decoder registry', () => {
  it('picks the decoder by manifest family and says whether NMS is still needed', () => {
    expect(decoderFor('yolox').decode).toBe(decodeYolox);
    expect(decoderFor('ultralytics').decode).toBe(decodeUltralytics);
    expect(decoderFor('yolov5').needsNms).toBe(true);
    expect(decoderFor('end2end').needsNms).toBe(false);
  });

  it('throws a clear error for a family without a decoder', () => {
    expect(() => decoderFor('detr')).toThrow(/no decoder for model family "detr": supported families are yolox, ultralytics, yolov5, end2end/);
  });
});
