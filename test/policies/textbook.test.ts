import { describe, expect, it } from 'vitest';
import { belady } from '../../cli/simulate/belady.js';
import { faults, minFaults, trace } from './helpers.js';

// Silberschatz, Galvin & Gagne, Operating System Concepts, ch. "Virtual Memory": the reference string
// used for FIFO, OPT and LRU.
const CLASSIC = '7 0 1 2 0 3 0 4 2 3 0 3 2 1 2 0 1 7 0 1';
// Belady, Nelson & Shedler (1969): more frames, more FIFO faults.
const ANOMALY = '1 2 3 4 1 2 5 1 2 3 4 5';

describe('textbook reference strings', () => {
  it('classic string with 3 frames: FIFO 15, LRU 12, OPT/MIN 9 faults', () => {
    expect(faults('fifo', CLASSIC, 3)).toBe(15);
    expect(faults('lru', CLASSIC, 3)).toBe(12);
    expect(minFaults(CLASSIC, 3)).toBe(9);
    const min = belady(trace(CLASSIC), 3);
    expect(min).toEqual({ policy: 'min', frames: 3, references: 20, faults: 9, missRatio: 0.45 });
  });

  it("Belady's anomaly: FIFO takes 9 faults with 3 frames and 10 with 4", () => {
    expect(faults('fifo', ANOMALY, 3)).toBe(9);
    expect(faults('fifo', ANOMALY, 4)).toBe(10);
    // LRU is a stack algorithm and has no anomaly on it; MIN neither.
    expect(faults('lru', ANOMALY, 3)).toBe(10);
    expect(faults('lru', ANOMALY, 4)).toBe(8);
    expect(minFaults(ANOMALY, 3)).toBe(7);
    expect(minFaults(ANOMALY, 4)).toBe(6);
  });

  it('classic string, worked by hand for second chance and CLOCK (3 frames): 11 faults each', () => {
    // Second chance, queue oldest → newest, * = reference bit (clear when a page is loaded):
    //  7 F [7]   0 F [7 0]   1 F [7 0 1]   2 F evict 7 [0 1 2]   0 hit [0* 1 2]
    //  3 F: 0* cleared and requeued [1 2 0], evict 1 → [2 0 3]          0 hit [2 0* 3]
    //  4 F: evict 2 → [0* 3 4]   2 F: 0* requeued, evict 3 → [4 0 2]   3 F: evict 4 → [0 2 3]
    //  0, 3, 2 hits → [0* 2* 3*]
    //  1 F: 0*, 2*, 3* all cleared and requeued → [0 2 3], evict 0 → [2 3 1]   2 hit [2* 3 1]
    //  0 F: 2* requeued, evict 3 → [1 2 0]   1 hit [1* 2 0]   7 F: 1* requeued, evict 2 → [0 1 7]
    //  0, 1 hits.  Faults at references 1-4, 6, 8, 9, 10, 14, 16, 18: 11.
    // CLOCK, slots s0 s1 s2 filled in order, hand h:
    //  7 0 1 fill s0..s2, h=0.  2 F: s0=7 clear → s0=2, h=1.  0 hit: 0*.
    //  3 F: s1 0* cleared, s2=1 evicted → s2=3, h=0.  0 hit.  4 F: s0=2 → 4, h=1.
    //  2 F: s1 0* cleared, s2=3 → 2, h=0.  3 F: s0=4 → 3, h=1.  0 3 2 hits: [3* 0* 2*].
    //  1 F: s1, s2, s0 cleared, s1=0 evicted → 1, h=2.  2 hit.  0 F: s2 2* cleared, s0=3 → 0, h=1.
    //  1 hit.  7 F: s1 1* cleared, s2=2 → 7, h=0.  0 1 hits.  11 faults: the same victims as second
    //  chance, as they must be when frames are filled in slot order and refilled in place.
    expect(faults('second-chance', CLASSIC, 3)).toBe(11);
    expect(faults('clock', CLASSIC, 3)).toBe(11);
  });

  it('classic string, worked by hand for SIEVE (3 frames): 11 faults', () => {
    // Queue oldest → newest, * = visited, H = hand (none: start at the oldest).
    //  7 0 1 F [7 0 1].  2 F: H=7 unvisited, evict; H → 0.  [0 1 2]   0 hit [0* 1 2]
    //  3 F: H=0* cleared, H=1 evicted; H → 2.  [0 2 3]   0 hit (0* stays where it is)
    //  4 F: H=2 evicted; H → 3 [0* 3 4].  2 F: H=3 evicted; H → 4 [0* 4 2].
    //  3 F: H=4 evicted; H → 2 [0* 2 3].  0 3 2 hits [0* 2* 3*].
    //  1 F: H=2* cleared, 3* cleared, wrap, 0* cleared, 2 evicted; H → 3 [0 3 1].
    //  2 F: H=3 evicted; H → 1 [0 1 2].  0 1 hits [0* 1* 2].
    //  7 F: H=1* cleared, 2 evicted; H → none [0* 1 7].  0 1 hits.
    //  Faults at references 1-4, 6, 8, 9, 10, 14, 15, 18: 11.
    expect(faults('sieve', CLASSIC, 3)).toBe(11);
  });

  it('classic string, worked by hand for s3-adaptive (3 frames): 11 faults', () => {
    // 3 frames: S's target is 1 frame (S is reclaimed from whenever it holds a page and M is not short), the
    // ghosts G (of S) and GM (of M) have 2 slots each. The trace's pages get ids in order of first reference,
    // and the ids' hashes put pages 7, 0, 1 in slot 0 and 2, 3, 4 in slot 1 of either ghost. A use of the page
    // that faulted last, before any other fault, is not counted (the fault's own reference, in a VM).
    // Frames f0 f1 f2; S or M and the hit count after each page; the hands start at f0.
    //  7 0 1 F: S [7 0 1] in slot order (no grace while S is first filled).
    //  2 F: S's hand at f0: 7 unused → victim, G0=7.  f0=2 (S, just behind the hand).   0 hit: 0¹.
    //  3 F: f1: 0 used → M (count spent); f2: 1 → victim, G0=1.  f2=3 (S).               0 hit: 0¹ in M.
    //  4 F: f0: 2 → victim, G1=2.  f0=4.     2 F: f2: 3 → victim, G1=3 (2 is forgotten).  f2=2: not in G, S.
    //  3 F: f0: 4 → victim, G1=4.  f0=3 (S).  0 hit: 0².  3 hit: the page that faulted last, not counted.  2 hit: 2¹.
    //  1 F: S's hand: f1 (M), f2 2¹ → M, f0: 3 → victim, G1=3. 1 is in G0 (since the 3 F), 4 G-reclaims ago,
    //       more than the target of 1: to M, no step; f0=1 (M), less than half a turn ahead of M's hand: a
    //       grace pass.   2 0 hits: 2¹, 0² (capped).   1 hit: the page that faulted last, not counted.
    //  7 F: S is below its target (empty): M's hand from f0: 1 spends its pass, 0² → 0¹, 2¹ → 2⁰, f0: 1 (no
    //       count) → victim, GM0=1. 7 is in neither ghost (G0 was taken by 1): S, f0=7.   0 hit.
    //  1 F: S holds 1: S's hand passes f1, f2 (M), f0: 7 → victim, G0=7. 1 is in GM0: S again, f0=1.
    //  Faults at references 1-4, 6, 8, 9, 10, 14, 18, 20: 11, as second chance; LRU takes 12.
    expect(faults('s3-adaptive', CLASSIC, 3)).toBe(11);
  });
});
