/**
 * The `pnpm -s sightline count` interface on the real fixture video, as tooling calls it: exact
 * JSON shape, counts within ±10% of our hand count (tests/fixtures/highway_cctv.counts.json), the
 * annotated video, and usage errors.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fixture } from '../support/fixtures';

const root = fileURLToPath(new URL('../../', import.meta.url));

async function sightline(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)('pnpm', ['-s', 'sightline', ...args], { cwd: root, env: process.env, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('sightline count', () => {
  it('prints {frames, fps, lines:[{id, in, out}]} with every class, within ±10% of the hand count, and writes the annotated video', async () => {
    const truth = JSON.parse(await readFile(join(root, 'tests/fixtures/highway_cctv.counts.json'), 'utf8')) as {
      line: { start: [number, number]; end: [number, number] };
      counts: { in: number; out: number };
    };
    const dir = await mkdtemp(join(tmpdir(), 'sl-count-'));
    const annotated = join(dir, 'annotated.mp4');
    const line = [...truth.line.start, ...truth.line.end].join(',');
    const classes = ['car', 'truck', 'bus', 'motorcycle'];
    const { code, stdout, stderr } = await sightline([
      'count', fixture('video/highway_cctv.avi'), '--line', line, '--line', '160,0,160,240',
      '--classes', classes.join(','), '--format', 'json', '--annotate', annotated,
    ]);
    expect(code, stderr).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]!);
    expect(Object.keys(out)).toEqual(['frames', 'fps', 'lines']);
    expect(out.frames).toBe(748);
    expect(out.fps).toBe(25);
    expect(out.lines.map((l: { id: string }) => l.id)).toEqual(['line-1', 'line-2']);
    for (const l of out.lines) {
      expect(Object.keys(l)).toEqual(['id', 'in', 'out']);
      expect(Object.keys(l.in)).toEqual(classes);
      expect(Object.keys(l.out)).toEqual(classes);
      for (const n of [...Object.values(l.in), ...Object.values(l.out)]) expect(Number.isInteger(n) && (n as number) >= 0).toBe(true);
    }
    const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
    const got = { in: sum(out.lines[0].in), out: sum(out.lines[0].out) };
    console.log(`[sightline count] line-1 in ${got.in} (hand ${truth.counts.in}), out ${got.out} (hand ${truth.counts.out}); ${lines[0]}`);
    expect(Math.abs(got.in - truth.counts.in) / truth.counts.in).toBeLessThanOrEqual(0.1);
    expect(Math.abs(got.out - truth.counts.out) / truth.counts.out).toBeLessThanOrEqual(0.1);

    // The annotated video: every frame, at the detector's working size (320x240 scaled to fit 416x416), H.264 (or MPEG-4 without libx264).
    expect((await stat(annotated)).size).toBeGreaterThan(100_000);
    const probe = await promisify(execFile)('ffprobe', [
      '-v', 'error', '-count_frames', '-select_streams', 'v:0',
      '-show_entries', 'stream=codec_name,width,height,nb_read_frames', '-of', 'json', annotated,
    ]);
    const stream = JSON.parse(probe.stdout).streams[0];
    expect(stream).toMatchObject({ width: 416, height: 312, nb_read_frames: '748' });
    expect(['h264', 'mpeg4']).toContain(stream.codec_name);
  }, 300_000);

  it('honours --fps', async () => {
    const { code, stdout } = await sightline(['count', fixture('video/highway_cctv.avi'), '--line', '0,80,296,80', '--fps', '5', '--classes', 'car']);
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.fps).toBe(5);
    expect(out.frames).toBeGreaterThanOrEqual(149);
    expect(out.frames).toBeLessThanOrEqual(150);
    expect(Object.keys(out.lines[0].in)).toEqual(['car']);
  }, 120_000);

  it('rejects a missing or malformed --line with a usage error (exit 2)', async () => {
    const none = await sightline(['count', fixture('video/highway_cctv.avi')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/give at least one --line x1,y1,x2,y2/);
    const bad = await sightline(['count', fixture('video/highway_cctv.avi'), '--line', '0,80,296']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--line must be four numbers x1,y1,x2,y2 \(pixels\), got "0,80,296"/);
    const cls = await sightline(['count', fixture('video/highway_cctv.avi'), '--line', '0,80,296,80', '--classes', 'car,spaceship']);
    expect(cls.code).toBe(2);
    expect(cls.stderr).toMatch(/--classes: spaceship not among the labels of model yolox-nano/);
  });

  it('names a video it cannot open (exit 1)', async () => {
    const { code, stderr } = await sightline(['count', '/nonexistent/clip.mp4', '--line', '0,80,296,80']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/sightline count: .*\/nonexistent\/clip\.mp4.*No such file or directory/);
  });

  it('fails at once, naming the path, when --annotate cannot be written (the encoder exits early)', async () => {
    const { code, stderr } = await sightline([
      'count', fixture('video/highway_cctv.avi'), '--fps', '2', '--line', '0,80,296,80', '--annotate', '/nonexistent/dir/out.mp4',
    ]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/sightline count: cannot write \/nonexistent\/dir\/out\.mp4 .*No such file or directory/);
  });
});
