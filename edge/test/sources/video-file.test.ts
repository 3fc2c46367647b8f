/**
 * VideoSource on a real video file (the highway CCTV fixture, 320x240, 25 fps, 748 decodable
 * frames — its 750 AVI packets include two empty "packed B-frame" placeholders): raw RGB frames
 * with exact presentation times, the detection-rate filter, backpressure, looping, errors.
 */
import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { FfmpegRawVideo, parseOutputStreamLine, VideoSource, type Frame } from '../../src/index';
import { fixture } from '../../../tests/support/fixtures';

const VIDEO = () => fixture('video/highway_cctv.avi');
const START = Date.UTC(2007, 8, 17, 12, 4, 11);

describe('parseOutputStreamLine', () => {
  it("reads size and rate from ffmpeg's output stream line, not the FourCC", () => {
    expect(
      parseOutputStreamLine(
        '  Stream #0:0: Video: rawvideo (RGB[24] / 0x18424752), rgb24(pc, gbr/unknown/unknown, progressive), 320x240 [SAR 1:1 DAR 4:3], q=2-31, 9216 kb/s, 5 fps, 5 tbn',
      ),
    ).toEqual({ width: 320, height: 240, fps: 5 });
    expect(parseOutputStreamLine('  Stream #0:0: Video: rawvideo (RGB[24] / 0x18424752), rgb24, 1920x1080, q=2-31, 29.97 fps, 29.97 tbn')).toEqual({
      width: 1920,
      height: 1080,
      fps: 29.97,
    });
    expect(parseOutputStreamLine('  Metadata:')).toBeUndefined();
  });
});

describe('VideoSource on a file', () => {
  it('delivers every frame as raw RGB with pts = index / fps and capture time = start + pts', async () => {
    const source = new VideoSource({ deviceId: 'pole-1', cameraId: 'hw', url: VIDEO(), startTime: START });
    const frames: Frame[] = [];
    for await (const f of source) {
      frames.push({ ...f, pixels: { ...f.pixels!, data: f.index! < 2 ? f.pixels!.data : Buffer.alloc(0) } });
    }
    expect(frames).toHaveLength(748);
    const [first, second] = frames;
    expect(first).toMatchObject({ deviceId: 'pole-1', cameraId: 'hw', width: 320, height: 240, index: 0, ptsMs: 0, capturedAt: '2007-09-17T12:04:11.000Z' });
    expect(first!.image).toBeUndefined();
    expect(first!.pixels!.data.length).toBe(320 * 240 * 3);
    expect(first!.pixels!.channels).toBe(3);
    expect(second!.pixels!.data.equals(first!.pixels!.data)).toBe(false);
    const last = frames.at(-1)!;
    expect(last.index).toBe(747);
    expect(last.ptsMs).toBeCloseTo(747 * 40, 6);
    expect(last.capturedAt).toBe(new Date(START + 747 * 40).toISOString());
    expect(source.stats).toMatchObject({ state: 'ended', frames: 748, decoded: 748, dropped: 0, video: { width: 320, height: 240, fps: 25 } });
  });

  it("scales pixels in ffmpeg with fit, keeping the frame's own size as its coordinate system", async () => {
    const source = new VideoSource({ deviceId: 'd', cameraId: 'c', url: VIDEO(), fps: 5, fit: { width: 416, height: 416 } });
    for await (const f of source) {
      expect([f.width, f.height]).toEqual([320, 240]);
      expect([f.pixels!.width, f.pixels!.height]).toEqual([416, 312]); // the letterbox's resized size
      expect(f.pixels!.data.length).toBe(416 * 312 * 3);
      break;
    }
    expect(source.stats.video).toMatchObject({ width: 320, height: 240 });
  });

  it('decodes at the detection rate with fps', async () => {
    const source = new VideoSource({ deviceId: 'd', cameraId: 'c', url: VIDEO(), fps: 5, startTime: START });
    const pts: number[] = [];
    for await (const f of source) pts.push(f.ptsMs!);
    expect(pts.length).toBeGreaterThanOrEqual(149);
    expect(pts.length).toBeLessThanOrEqual(150);
    expect(pts.slice(0, 4)).toEqual([0, 200, 400, 600]);
    expect(source.stats.video?.fps).toBe(5);
  });

  it('applies backpressure: a slow consumer keeps ffmpeg from decoding ahead', async () => {
    const source = new VideoSource({ deviceId: 'd', cameraId: 'c', url: VIDEO(), queueSize: 2 });
    let taken = 0;
    for await (const _ of source) {
      taken += 1;
      if (taken === 3) {
        await sleep(1_500); // ffmpeg decodes the whole file in well under a second when not held back
        const { decoded, frames } = source.stats;
        // queued (2) + the one being assembled, give or take the frame in the consumer's hands
        expect(decoded - frames).toBeLessThanOrEqual(4);
        expect(decoded).toBeLessThan(20);
        break;
      }
    }
    expect(source.stats.state).toBe('closed');
  });

  it('loops a file with loop: true, pts still increasing', async () => {
    const source = new VideoSource({ deviceId: 'd', cameraId: 'c', url: VIDEO(), fps: 25, loop: true });
    let last = -1;
    let n = 0;
    for await (const f of source) {
      expect(f.ptsMs!).toBeGreaterThan(last);
      last = f.ptsMs!;
      if (++n === 900) break;
    }
    expect(n).toBe(900);
  });

  it('learns size and rate before the first frame with info()', async () => {
    const source = new VideoSource({ deviceId: 'd', cameraId: 'c', url: VIDEO(), fps: 10 });
    expect(await source.info()).toEqual({ width: 320, height: 240, fps: 10 });
    await source.close();
    expect(source.stats.state).toBe('closed');
  });

  it('names a missing file and ends in state error', async () => {
    const source = new VideoSource({ deviceId: 'd', cameraId: 'c', url: '/nonexistent/clip.mp4' });
    await expect(async () => {
      for await (const _ of source) void _;
    }).rejects.toThrow(/ffmpeg could not open \/nonexistent\/clip.mp4: .*No such file or directory/);
    expect(source.stats.state).toBe('error');
    expect(source.stats.lastError).toMatch(/No such file/);
  });

  it('FfmpegRawVideo: killing it ends the frames without an error', async () => {
    const proc = FfmpegRawVideo.spawn({ input: VIDEO(), inputArgs: ['-re'] });
    expect(await proc.info).toMatchObject({ width: 320, height: 240, frameBytes: 230_400 });
    let n = 0;
    for await (const _ of proc.frames()) {
      if (++n === 2) void proc.kill();
    }
    const exit = await proc.exited;
    expect(exit.killed).toBe(true);
    expect(n).toBeLessThan(20);
  });
});
