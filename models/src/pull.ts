import { loadModelManifest, loadSamplesManifest, type ModelManifest } from './manifest';
import { resolvePinnedFile, type ResolvedFrom } from './resolve';

/**
 * Resolves the ONNX file of a model: `$SIGHTLINE_MODELS_DIR/<file>` → cache → download
 * (sha256-checked). See {@link resolvePinnedFile} for the errors.
 */
export async function resolveModel(
  idOrManifest: string | ModelManifest,
  options: { modelsDir?: string; cacheDir?: string; download?: boolean } = {},
): Promise<{ manifest: ModelManifest; path: string; from: ResolvedFrom }> {
  const manifest = typeof idOrManifest === 'string' ? loadModelManifest(idOrManifest) : idOrManifest;
  const { path, from } = await resolvePinnedFile(manifest, {
    localDir: options.modelsDir ?? process.env.SIGHTLINE_MODELS_DIR,
    localDirVar: 'SIGHTLINE_MODELS_DIR',
    cacheDir: options.cacheDir,
    subdir: 'models',
    download: options.download,
  });
  return { manifest, path, from };
}

/**
 * Resolves every sample frame of `models/manifests/samples.json`: `$SIGHTLINE_SAMPLES_DIR` →
 * cache → download. Returns absolute paths in manifest order.
 */
export async function resolveSamples(options: { samplesDir?: string; cacheDir?: string } = {}): Promise<string[]> {
  const paths: string[] = [];
  for (const pinned of loadSamplesManifest().files) {
    const { path } = await resolvePinnedFile(pinned, {
      localDir: options.samplesDir ?? process.env.SIGHTLINE_SAMPLES_DIR,
      localDirVar: 'SIGHTLINE_SAMPLES_DIR',
      cacheDir: options.cacheDir,
      subdir: 'samples',
    });
    paths.push(path);
  }
  return paths;
}
