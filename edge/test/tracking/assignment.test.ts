import { describe, expect, it } from 'vitest';
import { hungarian, linearAssignment } from '../../src/tracking/assignment';

describe('linearAssignment', () => {
  it('finds the optimal assignment of a 3×3 matrix where greedy fails', () => {
    const cost = [
      [4, 1, 3],
      [2, 0, 5],
      [3, 2, 2],
    ];
    const r = linearAssignment(cost);
    expect(r.matches).toEqual([
      [0, 1],
      [1, 0],
      [2, 2],
    ]); // total 5; greedy would take (1,1)=0 and end at 6
    expect(r.unmatchedRows).toEqual([]);
    expect(r.unmatchedCols).toEqual([]);
  });

  it('leaves pairs at or above the threshold unmatched', () => {
    const cost = [
      [0.1, 0.9],
      [0.95, 0.8],
    ];
    const r = linearAssignment(cost, 0.8);
    expect(r.matches).toEqual([[0, 0]]);
    expect(r.unmatchedRows).toEqual([1]);
    expect(r.unmatchedCols).toEqual([1]);
  });

  it('optimises Σ(cost − threshold) like lapjv with cost_limit: one good pair beats two mediocre', () => {
    const r = linearAssignment(
      [
        [0.1, 0.7],
        [0.7, 2.0],
      ],
      0.8,
    );
    expect(r.matches).toEqual([[0, 0]]);
  });

  it('handles rectangular matrices both ways and empty ones', () => {
    expect(linearAssignment([[5, 1, 9]]).matches).toEqual([[0, 1]]);
    const tall = linearAssignment([[3], [1], [2]]);
    expect(tall.matches).toEqual([[1, 0]]);
    expect(tall.unmatchedRows).toEqual([0, 2]);
    expect(linearAssignment([], 0.5)).toEqual({ matches: [], unmatchedRows: [], unmatchedCols: [] });
    expect(linearAssignment([[], []]).unmatchedRows).toEqual([0, 1]);
    expect(linearAssignment([], 0.8, 3).unmatchedCols).toEqual([0, 1, 2]);
  });

  it('treats Infinity as forbidden and maximises the number of pairs without a threshold', () => {
    const r = linearAssignment([
      [1, Infinity],
      [0, Infinity],
    ]);
    expect(r.matches).toHaveLength(1);
    expect(r.matches[0]![1]).toBe(0);
    // two pairs (cost 10 + 10) beat one cheap pair (cost 0) when no threshold is given
    expect(linearAssignment([
      [0, 10],
      [10, Infinity],
    ]).matches).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });

  it('rejects NaN and ragged rows with a message naming the entry', () => {
    expect(() => linearAssignment([[NaN]])).toThrow(/cost\[0\]\[0\] is NaN/);
    expect(() => linearAssignment([[1, 2], [3]])).toThrow(/row 1/);
  });
});

describe('hungarian', () => {
  it('matches brute force on random matrices', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const permutations = (n: number): number[][] =>
      n === 0 ? [[]] : permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, k) => [...p.slice(0, k), n - 1, ...p.slice(k)]));
    for (let trial = 0; trial < 30; trial++) {
      const n = 1 + (trial % 5);
      const cost = Array.from({ length: n }, () => Array.from({ length: n }, () => Math.round(rand() * 100)));
      const best = Math.min(...permutations(n).map((p) => p.reduce((s, j, i) => s + cost[i]![j]!, 0)));
      const got = hungarian(cost).reduce((s, j, i) => s + cost[i]![j]!, 0);
      expect(got).toBe(best);
    }
  });
});
