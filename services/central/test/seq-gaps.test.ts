/**
 * Seq-gap bookkeeping on hand-made sequences: gaps open above the highest seq, late seqs split
 * or close them, re-deliveries change nothing, and nothing is assumed before the first seq.
 */
import { describe, expect, it } from 'vitest';
import { advanceSeq, fillGaps, missingCount } from '../src/ingest/seq-gaps';

describe('advanceSeq', () => {
  it('opens no gap before the first seq and none for a contiguous run', () => {
    expect(advanceSeq(null, [7, 5, 6, 6])).toEqual({ lastSeq: 7, newGaps: [], late: [] });
    expect(advanceSeq(7, [8, 9])).toEqual({ lastSeq: 9, newGaps: [], late: [] });
  });

  it('opens a gap for each hole above the highest seq, whatever the arrival order', () => {
    expect(advanceSeq(10, [19, 11, 15, 12])).toEqual({ lastSeq: 19, newGaps: [{ first: 13, last: 14 }, { first: 16, last: 18 }], late: [] });
    expect(advanceSeq(null, [1, 4])).toEqual({ lastSeq: 4, newGaps: [{ first: 2, last: 3 }], late: [] });
  });

  it('sets seqs at or below the highest aside as late (or re-delivered)', () => {
    expect(advanceSeq(10, [3, 10, 12])).toEqual({ lastSeq: 12, newGaps: [{ first: 11, last: 11 }], late: [3, 10] });
    expect(advanceSeq(10, [4])).toEqual({ lastSeq: 10, newGaps: [], late: [4] });
  });
});

describe('fillGaps', () => {
  it('splits a gap around a late seq, shrinks it at its ends and removes it when full', () => {
    const gaps = [{ first: 13, last: 14 }, { first: 16, last: 20 }];
    expect(fillGaps(gaps, [18])).toEqual({ remaining: [{ first: 13, last: 14 }, { first: 16, last: 17 }, { first: 19, last: 20 }], filled: 1 });
    expect(fillGaps(gaps, [13, 14, 16, 20])).toEqual({ remaining: [{ first: 17, last: 19 }], filled: 4 });
  });

  it('counts a seq outside every gap as a re-delivery', () => {
    expect(fillGaps([{ first: 5, last: 6 }], [4, 7, 7])).toEqual({ remaining: [{ first: 5, last: 6 }], filled: 0 });
  });

  it('counts missing values', () => {
    expect(missingCount([{ first: 1, last: 1 }, { first: 3, last: 7 }])).toBe(6);
  });
});
