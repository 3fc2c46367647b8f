/**
 * One process per embedded data directory. PGlite runs PostgreSQL in single-user mode inside this
 * process and has no lock of its own, so a second process opening the same directory would
 * corrupt it. The lock is a file beside the directory (`<dataDir>.lock`) holding the owner's pid;
 * a lock left by a process that no longer runs is taken over.
 */
import { open, readFile, rm } from 'node:fs/promises';

/** A held lock; `release()` removes the file (idempotent). */
export interface DataDirLock {
  path: string;
  release(): Promise<void>;
}

/**
 * Takes the lock of `dataDir` (an absolute path).
 * @throws Error `data directory <dir> is in use by process <pid>; stop it or choose another data directory`.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const path = `${dataDir}.lock`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      let released = false;
      return {
        path,
        release: async () => {
          if (released) return;
          released = true;
          await rm(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(owner) && owner > 0 && isRunning(owner)) {
        throw new Error(
          `data directory ${dataDir} is in use by process ${owner}; stop it or choose another data directory (SIGHTLINE_DATA_DIR)`,
        );
      }
      await rm(path, { force: true }); // stale: its owner is gone
    }
  }
  throw new Error(`cannot lock data directory ${dataDir}: ${path} keeps reappearing`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
