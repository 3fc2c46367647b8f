/**
 * The `pnpm -s sightline detect` interface, as a user (and later tooling) calls it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fixture } from '../support/fixtures';

const root = fileURLToPath(new URL('../../', import.meta.url));

async function sightline(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)('pnpm', ['-s', 'sightline', ...args], { cwd: root, env: process.env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('sightline detect', () => {
  it('prints one JSON line per image, an error line for a bad file, and exits 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sl-detect-'));
    const bad = join(dir, 'notes.jpg');
    await writeFile(bad, 'this is a text file, not a JPEG\n');
    const { code, stdout } = await sightline(['detect', '--format', 'jsonl', fixture('demo/bus.jpg'), bad, fixture('demo/dog.jpg')]);
    expect(code).toBe(1);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    const [bus, error, dog] = lines;
    expect(bus).toMatchObject({ file: 'bus.jpg', width: 810, height: 1080 });
    expect(bus.detections.map((d: { label: string }) => d.label)).toContain('bus');
    expect(bus.detections.filter((d: { label: string }) => d.label === 'person').length).toBeGreaterThanOrEqual(3);
    for (const d of bus.detections) {
      expect(Object.keys(d).sort()).toEqual(['box', 'label', 'score']);
      expect(d.score).toBeGreaterThanOrEqual(0.3);
      expect(d.box[2]).toBeLessThanOrEqual(810);
      expect(d.box[3]).toBeLessThanOrEqual(1080);
    }
    expect(error.file).toBe('notes.jpg');
    expect(error.error).toMatch(/notes\.jpg/);
    expect(error.detections).toBeUndefined();
    expect(dog.file).toBe('dog.jpg');
    expect(dog.detections.map((d: { label: string }) => d.label)).toEqual(expect.arrayContaining(['dog', 'bicycle']));
  });

  it('honours --score and exits 0 when every image was read', async () => {
    const { code, stdout } = await sightline(['detect', '--score', '0.8', fixture('demo/bus.jpg')]);
    expect(code).toBe(0);
    const line = JSON.parse(stdout.trim());
    expect(line.detections.length).toBeGreaterThan(0);
    expect(line.detections.every((d: { score: number }) => d.score >= 0.8)).toBe(true);
  });

  it('rejects an out-of-range --score with a usage error', async () => {
    const { code, stderr } = await sightline(['detect', '--score', '7', fixture('demo/bus.jpg')]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--score must be a number from 0 to 1, got "7"/);
  });
});

describe('sightline demo', () => {
  it('runs central on PGlite + the embedded broker and stores every sample observation', async () => {
    const data = await mkdtemp(join(tmpdir(), 'sl-demo-'));
    const { code, stdout } = await sightline(['demo', '--no-serve', '--data', data]);
    expect(code, stdout).toBe(0);
    const summary = /(\d+) frames, (\d+) failed, (\d+) messages, (\d+) observations stored/.exec(stdout);
    expect(summary).not.toBeNull();
    const [, frames, failed, , stored] = summary!.map(Number);
    expect(frames).toBe(6);
    expect(failed).toBe(0);
    expect(stored).toBeGreaterThan(20);
    expect(stdout).toMatch(/^\s+bus\s+\d+$/m);
    expect(stdout).toMatch(/^\s+person\s+\d+$/m);
    expect(stdout).toMatch(/API key:\s+\S+\s+\(read scope/);
    expect(stdout).toMatch(/curl -H 'Authorization: Bearer \S+' 'http:\/\/127\.0\.0\.1:\d+\/v1\/observations\?camera=demo-\d+&label=bus&limit=5'/);
  }, 120_000);
});
