import { GhostTable, hashKey } from './ghost-table.js';
import type { ReplacementPolicy } from './replacement-policy.js';

/**
 * S3-FIFO (Yang et al., SOSP 2023) with a small queue that sizes itself, in 8 bytes a frame: the default.
 *
 * The queues. New pages join a small queue S; pages that prove themselves live in the main queue M. A hit
 * counts (0, 1, 2: capped). When S holds at least its target, a frame is reclaimed from S: the oldest one
 * used since it came is moved to M instead, and the first unused one is the victim, remembered in the ghost
 * G. Otherwise a frame is reclaimed from M: a used one loses a count and stays; the first with none is the
 * victim, remembered in the ghost GM. A page that comes back while G remembers it was sent away too soon:
 * it goes straight to M. Everything else, a page GM remembers included, starts in S.
 *
 * The target. S3-FIFO keeps S at a tenth of the frames; that loses the reuse in a trace with temporal
 * locality, where S should be most of the pool, and phases of a few references a frame. Here the target
 * follows the ghosts, as ARC's does (Megiddo & Modha, FAST 2003), counting only the hits that tell what a
 * little more room would have saved: a page G remembers from at most `target` S-reclaims ago would have hit
 * had S been that much longer, so the target grows by a step (3% of it, at least 3 frames); a page GM
 * remembers from at most `target` M-reclaims ago would have hit had M been that much longer, so it shrinks by
 * a step. Older ghost hits still send a page to M (G) or S (GM) but do not move the target, and the target
 * does not grow before M has given up a page at all: while the pool fills, S's quick returns say nothing
 * about M (growing on them took S to 80% in the first pass of a short zipf trace: 4-6% more faults).
 *
 * The queues as clocks. A linked FIFO costs 8 bytes a frame in links; here each queue is a clock hand that
 * sweeps the frame slots in order and acts only on frames of its queue, so a frame's place in a queue is its
 * slot. When a victim's slot is refilled at once (the usual case) the new page sits just behind the hand,
 * exactly where a FIFO would put it. A page that lands elsewhere (a freed frame reused, a frame moved from S
 * to M in place) would meet the hand early; it gets a grace pass when its slot is less than half a turn
 * ahead of the hand, so every page waits between half and one and a half turns, a turn on average, before it
 * is first judged, as in a FIFO.
 *
 * Per frame: the queue and grace bits (1 byte), the hit count (1 byte, the only one a hit writes), and the
 * 32-bit hash of its key (the ghosts need it when the page leaves). The ghosts are GhostTables of half the
 * frames each, 2 bytes a slot: 8 bytes a frame in all.
 *
 * The fault's own reference. A page read through the synchronous accessors is faulted in by `request()` (or
 * a trap's retry) and then read on the hit path, so its first access() is the reference that faulted it,
 * not a reuse; counted, it would move every page to M and undo the small queue (the bench's zipf file reads
 * lost 2 points of hit ratio to it). So the first access() to the frame issued last, before any other frame
 * is issued, is not counted: the correlated reference of LRU-K and 2Q. A replay that reports no such access
 * loses a reuse only when a page is used again before the next fault.
 *
 * The contract: frames `eligible` rejects are passed over, but the hands still age what they pass (a grace
 * pass spent, a count taken, a used page moved to M): the clock is the reclaim rate, not the caller's. Only
 * the ghost of the frame victim() last chose learns its key, and only when that frame is removed.
 */
export class S3AdaptivePolicy implements ReplacementPolicy {
  readonly name: string = 's3-adaptive';
  private frames = 0;
  /** NONE, SMALL or MAIN, plus GRACE. */
  private state!: Uint8Array;
  /** Hits since the frame was queued or last aged, capped at MAX_COUNT. */
  private count!: Uint8Array;
  private hash!: Uint32Array;
  private smallGhost!: GhostTable;
  private mainGhost!: GhostTable;
  private smallHand = 0;
  private mainHand = 0;
  /** Whether S's hand has swept at all since attach (before, frames are met in the order they were filled). */
  private smallMoved = false;
  private small = 0;
  private main = 0;
  /** The small queue's target in frames, a real between `least` and `most`; `smallTarget` is it rounded. */
  private target = 1;
  private least = 1;
  private most = 1;
  private smallTarget = 1;
  /** The frame victim() last chose, whose key a ghost learns when it is removed. */
  private pending = -1;
  /** Whether M has given up a page since attach: only then can S's ghost hits be weighed against M's. */
  private mainReclaimed = false;
  /** The frame issued last, until its first access() (not counted) or the next insert. */
  private fresh = -1;

  /** Exact once attached; before that, the figure for 1024 frames. */
  get bytesPerFrame(): number {
    return S3AdaptivePolicy.bytesFor(this.frames || 1024);
  }

  static bytesFor(frames: number): number {
    const ghost = Math.ceil(frames / 2) * 2;
    return Math.ceil((frames * (1 + 1 + 4) + 2 * ghost) / frames);
  }

  attach(frames: number): void {
    const n = (this.frames = frames);
    this.state = new Uint8Array(n);
    this.count = new Uint8Array(n);
    this.hash = new Uint32Array(n);
    // Ages are told apart up to two pools' worth of reclaims; a slot seldom lives longer in a table of half that.
    this.smallGhost = new GhostTable(Math.ceil(n / 2), 2 * n);
    this.mainGhost = new GhostTable(Math.ceil(n / 2), 2 * n);
    this.smallHand = this.mainHand = 0;
    this.smallMoved = false;
    this.mainReclaimed = false;
    this.small = this.main = 0;
    this.least = Math.max(1, n * 0.01);
    this.most = Math.max(this.least, n * 0.9);
    this.resize(Math.max(1, Math.round(n * 0.1)));
    this.pending = -1;
  }

  insert(frame: number, key: number): void {
    if (this.state[frame]! & QUEUE) this.leave(frame);
    if (frame === this.pending) this.pending = -1;
    const h = hashKey(key);
    this.hash[frame] = h;
    this.count[frame] = 0;
    let queue = SMALL;
    const fromSmall = this.smallGhost.take(h);
    if (fromSmall >= 0) {
      // Until M has given up a page, a young G hit says only that the pool is still filling up.
      if (fromSmall <= this.smallTarget && this.mainReclaimed) this.resize(this.target + this.step());
      queue = MAIN;
    } else {
      const fromMain = this.mainGhost.take(h);
      if (fromMain >= 0 && fromMain <= this.smallTarget) this.resize(this.target - this.step());
    }
    this.join(frame, queue);
    this.fresh = frame;
  }

  access(frame: number): void {
    if (frame === this.fresh) {
      this.fresh = -1;
      return;
    }
    const c = this.count[frame]!;
    if (c < MAX_COUNT) this.count[frame] = c + 1;
  }

  remove(frame: number): void {
    const queue = this.state[frame]! & QUEUE;
    if (queue === NONE) return;
    if (frame === this.pending) {
      (queue === SMALL ? this.smallGhost : this.mainGhost).record(this.hash[frame]!);
      if (queue === MAIN) this.mainReclaimed = true;
      this.pending = -1;
    }
    this.leave(frame);
  }

  victim(eligible: (frame: number) => boolean): number {
    this.pending = -1;
    let v: number;
    if (this.small >= this.smallTarget || this.main === 0) {
      v = this.sweepSmall(eligible);
      if (v < 0) v = this.sweepMain(eligible);
    } else {
      v = this.sweepMain(eligible);
      // Sweeping S moves its used frames to M, where the second sweep of M may find them.
      if (v < 0) v = this.sweepSmall(eligible);
      if (v < 0) v = this.sweepMain(eligible);
    }
    this.pending = v;
    return v;
  }

  /** Which queue a frame is on: 'small', 'main' or null (for tests and reports). */
  queueOf(frame: number): 'small' | 'main' | null {
    const queue = this.state[frame]! & QUEUE;
    return queue === SMALL ? 'small' : queue === MAIN ? 'main' : null;
  }

  /** The hit count of a frame. */
  hits(frame: number): number {
    return this.count[frame]!;
  }

  /** The small queue's current target, in frames. */
  get smallQueueTarget(): number {
    return this.smallTarget;
  }

  /** Whether a ghost remembers `key` as evicted from the small queue ('small') or the main one ('main'). */
  remembers(key: number): 'small' | 'main' | null {
    const h = hashKey(key);
    return this.smallGhost.has(h) ? 'small' : this.mainGhost.has(h) ? 'main' : null;
  }

  /** 3% of the target, at least 3 frames: fast enough for a pool of thousands, steady for one of tens. */
  private step(): number {
    return Math.max(MIN_STEP, this.target * STEP_RATIO);
  }

  private resize(target: number): void {
    this.target = Math.min(this.most, Math.max(this.least, target));
    this.smallTarget = Math.max(1, Math.round(this.target));
  }

  private join(frame: number, queue: number): void {
    const hand = queue === SMALL ? this.smallHand : this.mainHand;
    // Less than half a turn ahead of its hand: one free pass, so it waits about a turn like a FIFO's tail. Until
    // S's hand first moves, the pool is being filled (in slot order, from the free list) and the hand will meet
    // the frames in the order they came.
    const ahead = frame >= hand ? frame - hand : frame - hand + this.frames;
    const filling = queue === SMALL && !this.smallMoved;
    this.state[frame] = !filling && 2 * ahead < this.frames ? queue | GRACE : queue;
    if (queue === SMALL) this.small++;
    else this.main++;
  }

  private leave(frame: number): void {
    if ((this.state[frame]! & QUEUE) === SMALL) this.small--;
    else this.main--;
    this.state[frame] = NONE;
  }

  /**
   * S's hand: a grace pass is spent, a used frame moves to M, an unused one is the victim if `eligible`
   * takes it. The first turn spends every pass and moves every used frame, so the second finds a victim if S
   * has an eligible one; a turn that changes nothing ends the sweep early. The hand rests just past the victim.
   */
  private sweepSmall(eligible: (frame: number) => boolean): number {
    const n = this.frames;
    const state = this.state;
    this.smallMoved = true;
    let f = this.smallHand;
    for (let steps = 2 * n, idle = 0; steps > 0 && idle < n && this.small > 0; steps--, idle++) {
      const here = f;
      f = f + 1 === n ? 0 : f + 1;
      const s = state[here]!;
      if ((s & QUEUE) !== SMALL) continue;
      if (s & GRACE) {
        state[here] = SMALL;
        idle = -1; // the turn starts again after a change
      } else if (this.count[here]! > 0) {
        this.small--;
        this.count[here] = 0;
        this.join(here, MAIN);
        idle = -1; // the turn starts again after a change
      } else if (eligible(here)) {
        this.smallHand = f;
        return here;
      }
    }
    this.smallHand = f;
    return -1;
  }

  /**
   * M's hand: a grace pass is spent, a used frame loses a count, a frame with none is the victim if `eligible`
   * takes it. An eligible frame is met at most 2 + MAX_COUNT times before it is chosen, so that many turns
   * find one if there is one; a turn that changes nothing ends the sweep early.
   */
  private sweepMain(eligible: (frame: number) => boolean): number {
    const n = this.frames;
    const state = this.state;
    const count = this.count;
    let f = this.mainHand;
    for (let steps = (2 + MAX_COUNT) * n, idle = 0; steps > 0 && idle < n && this.main > 0; steps--, idle++) {
      const here = f;
      f = f + 1 === n ? 0 : f + 1;
      const s = state[here]!;
      if ((s & QUEUE) !== MAIN) continue;
      if (s & GRACE) {
        state[here] = MAIN;
        idle = -1; // the turn starts again after a change
      } else if (count[here]! > 0) {
        count[here]!--;
        idle = -1; // the turn starts again after a change
      } else if (eligible(here)) {
        this.mainHand = f;
        return here;
      }
    }
    this.mainHand = f;
    return -1;
  }
}

const NONE = 0;
const SMALL = 1;
const MAIN = 2;
const QUEUE = 3;
const GRACE = 4;
/** Hits a frame's count holds: two are enough to tell a reused page from a hot one (three held stale pages too long). */
const MAX_COUNT = 2;
/** What the small queue's target moves by on each telling ghost hit: a share of it, and at least a few frames. */
const STEP_RATIO = 0.03;
const MIN_STEP = 3;
