import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { PinnedFile } from './manifest';

/** Where a pinned file was found. */
export type ResolvedFrom = 'local' | 'cache' | 'download';

/** Options for {@link resolvePinnedFile}. */
export interface ResolveOptions {
  /** A folder the user keeps files in (e.g. `SIGHTLINE_MODELS_DIR`); checked first. */
  localDir?: string;
  /** Name of the environment variable behind `localDir`, used in error messages. */
  localDirVar: string;
  /** Download cache folder; default `$SIGHTLINE_CACHE_DIR` or `~/.cache/sightline`, plus `subdir`. */
  cacheDir?: string;
  /** Sub-folder of the cache: `models` or `samples`. */
  subdir: string;
  /** Set false to fail instead of downloading. Default true. */
  download?: boolean;
}

/** SHA-256 of a file, lower-case hex, streamed (models can be large). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Default cache folder: `$SIGHTLINE_CACHE_DIR`, else `$XDG_CACHE_HOME/sightline`, else `~/.cache/sightline`. */
export function defaultCacheDir(): string {
  return process.env.SIGHTLINE_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sightline');
}

/**
 * Finds a file pinned by sha256: in `localDir` first, then in the cache, else downloads it from
 * its `url` into the cache (written to a temporary name, checked, then renamed, so a cut download
 * never leaves a bad file behind).
 *
 * @returns the absolute path of a file whose sha256 matches, and where it came from.
 * @throws Error naming the file, the expected sha256 and how to provide it, when the local copy
 *   has other bytes, or the download fails or has other bytes.
 */
export async function resolvePinnedFile(
  pinned: PinnedFile,
  options: ResolveOptions,
): Promise<{ path: string; from: ResolvedFrom }> {
  const howTo =
    `put the file (sha256 ${pinned.sha256}, ${pinned.bytes} bytes) in a folder and point ` +
    `${options.localDirVar} at it, or download it from ${pinned.url}`;

  if (options.localDir) {
    const local = join(options.localDir, pinned.file);
    if (existsSync(local)) {
      const actual = await sha256File(local);
      if (actual !== pinned.sha256) {
        throw new Error(
          `${local} has sha256 ${actual}, expected ${pinned.sha256}: it is not the file the manifest pins; ${howTo}`,
        );
      }
      return { path: local, from: 'local' };
    }
  }

  const cacheDir = join(options.cacheDir ?? defaultCacheDir(), options.subdir);
  const cached = join(cacheDir, pinned.file);
  if (existsSync(cached) && (await sha256File(cached)) === pinned.sha256) return { path: cached, from: 'cache' };

  if (options.download === false) {
    throw new Error(`${pinned.file} is not in ${options.localDir ?? `$${options.localDirVar}`} nor in ${cacheDir}; ${howTo}`);
  }

  await mkdir(cacheDir, { recursive: true });
  const partial = `${cached}.${process.pid}.part`;
  try {
    const response = await fetch(pinned.url);
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    await writeFile(partial, Buffer.from(await response.arrayBuffer()));
  } catch (err) {
    await rm(partial, { force: true });
    throw new Error(`could not download ${pinned.file} from ${pinned.url} (${(err as Error).message}); ${howTo}`);
  }
  const actual = await sha256File(partial);
  if (actual !== pinned.sha256) {
    const size = (await stat(partial)).size;
    await rm(partial, { force: true });
    throw new Error(
      `downloaded ${pinned.file} from ${pinned.url} has sha256 ${actual} (${size} bytes), expected ${pinned.sha256}; ${howTo}`,
    );
  }
  await rename(partial, cached);
  return { path: cached, from: 'download' };
}
