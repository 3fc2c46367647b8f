import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The device's monotonic message counter (`seq` in every message), persisted to a small file so
 * it keeps rising across restarts and the central side can tell a gap from a restart.
 *
 * The file is written with write-to-temp + rename, so a power cut leaves the old or the new value,
 * never a torn one. Without a file (`path` undefined) the counter lives in memory only.
 */
export class Sequence {
  #next: number;
  readonly #path: string | undefined;

  /** @param path file holding the next value as decimal text; created on first use. */
  constructor(path?: string) {
    this.#path = path;
    this.#next = 0;
    if (path) {
      try {
        const stored = Number.parseInt(readFileSync(path, 'utf8'), 10);
        if (Number.isSafeInteger(stored) && stored >= 0) this.#next = stored;
      } catch {
        // no file yet: start at 0
      }
    }
  }

  /** Returns the next value and records that it was used. */
  take(): number {
    const value = this.#next;
    this.#next += 1;
    if (this.#path) {
      mkdirSync(dirname(this.#path), { recursive: true });
      const tmp = `${this.#path}.tmp`;
      writeFileSync(tmp, String(this.#next));
      renameSync(tmp, this.#path);
    }
    return value;
  }
}
