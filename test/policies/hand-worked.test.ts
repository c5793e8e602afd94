import { describe, expect, it } from 'vitest';
import { ClockPolicy } from '../../vmcore/page-queue/clock-policy.js';
import { FifoPolicy } from '../../vmcore/page-queue/fifo-policy.js';
import { LruPolicy } from '../../vmcore/page-queue/lru-policy.js';
import { S3AdaptivePolicy } from '../../vmcore/page-queue/s3-adaptive-policy.js';
import { S3FifoPolicy } from '../../vmcore/page-queue/s3fifo-policy.js';
import { SecondChancePolicy } from '../../vmcore/page-queue/second-chance-policy.js';
import { SievePolicy } from '../../vmcore/page-queue/sieve-policy.js';
import { BUILTIN_POLICIES } from '../../vmcore/page-queue/policies.js';
import { faults, replay } from './helpers.js';

const all = () => true;

describe('registry', () => {
  it('has the seven built-in policies, each answering to its own name', () => {
    expect(Object.keys(BUILTIN_POLICIES).sort()).toEqual(['clock', 'fifo', 'lru', 's3-adaptive', 's3-fifo', 'second-chance', 'sieve']);
    for (const [name, make] of Object.entries(BUILTIN_POLICIES)) {
      const p = make();
      expect(p.name).toBe(name);
      p.attach(100);
      expect(p.bytesPerFrame).toBeGreaterThan(0);
    }
  });

  it('reports honest per-frame metadata', () => {
    const sized = (p: { attach(n: number): void; bytesPerFrame: number }) => (p.attach(1000), p.bytesPerFrame);
    expect(sized(new LruPolicy())).toBe(9); // next, prev (Int32) + membership byte
    expect(sized(new ClockPolicy())).toBe(2); // queued byte + reference byte
    expect(sized(new SievePolicy())).toBe(10); // FrameList + visited byte
    // S and M lists (18) + freq (1) + key (8) = 27, plus the ghost (900 entries of 9 + 8 + 4 bytes, and a
    // 2048-slot Int32 table) spread over 1000 frames: 27 + 18.9 + 8.192 → 55.
    expect(sized(new S3FifoPolicy())).toBe(55);
    // State and count bytes (2) + the key's 32-bit hash (4) + two ghosts of 500 16-bit slots (2) = 8.
    expect(sized(new S3AdaptivePolicy())).toBe(8);
  });
});

describe('LRU', () => {
  it('moves a hit frame to the tail', () => {
    const p = new LruPolicy();
    p.attach(4);
    for (const f of [0, 1, 2, 3]) p.insert(f, f);
    p.access(0);
    p.access(2);
    expect(p.victim(all)).toBe(1); // order 1 3 0 2
    expect(p.victim((f) => f !== 1)).toBe(3);
    p.remove(1);
    expect(p.victim(all)).toBe(3);
  });
});

describe('CLOCK', () => {
  it('sweeps frame slots in slot order, not in issue order (unlike second chance)', () => {
    // Frames issued in the order 2, 0, 3, 1; frame 0 then used again.
    // CLOCK: hand at slot 0: frame 0 referenced → cleared; slot 1: frame 1 unreferenced → victim, hand → 2.
    // Second chance: queue [2 0* 3 1]: head 2 is unreferenced → victim. FIFO and LRU: 2 as well.
    const clock = new ClockPolicy();
    const sc = new SecondChancePolicy();
    const fifo = new FifoPolicy();
    for (const p of [clock, sc, fifo]) {
      p.attach(4);
      for (const f of [2, 0, 3, 1]) p.insert(f, f);
      p.access(0);
    }
    expect(clock.victim(all)).toBe(1);
    expect(sc.victim(all)).toBe(2);
    expect(fifo.victim(all)).toBe(2);

    // Frame 1 refilled in place; the hand now rests on slot 2.
    clock.remove(1);
    clock.insert(1, 11);
    clock.access(2);
    // Slot 2 referenced → cleared; slot 3 unreferenced → victim; hand → 0.
    expect(clock.victim(all)).toBe(3);
    clock.remove(3);
    // Slot 0 (cleared on the first sweep) → victim, not 2 (cleared after) nor 1 (refilled).
    expect(clock.victim(all)).toBe(0);
  });

  it('passes over ineligible slots without touching their bits, and answers -1 when none is eligible', () => {
    const p = new ClockPolicy();
    p.attach(3);
    for (const f of [0, 1, 2]) p.insert(f, f);
    p.access(0);
    p.access(1);
    expect(p.victim((f) => f !== 2)).toBe(0); // 0 and 1 cleared on the first turn, 0 taken on the second
    expect(p.victim((f) => f === 5)).toBe(-1);
    p.remove(0);
    p.remove(1);
    p.remove(2);
    expect(p.victim(all)).toBe(-1);
  });

  it('1 2 3 1 4 2 5 1 with 3 frames: 7 faults, like LRU and second chance', () => {
    // Slots filled [1 2 3], h=0.  1 hit: 1*.  4 F: s0 1* cleared, s1=2 evicted → 4, h=2.
    // 2 F: s2=3 evicted → 2, h=0.  5 F: s0=1 (cleared) evicted → 5, h=1.  1 F.  Faults: 1 2 3 4 2 5 1 = 7.
    expect(faults('clock', '1 2 3 1 4 2 5 1', 3)).toBe(7);
    expect(faults('second-chance', '1 2 3 1 4 2 5 1', 3)).toBe(7);
    expect(faults('lru', '1 2 3 1 4 2 5 1', 3)).toBe(7);
  });
});

describe('SIEVE', () => {
  it('1 2 3 1 4 2 5 1 with 3 frames: 6 faults; the hand has passed page 1, so it survives', () => {
    // Queue oldest → newest, * visited, H hand.
    //  1 2 3 F [1 2 3].  1 hit [1* 2 3] (not moved).
    //  4 F: H starts at the oldest, 1*: cleared, passed; 2 unvisited → evicted; H → 3.  [1 3 4]
    //  2 F: H=3 → evicted; H → 4.  [1 4 2]     5 F: H=4 → evicted; H → 2.  [1 2 5]
    //  1 hit.  Faults: 1 2 3 4 2 5 = 6.  CLOCK/LRU evicted 1 at the 5 (7 faults): SIEVE's hand only
    //  comes back to 1 after sweeping the newer pages.
    const r = replay(new SievePolicy(), 3, [1, 2, 3, 1, 4, 2, 5, 1]);
    expect(r.faults).toBe(6);
    expect(r.victims).toEqual([2, 3, 4]);
    expect(r.resident).toEqual([1, 2, 5]);
    expect(faults('sieve', '1 2 3 1 4 2 5 1', 3)).toBe(6);
  });

  it('does not move frames on a hit, and resumes the sweep where the hand stopped', () => {
    const p = new SievePolicy();
    p.attach(4);
    for (const f of [0, 1, 2, 3]) p.insert(f, f); // oldest 0 … newest 3
    p.access(0);
    p.access(1);
    expect(p.victim(all)).toBe(2); // 0*, 1* cleared; 2 evicted; hand stays on 2 until it is removed
    expect(p.victim(all)).toBe(2); // not removed: still the answer
    p.remove(2); // hand → 3
    p.insert(2, 20); // newest: [0 1 3 2]
    p.access(0);
    // Hand at 3 (unvisited) → 3. An LRU would pick 1; a sweep from the oldest would pick 1.
    expect(p.victim(all)).toBe(3);
    p.remove(3); // hand → 2 (the newer neighbour)
    expect(p.victim(all)).toBe(2); // 2 unvisited
    p.remove(2); // hand was on the newest → wraps to the oldest next time
    expect(p.victim(all)).toBe(1); // 0* cleared, 1 evicted
  });

  it('honours eligible: skipped frames keep their visited bits', () => {
    const p = new SievePolicy();
    p.attach(3);
    for (const f of [0, 1, 2]) p.insert(f, f);
    p.access(0);
    p.access(1);
    expect(p.victim((f) => f !== 2)).toBe(0); // 0*, 1* cleared on the first turn, 0 on the second
    expect(p.victim((f) => f > 5)).toBe(-1);
  });
});

describe('S3-FIFO', () => {
  it('1 2 3 1 4 2 5 1 4 6 1 2 with 3 frames, worked by the paper rules: 9 faults', () => {
    // 3 frames: S holds round(0.3) → 1 frame's share, M the other 2, the ghost G 2 keys. Threshold: freq > 0.
    //  1 2 3 F → S [1 2 3], M [], G [].         1 hit → freq(1) = 1.
    //  4 F: |S| ≥ 1 → evict from S: 1 has freq 1 → moved to M (freq 0); 2 has freq 0 → evicted, G [2].
    //       4 → S.  S [3 4], M [1].
    //  2 F: evict from S: 3 → evicted, G [2 3].  2 is in G → leaves G, goes to M.  S [4], M [1 2], G [3].
    //  5 F: evict from S: 4 → evicted, G [3 4].  S [5], M [1 2].
    //  1 hit → freq(1) = 1.
    //  4 F: evict from S: 5 → evicted, G [3 4 5] → full, 3 forgotten → G [4 5].  4 in G → M.
    //       S [], M [1 2 4], G [5].
    //  6 F: |S| = 0 < 1 → evict from M: 1 has freq 1 → reinserted with freq 0, M [2 4 1]; 2 freq 0 → evicted
    //       (M victims do not go to G).  6 → S.  S [6], M [4 1].
    //  1 hit → freq(1) = 1.
    //  2 F: not in G; evict from S: 6 → evicted, G [5 6].  S [2], M [4 1].
    //  Faults: 1 2 3 4 2 5 4 6 2 = 9 (of 12).
    const pages = [1, 2, 3, 1, 4, 2, 5, 1, 4, 6, 1, 2];
    const r = replay(new S3FifoPolicy(), 3, pages);
    const p = r.policy as S3FifoPolicy;
    expect(r.faults).toBe(9);
    expect(r.victims).toEqual([2, 3, 4, 5, 2, 6]);
    expect(r.resident).toEqual([1, 2, 4]);
    expect(p.queueOf(r.frameOf.get(2)!)).toBe('small');
    expect(p.queueOf(r.frameOf.get(4)!)).toBe('main');
    expect(p.queueOf(r.frameOf.get(1)!)).toBe('main');
    expect(p.frequency(r.frameOf.get(1)!)).toBe(1);
    expect([3, 4, 5, 6].map((k) => p.inGhost(k))).toEqual([false, false, true, true]);
    expect(faults('s3-fifo', pages.join(' '), 3)).toBe(9);
  });

  it('with moveToMainThreshold 2 (Algorithm 1: freq > 1), one hit in S is not enough', () => {
    // 1 2 3 F, S [1 2 3]; 1 hit (freq 1); 4 F: 1 has freq 1 < 2 → evicted to G.  With threshold 1 it moved.
    const strict = replay(new S3FifoPolicy({ moveToMainThreshold: 2 }), 3, [1, 2, 3, 1, 4]);
    expect(strict.victims).toEqual([1]);
    const lax = replay(new S3FifoPolicy(), 3, [1, 2, 3, 1, 4]);
    expect(lax.victims).toEqual([2]);
    // Two hits move it: 1 1 → freq 2.
    const twice = replay(new S3FifoPolicy({ moveToMainThreshold: 2 }), 3, [1, 2, 3, 1, 1, 4]);
    expect(twice.victims).toEqual([2]);
  });

  it('caps the frequency at 3 and decrements it on each reinsertion in M', () => {
    const p = new S3FifoPolicy();
    p.attach(10); // S share 1, ghost 9
    // Key 7 is evicted from S once so that its next insertion goes straight to M.
    p.insert(0, 7);
    expect(p.victim(all)).toBe(0);
    p.remove(0);
    expect(p.inGhost(7)).toBe(true);
    p.insert(0, 7);
    expect(p.queueOf(0)).toBe('main');
    expect(p.inGhost(7)).toBe(false);
    p.insert(1, 8);
    p.insert(2, 9); // S [1 2], M [0]
    for (let i = 0; i < 5; i++) p.access(0);
    expect(p.frequency(0)).toBe(3);
    // |S| = 2 ≥ 1: S is evicted from first.
    expect(p.victim(all)).toBe(1);
    p.remove(1);
    expect(p.victim(all)).toBe(2);
    p.remove(2);
    // S empty: evict from M. 0 (freq 3) is its only frame: reinserted three times, 3 → 2 → 1 → 0, then taken.
    expect(p.victim(all)).toBe(0);
    expect(p.frequency(0)).toBe(0);
  });

  it('falls back to the other queue when the chosen one has nothing eligible', () => {
    const p = new S3FifoPolicy();
    p.attach(4);
    for (const f of [0, 1, 2, 3]) p.insert(f, f); // all in S
    p.access(0);
    // Only 0 is eligible, and it has been used: it moves to M, S has no eligible victim left, M gives 0.
    expect(p.victim((f) => f === 0)).toBe(0);
    expect(p.queueOf(0)).toBe('main');
    p.remove(0);
    expect(p.inGhost(0)).toBe(false); // evicted from M: not remembered
    expect(p.victim((f) => f === 9)).toBe(-1);
  });

  it('remembers only victims in the ghost, not frames freed for other reasons', () => {
    const p = new S3FifoPolicy();
    p.attach(4);
    p.insert(0, 100);
    p.insert(1, 101);
    p.remove(0); // freed, not reclaimed
    expect(p.inGhost(100)).toBe(false);
    expect(p.victim(all)).toBe(1);
    p.remove(1);
    expect(p.inGhost(101)).toBe(true);
  });
});
