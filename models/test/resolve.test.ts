import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelManifest, resolveModel, resolvePinnedFile, sha256File, type PinnedFile } from '../src';

const modelsDir = process.env.SIGHTLINE_MODELS_DIR!;

describe('model manifest', () => {
  it('pins the YOLOX-Nano file the shared models folder holds', async () => {
    const manifest = loadModelManifest('yolox-nano');
    expect(manifest.family).toBe('yolox');
    expect(manifest.input).toMatchObject({ width: 416, height: 416, channelOrder: 'BGR', letterbox: { align: 'top-left', padValue: 114 } });
    expect(manifest.labels).toHaveLength(80);
    expect(manifest.labels.slice(0, 8)).toEqual(['person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck']);
    expect(await sha256File(join(modelsDir, manifest.file))).toBe(manifest.sha256);
  });

  it('names the known models for an unknown id', () => {
    expect(() => loadModelManifest('yolo-nope')).toThrow(/unknown model "yolo-nope".*yolox-nano/);
  });
});

describe('resolvePinnedFile', () => {
  let server: Server;
  let baseUrl: string;
  let served: Buffer;
  let requests = 0;
  const payload = Buffer.from('not really a model, but pinned bytes');
  let pinned: PinnedFile;

  beforeAll(async () => {
    served = payload;
    server = createServer((req, res) => {
      requests += 1;
      if (req.url === '/file.bin') res.end(served);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const { createHash } = await import('node:crypto');
    pinned = {
      file: 'file.bin',
      url: `${baseUrl}/file.bin`,
      sha256: createHash('sha256').update(payload).digest('hex'),
      bytes: payload.length,
      license: 'test',
    };
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('prefers the local folder, then downloads into the cache once, then uses the cache', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'sl-cache-'));
    const localDir = await mkdtemp(join(tmpdir(), 'sl-local-'));
    const options = { localDir, localDirVar: 'SIGHTLINE_MODELS_DIR', cacheDir, subdir: 'models' };

    const before = requests;
    const first = await resolvePinnedFile(pinned, options);
    expect(first.from).toBe('download');
    expect(await readFile(first.path)).toEqual(payload);
    const second = await resolvePinnedFile(pinned, options);
    expect(second).toEqual({ path: first.path, from: 'cache' });
    expect(requests - before).toBe(1);

    await writeFile(join(localDir, 'file.bin'), payload);
    expect((await resolvePinnedFile(pinned, options)).from).toBe('local');
  });

  it('rejects a local file with other bytes, naming the file, the expected sha256 and the variable', async () => {
    const localDir = await mkdtemp(join(tmpdir(), 'sl-local-'));
    await writeFile(join(localDir, 'file.bin'), 'tampered');
    await expect(
      resolvePinnedFile(pinned, { localDir, localDirVar: 'SIGHTLINE_MODELS_DIR', subdir: 'models' }),
    ).rejects.toThrow(new RegExp(`file\\.bin has sha256 [0-9a-f]{64}, expected ${pinned.sha256}.*SIGHTLINE_MODELS_DIR`));
  });

  it('rejects a download with other bytes and leaves nothing in the cache', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'sl-cache-'));
    served = Buffer.from('corrupted in transit');
    try {
      await expect(
        resolvePinnedFile(pinned, { localDirVar: 'SIGHTLINE_MODELS_DIR', cacheDir, subdir: 'models' }),
      ).rejects.toThrow(`expected ${pinned.sha256}`);
    } finally {
      served = payload;
    }
    await mkdir(join(cacheDir, 'models'), { recursive: true });
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(join(cacheDir, 'models'))).toEqual([]);
  });

  it('explains how to provide the file when the download fails', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'sl-cache-'));
    const missing = { ...pinned, file: 'missing.bin', url: `${baseUrl}/missing.bin` };
    await expect(
      resolvePinnedFile(missing, { localDirVar: 'SIGHTLINE_MODELS_DIR', cacheDir, subdir: 'models' }),
    ).rejects.toThrow(/could not download missing\.bin .*HTTP 404.*point SIGHTLINE_MODELS_DIR at it/);
  });

  it('resolves the real model from SIGHTLINE_MODELS_DIR', async () => {
    const { path, from } = await resolveModel('yolox-nano');
    expect(from).toBe('local');
    expect(path).toBe(join(modelsDir, 'yolox_nano.onnx'));
  });
});
