/**
 * Letterbox geometry (round trip between original and network pixels) and tensor layout.
 */
import { describe, expect, it } from 'vitest';
import { letterbox, letterboxTransform, toNetworkBox, toOriginalBox, clipBox, toDetections, type Box } from '../src/index';
import { testManifest } from './support/manifests';

describe('letterbox transform', () => {
  const topLeft = testManifest('yolox', ['a']).input;
  const center = testManifest('ultralytics', ['a'], { letterbox: { align: 'center', padValue: 114 } }, 640).input;

  it('scales by r = min(W/w, H/h) and places the frame top-left (YOLOX)', () => {
    const t = letterboxTransform(640, 480, topLeft);
    expect(t).toEqual({ scale: 0.65, padX: 0, padY: 0, resizedWidth: 416, resizedHeight: 312, sourceWidth: 640, sourceHeight: 480 });
  });

  it('centres the frame with floor((W - w·r)/2) padding (Ultralytics)', () => {
    const t = letterboxTransform(375, 500, center);
    expect(t.scale).toBeCloseTo(1.28, 12);
    expect([t.resizedWidth, t.resizedHeight, t.padX, t.padY]).toEqual([480, 640, 80, 0]);
  });

  it('maps boxes to the network input and back exactly', () => {
    const boxes: Box[] = [
      [10.5, 20.25, 600, 470],
      [0, 0, 640, 480],
      [333.33, 1, 334, 479.99],
    ];
    for (const input of [topLeft, center]) {
      const t = letterboxTransform(640, 480, input);
      for (const box of boxes) {
        const back = toOriginalBox(toNetworkBox(box, t), t);
        back.forEach((v, i) => expect(v).toBeCloseTo(box[i]!, 9));
      }
    }
    // The whole frame covers exactly the resized area inside the input.
    const t = letterboxTransform(375, 500, center);
    toNetworkBox([0, 0, 375, 500], t).forEach((v, i) => expect(v).toBeCloseTo([80, 0, 560, 640][i]!, 9));
  });

  it('clips to the frame', () => {
    expect(clipBox([-5, -1, 700, 300], 640, 480)).toEqual([0, 0, 640, 300]);
  });

  it('maps candidates to detections in the original frame: unpad, unscale, clip, round, sort', () => {
    const t = letterboxTransform(375, 500, center); // r = 1.28, padX = 80
    const dets = toDetections(
      [
        { box: [80 + 12.8, 64, 80 + 128, 128], score: 0.51234, classId: 0 },
        { box: [70, -10, 600, 700], score: 0.9, classId: 0 }, // beyond the frame on every side
        { box: [0, 0, 60, 60], score: 0.95, classId: 0 }, // entirely in the padding: dropped
      ],
      t,
      ['a'],
    );
    expect(dets).toEqual([
      { label: 'a', classId: 0, score: 0.9, box: [0, 0, 375, 500] },
      { label: 'a', classId: 0, score: 0.5123, box: [10, 50, 100, 100] },
    ]);
  });
});

describe('letterbox tensor', () => {
  it('writes NCHW in the manifest channel order with the pad value around the resized frame', async () => {
    // 4x2 frame of one colour (R 10, G 20, B 30) into an 8x8 BGR input: r = 2 → 8x4 at the top.
    const input = testManifest('yolox', ['a'], {}, 8).input;
    const data = Buffer.alloc(4 * 2 * 3);
    for (let i = 0; i < 8; i++) data.set([10, 20, 30], i * 3);
    const { tensor, dims, transform } = await letterbox({ data, width: 4, height: 2, channels: 3 }, input);
    expect(dims).toEqual([1, 3, 8, 8]);
    expect(transform).toMatchObject({ scale: 2, padX: 0, padY: 0, resizedWidth: 8, resizedHeight: 4 });
    const at = (c: number, y: number, x: number) => tensor[c * 64 + y * 8 + x];
    expect([at(0, 0, 0), at(1, 0, 0), at(2, 0, 0)]).toEqual([30, 20, 10]); // B, G, R
    expect([at(0, 3, 7), at(1, 3, 7), at(2, 3, 7)]).toEqual([30, 20, 10]);
    expect([at(0, 4, 0), at(1, 7, 7), at(2, 5, 3)]).toEqual([114, 114, 114]); // padding below
  });

  it('normalises (v·scale − mean)/std per tensor channel, padding included, centred', async () => {
    const input = testManifest('ultralytics', ['a'], {
      channelOrder: 'RGB',
      scale: 1 / 255,
      mean: [0.5, 0, 0],
      std: [0.5, 1, 1],
      letterbox: { align: 'center', padValue: 114 },
    }, 4).input;
    const data = Buffer.from([255, 0, 51, 255, 0, 51, 255, 0, 51, 255, 0, 51]); // 2x2, R 255, G 0, B 51
    const { tensor, transform } = await letterbox({ data, width: 2, height: 2, channels: 3 }, input);
    expect(transform).toMatchObject({ scale: 2, padX: 0, padY: 0 });
    expect(tensor[0]).toBeCloseTo(1, 6); // (1 − 0.5) / 0.5
    expect(tensor[16]).toBeCloseTo(0, 6);
    expect(tensor[32]).toBeCloseTo(0.2, 6);
    // 2x1 frame into 4x4: r = 2 → 4x2 centred with padY = 1; pad = 114/255 per channel.
    const wide = await letterbox({ data: data.subarray(0, 6), width: 2, height: 1, channels: 3 }, input);
    expect(wide.transform).toMatchObject({ padX: 0, padY: 1, resizedWidth: 4, resizedHeight: 2 });
    expect(wide.tensor[0]).toBeCloseTo((114 / 255 - 0.5) / 0.5, 6);
    expect(wide.tensor[4]).toBeCloseTo(1, 6); // row 1 is the frame
    expect(wide.tensor[16 + 12]).toBeCloseTo(114 / 255, 6); // G, row 3 = padding
  });
});
