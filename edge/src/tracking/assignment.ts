/**
 * Linear assignment: pair rows (tracks) with columns (detections) so that the total cost is
 * minimal, each row and each column used at most once, and no pair costs more than a threshold.
 *
 * Trackers build a cost matrix `cost[track][detection] = 1 − IoU` and ask which detection
 * continues which track. A greedy "take the cheapest pair first" is not optimal: with
 *
 * ```
 *            det0  det1  det2
 * track0  [   4     1     3  ]      greedy: (1,1)=0, then (0,2)=3, (2,0)=3  → 6
 * track1  [   2     0     5  ]      optimal: (0,1)=1, (1,0)=2, (2,2)=2      → 5
 * track2  [   3     2     2  ]
 * ```
 *
 * so this module implements the Hungarian method (Kuhn, 1955; Munkres, 1957) in its O(n²·m)
 * shortest-augmenting-path form with row/column potentials (the formulation of Jonker & Volgenant,
 * "A shortest augmenting path algorithm for dense and sparse linear assignment problems",
 * Computing 38, 1987), for rectangular matrices.
 *
 * **Threshold, as ByteTrack.** ByteTrack's `matching.linear_assignment(cost, thresh)` calls
 * `lap.lapjv(cost, extend_cost=True, cost_limit=thresh)`, which pads the matrix so that leaving a
 * row *and* a column unmatched costs `thresh`. The optimum therefore minimises
 * `Σ over matched pairs (cost − thresh)`: a pair is used only when it costs less than `thresh`,
 * and one very good pair may win over two mediocre ones (`[[0.1, 0.7], [0.7, 2.0]]` with
 * `thresh = 0.8` matches only (0,0): −0.7 < 2·(−0.1)). {@link linearAssignment} solves exactly that
 * problem, without padding: a full rectangular assignment on `min(cost − thresh, 0)`, whose
 * zero-cost pairs are then dropped. Pairs with `cost ≥ thresh` are never matched (lapjv may or
 * may not match a pair costing exactly `thresh`; we never do).
 *
 * Sharp edges: `NaN` costs are rejected; `Infinity` means "forbidden". Without a threshold
 * (`Infinity`, the default) the result is a maximum-cardinality assignment of minimum cost.
 *
 * @example
 * const { matches, unmatchedRows, unmatchedCols } = linearAssignment(costs, 0.8);
 * for (const [track, det] of matches) ...
 */

/** Result of {@link linearAssignment}; all indices ascending. */
export interface AssignmentResult {
  /** `[row, col]` pairs, sorted by row. */
  matches: Array<[number, number]>;
  unmatchedRows: number[];
  unmatchedCols: number[];
}

/**
 * Optimal thresholded assignment (see the module docs).
 *
 * @param cost `rows × cols` matrix (rows may have any equal length, including 0 rows/cols).
 * @param threshold a pair is matched only if its cost is **below** this; default `Infinity`.
 * @param columns number of columns; needed only when `cost` has no rows (a tracker with no tracks
 *   still has detections to report as unmatched). Default: the length of the first row.
 */
export function linearAssignment(
  cost: readonly (readonly number[])[],
  threshold = Infinity,
  columns: number = cost[0]?.length ?? 0,
): AssignmentResult {
  const rows = cost.length;
  const cols = columns;
  for (let i = 0; i < rows; i++) {
    const row = cost[i]!;
    if (row.length !== cols) {
      throw new RangeError(`linearAssignment: row ${i} has ${row.length} entries, expected ${cols} (the matrix must be rectangular)`);
    }
    for (let j = 0; j < cols; j++) {
      if (Number.isNaN(row[j])) throw new RangeError(`linearAssignment: cost[${i}][${j}] is NaN; use Infinity for a forbidden pair`);
    }
  }
  if (Number.isNaN(threshold)) throw new RangeError('linearAssignment: threshold is NaN');

  const allRows = Array.from({ length: rows }, (_, i) => i);
  const allCols = Array.from({ length: cols }, (_, j) => j);
  if (rows === 0 || cols === 0) return { matches: [], unmatchedRows: allRows, unmatchedCols: allCols };

  // Limit: matching a pair gains (limit − cost). With no threshold, pick a limit so large that one
  // more pair always beats any cost difference (max-cardinality first, then min cost).
  let limit = threshold;
  if (!Number.isFinite(threshold)) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const row of cost) {
      for (const c of row) {
        if (Number.isFinite(c)) {
          lo = Math.min(lo, c);
          hi = Math.max(hi, c);
        }
      }
    }
    if (!Number.isFinite(lo)) return { matches: [], unmatchedRows: allRows, unmatchedCols: allCols };
    limit = hi + (Math.min(rows, cols) + 1) * (hi - lo) + 1;
  }
  const reduced = cost.map((row) => row.map((c) => (Number.isFinite(c) && c < limit ? c - limit : 0)));
  const colOfRow = hungarian(reduced);

  const matches: Array<[number, number]> = [];
  const usedCols = new Set<number>();
  for (let i = 0; i < rows; i++) {
    const j = colOfRow[i]!;
    if (j >= 0 && reduced[i]![j]! < 0) {
      matches.push([i, j]);
      usedCols.add(j);
    }
  }
  const matchedRows = new Set(matches.map(([i]) => i));
  return {
    matches,
    unmatchedRows: allRows.filter((i) => !matchedRows.has(i)),
    unmatchedCols: allCols.filter((j) => !usedCols.has(j)),
  };
}

/**
 * Minimum-cost assignment of a finite rectangular matrix, every row (if rows ≤ cols) or every
 * column (otherwise) assigned.
 *
 * @returns for each row, its column, or −1 when the row is left out (only when rows > cols).
 */
export function hungarian(cost: readonly (readonly number[])[]): number[] {
  const rows = cost.length;
  const cols = rows > 0 ? cost[0]!.length : 0;
  if (rows === 0) return [];
  if (cols === 0) return new Array<number>(rows).fill(-1);
  cost.forEach((row, i) => {
    if (row.length !== cols || !row.every(Number.isFinite)) {
      throw new RangeError(`hungarian: row ${i} must hold ${cols} finite costs (use linearAssignment for forbidden pairs)`);
    }
  });
  if (rows > cols) {
    // Solve the transpose (the algorithm needs n ≤ m) and invert the answer.
    const t = Array.from({ length: cols }, (_, j) => Array.from({ length: rows }, (_, i) => cost[i]![j]!));
    const rowOfCol = hungarian(t);
    const out = new Array<number>(rows).fill(-1);
    rowOfCol.forEach((i, j) => {
      if (i >= 0) out[i] = j;
    });
    return out;
  }
  const n = rows;
  const m = cols;
  // 1-indexed arrays; index 0 is the virtual start column of each augmenting path.
  const u = new Float64Array(n + 1); // row potentials
  const v = new Float64Array(m + 1); // column potentials
  const p = new Int32Array(m + 1); // p[j] = row assigned to column j (0 = none)
  const way = new Int32Array(m + 1); // predecessor column on the shortest path
  const minv = new Float64Array(m + 1);
  const used = new Uint8Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = p[j0]!;
      const row = cost[i0 - 1]!;
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = row[j - 1]! - u[i0]! - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]!]! += delta;
          v[j]! -= delta;
        } else {
          minv[j]! -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  const out = new Array<number>(n).fill(-1);
  for (let j = 1; j <= m; j++) if (p[j]! > 0) out[p[j]! - 1] = j - 1;
  return out;
}
