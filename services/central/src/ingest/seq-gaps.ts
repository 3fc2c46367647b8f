/**
 * Gaps in a device's message counter (`seq`), as inclusive ranges of missing values.
 *
 * One counter on the device stamps every message it publishes (observations, traffic counts,
 * stats), so central sees one sequence per device across all topics. Given the highest seq stored
 * so far and the seqs of a new batch:
 *
 * ```
 * stored up to 10, batch [11, 12, 15, 19]   → gaps 13–14 and 16–18 opened, last seq 19
 * later batch [14, 16]                       → 13–13 and 17–18 remain (14 and 16 filled)
 * ```
 *
 * A seq at or below the highest stored one is either a late message (it fills part of a gap) or
 * a re-delivery (no gap contains it: nothing changes). Nothing is known before the first seq
 * central receives, so no gap is opened below it. A device whose counter restarts (its state was
 * wiped) is not detected: its seqs look like re-deliveries until they pass the old highest one.
 */

/** An inclusive range of missing seq values, `first <= last`. */
export interface SeqRange {
  first: number;
  last: number;
}

/** What a batch's seqs do to a device's counter. */
export interface SeqAdvance {
  /** The new highest seq (unchanged when the batch has only older ones); null if still none. */
  lastSeq: number | null;
  /** Ranges newly missing between the old highest seq and the batch's seqs, ascending. */
  newGaps: SeqRange[];
  /** Seqs at or below the old highest seq (late or re-delivered), ascending, unique. */
  late: number[];
}

/**
 * Applies a batch's seqs to a counter whose highest stored seq is `lastSeq` (null: none yet).
 * `seqs` may be unsorted and contain duplicates.
 */
export function advanceSeq(lastSeq: number | null, seqs: readonly number[]): SeqAdvance {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const late: number[] = [];
  const newGaps: SeqRange[] = [];
  let highest = lastSeq;
  for (const seq of sorted) {
    if (lastSeq !== null && seq <= lastSeq) {
      late.push(seq);
      continue;
    }
    if (highest !== null && seq > highest + 1) newGaps.push({ first: highest + 1, last: seq - 1 });
    highest = highest === null ? seq : Math.max(highest, seq);
  }
  return { lastSeq: highest, newGaps, late };
}

/**
 * Removes the `late` seqs from `gaps`, splitting a range when a seq falls inside it.
 *
 * @param gaps existing ranges (any order, non-overlapping).
 * @param late seqs that arrived late (ascending or not).
 * @returns the ranges that remain (ascending) and how many seqs were filled (late seqs that
 *   were inside a gap; the others were re-deliveries).
 */
export function fillGaps(gaps: readonly SeqRange[], late: readonly number[]): { remaining: SeqRange[]; filled: number } {
  const seqs = [...new Set(late)].sort((a, b) => a - b);
  const remaining: SeqRange[] = [];
  let filled = 0;
  for (const gap of [...gaps].sort((a, b) => a.first - b.first)) {
    let start = gap.first;
    for (const seq of seqs) {
      if (seq < gap.first || seq > gap.last) continue;
      filled += 1;
      if (seq > start) remaining.push({ first: start, last: seq - 1 });
      start = seq + 1;
    }
    if (start <= gap.last) remaining.push({ first: start, last: gap.last });
  }
  return { remaining, filled };
}

/** Total number of seq values in `ranges`. */
export function missingCount(ranges: readonly SeqRange[]): number {
  return ranges.reduce((sum, r) => sum + (r.last - r.first + 1), 0);
}
