import { describe, expect, it } from 'vitest';
import { GhostTable, hashKey } from '../../vmcore/page-queue/ghost-table.js';
import { S3AdaptivePolicy } from '../../vmcore/page-queue/s3-adaptive-policy.js';

const all = () => true;

/** A policy over `frames` frames with frames 0 .. frames-1 issued in slot order, keyed `base + frame`. */
function filled(frames: number, base = 100): S3AdaptivePolicy {
  const p = new S3AdaptivePolicy();
  p.attach(frames);
  for (let f = 0; f < frames; f++) p.insert(f, base + f);
  return p;
}

/** Reclaims the victim and issues `key` in its frame, as a page-in after a fault does. */
function replace(p: S3AdaptivePolicy, key: number): number {
  const v = p.victim(all);
  p.remove(v);
  p.insert(v, key);
  return v;
}

describe('s3-adaptive: the small queue S and the main queue M', () => {
  it('fills S in slot order and reclaims it oldest first, a refilled frame waiting a whole turn', () => {
    const p = filled(4);
    expect([0, 1, 2, 3].map((f) => p.queueOf(f))).toEqual(['small', 'small', 'small', 'small']);
    expect(p.smallQueueTarget).toBe(1); // a tenth of 4 frames, at least one
    // The hand meets 0, 1, 2, 3 in the order they were filled; each refilled frame sits just behind it.
    expect([200, 201, 202, 203, 204].map((k) => replace(p, k))).toEqual([0, 1, 2, 3, 0]);
  });

  it('moves a page used in S to M when the hand reaches it, its count spent; the first unused one goes', () => {
    const p = filled(4);
    p.access(0);
    p.access(1);
    p.access(1);
    expect(p.victim(all)).toBe(2);
    expect(p.queueOf(0)).toBe('main');
    expect(p.queueOf(1)).toBe('main');
    expect([p.hits(0), p.hits(1)]).toEqual([0, 0]);
    expect(p.queueOf(2)).toBe('small'); // chosen, not yet removed
  });

  it('caps a count at 2; M keeps a used page and takes one count a pass', () => {
    const p = filled(4);
    for (const f of [0, 1, 2, 3]) p.access(f);
    for (let i = 0; i < 5; i++) p.access(3);
    expect(p.hits(3)).toBe(2);
    // S's hand moves all four to M (counts spent; 0 and 1 land less than half a turn ahead of M's hand at 0,
    // so they get a grace pass). S is empty: M's hand passes 0 and 1 (grace spent), takes 2.
    expect(p.victim(all)).toBe(2);
    expect([0, 1, 2, 3].map((f) => p.queueOf(f))).toEqual(['main', 'main', 'main', 'main']);
    p.remove(2);
    p.access(0);
    p.access(0);
    p.access(3);
    // From 3 (count 1 → 0), round to 0 (2 → 1), 1 (none: the victim).
    expect(p.victim(all)).toBe(1);
    expect([p.hits(0), p.hits(3)]).toEqual([1, 0]);
  });

  it('gives a pass to a page that lands less than half a turn ahead of its hand, none to one just behind it', () => {
    const p = filled(8);
    expect(replace(p, 300)).toBe(0); // S's hand now rests on 1; the new page in 0 is just behind it
    p.remove(4); // frame 4 is freed and issued again: three slots ahead of the hand, less than half of 8
    p.insert(4, 301);
    // The hand meets 1, 2, 3 (victims in turn), then 4 with its pass, then 5.
    expect([302, 303, 304, 305].map((k) => replace(p, k))).toEqual([1, 2, 3, 5]);
  });
});

describe('s3-adaptive: the ghosts and the target', () => {
  // 20 frames: a target of 2 to start with, steps of 3 frames. Each ghost holds one entry at a time below, so
  // no entry is lost to another in its slot.
  const frames = 20;

  it('sends a page the S ghost remembers straight to M, but grows the target only once M has given up a page', () => {
    const p = filled(frames);
    expect(p.smallQueueTarget).toBe(2);
    expect(p.victim(all)).toBe(0);
    p.remove(0);
    expect(p.remembers(100)).toBe('small');
    p.insert(0, 100); // reclaimed 0 S-reclaims ago: S would have kept it, but the pool is still filling
    expect(p.queueOf(0)).toBe('main');
    expect(p.remembers(100)).toBe(null); // a page comes back once
    expect(p.smallQueueTarget).toBe(2);
  });

  it('shrinks the target for a recent return from the M ghost (to S), grows it for one from the S ghost (to M)', () => {
    const p = filled(frames);
    // Every page used (twice: the first use of the page issued last is the fault's own): S's hand moves them
    // all to M; M's hand then passes 0 .. 9 (less than half a turn ahead of it when they came: a grace pass
    // each) and takes 10.
    for (let f = 0; f < frames; f++) {
      p.access(f);
      p.access(f);
    }
    expect(p.victim(all)).toBe(10);
    expect(p.queueOf(10)).toBe('main');
    p.remove(10);
    expect(p.remembers(110)).toBe('main');
    p.insert(10, 110); // reclaimed 0 M-reclaims ago: M would have kept it
    expect(p.queueOf(10)).toBe('small');
    expect(p.smallQueueTarget).toBe(1); // 2 - 3, at least 1
    // S holds 1 ≥ 1: its hand (back at 0) passes the M frames and takes 10, unused.
    expect(p.victim(all)).toBe(10);
    p.remove(10);
    expect(p.remembers(110)).toBe('small');
    p.insert(10, 110); // 0 S-reclaims ago, and M has given up a page: S would have kept it
    expect(p.queueOf(10)).toBe('main');
    expect(p.smallQueueTarget).toBe(4); // 1 + 3
  });

  it('teaches the ghost only the victim it chose, and only when that frame is removed', () => {
    const p = filled(4);
    p.remove(3); // freed, not reclaimed
    expect(p.remembers(103)).toBe(null);
    expect(p.victim(all)).toBe(0);
    expect(p.remembers(100)).toBe(null);
    p.remove(0);
    expect(p.remembers(100)).toBe('small');
  });
});

describe('s3-adaptive: the reference that faulted a page in', () => {
  it('does not count the first use of the frame issued last, before another is issued', () => {
    const p = filled(4); // frame 3 issued last
    p.access(3); // in a VM: the read that faulted the page in, on the hit path after request()
    expect(p.hits(3)).toBe(0);
    p.access(3);
    expect(p.hits(3)).toBe(1);
    p.access(2);
    expect(p.hits(2)).toBe(1);
    const v = replace(p, 200); // frame 0 now holds the page issued last
    expect(v).toBe(0);
    p.access(3);
    expect(p.hits(3)).toBe(2);
    p.access(0);
    p.access(0);
    expect(p.hits(0)).toBe(1);
  });
});

describe('s3-adaptive: victim(eligible)', () => {
  it('passes over frames eligible rejects, falls back to the other queue, and answers -1 when none is eligible', () => {
    const p = filled(4);
    p.access(0);
    // Only 0 is eligible, and it was used: S's hand moves it to M, S has nothing eligible left, M gives 0.
    expect(p.victim((f) => f === 0)).toBe(0);
    expect(p.queueOf(0)).toBe('main');
    expect(p.victim((f) => f === 9)).toBe(-1);
    for (const f of [0, 1, 2, 3]) p.remove(f);
    expect(p.victim(all)).toBe(-1);
  });

  it('ends a sweep when nothing is eligible after a few turns, however the counts stand', () => {
    const p = filled(64);
    for (let f = 0; f < 64; f++) for (let i = 0; i < 3; i++) p.access(f);
    let asked = 0;
    expect(
      p.victim(() => {
        asked++;
        return false;
      }),
    ).toBe(-1);
    expect(asked).toBeLessThanOrEqual(8 * 64);
    // The sweep aged what it passed: everything is in M now, and a willing caller gets a frame at once.
    expect(p.victim(all)).toBeGreaterThanOrEqual(0);
  });

  it('reports 8 bytes a frame: state and count bytes, a 32-bit key hash, two 16-bit ghosts of half the frames', () => {
    const p = new S3AdaptivePolicy();
    expect(p.bytesPerFrame).toBe(8); // before attach: the figure for 1024 frames
    for (const n of [1, 3, 100, 1000, 4096, 100_000]) {
      p.attach(n);
      expect(p.bytesPerFrame).toBe(Math.ceil((6 * n + 4 * Math.ceil(n / 2)) / n));
      expect(p.bytesPerFrame).toBeLessThanOrEqual(11);
    }
  });
});

/** Hashes of `count` keys that fall in different slots of a table of `size`. */
function distinctSlots(count: number, size: number): number[] {
  const out: number[] = [];
  for (let k = 0; out.length < count; k++) if (!out.some((h) => h % size === hashKey(k) % size)) out.push(hashKey(k));
  return out;
}

describe('GhostTable', () => {
  it('remembers a hash with its age in records, forgets it once taken, and loses it to a later record in its slot', () => {
    const g = new GhostTable(8, 64); // a unit of 1 record
    const [a, b, c] = distinctSlots(3, 8);
    g.record(a!);
    g.record(b!);
    g.record(c!);
    expect(g.take(a!)).toBe(2); // recorded 2 records ago
    expect(g.take(a!)).toBe(-1);
    // The same slot as b, another fingerprint: the newer record wins.
    let other = 1000;
    while (hashKey(other) % 8 !== b! % 8) other++;
    g.record(hashKey(other));
    expect(g.has(b!)).toBe(false);
    expect(g.has(hashKey(other))).toBe(true);
    expect(g.take(c!)).toBe(1); // one record (the other one) since
  });

  it('rounds ages down to a unit of window / 64 records', () => {
    const g = new GhostTable(2, 640); // units of 10 records
    const h = hashKey(42);
    let other = 0;
    while (hashKey(other) % 2 === h % 2) other++;
    g.record(h);
    for (let i = 0; i < 25; i++) g.record(hashKey(other)); // the other slot
    expect(g.take(h)).toBe(20); // 25 records later: 2 whole units
  });

  it('matches a stranger rarely: about 1 in 1,023 of the occupied slots', () => {
    const g = new GhostTable(1024, 2048);
    for (let k = 0; k < 1024; k++) g.record(hashKey(k));
    let false_ = 0;
    for (let k = 1_000_000; k < 1_100_000; k++) if (g.has(hashKey(k))) false_++;
    expect(false_).toBeLessThan(200); // expected: 100,000 × occupancy (≈ 63%) / 1,023 ≈ 62
  });

  it('hashes any number: big keys, fractions, -0 as 0', () => {
    expect(hashKey(-0)).toBe(hashKey(0));
    const hashes = new Set([2 ** 40, 2 ** 40 + 1, 2 ** 52 + 3, Number.MAX_SAFE_INTEGER, 0.5, 1.5].map(hashKey));
    expect(hashes.size).toBe(6);
    for (const h of hashes) expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
  });
});
