import { FrameList } from './frame-list.js';
import type { ReplacementPolicy } from './replacement-policy.js';

/**
 * A FIFO of remembered keys with O(1) membership, insertion and removal, in typed arrays: entries live in a
 * fixed pool linked by a FrameList (oldest at its head), and an open-addressing hash table (linear probing,
 * backward-shift deletion, load at most 1/2) maps a key to its entry. Adding to a full queue forgets the
 * oldest key. Nothing is allocated after construction.
 */
export class GhostQueue {
  readonly capacity: number;
  private readonly order: FrameList;
  private readonly keys: Float64Array;
  private readonly free: Int32Array;
  private freeTop: number;
  /** entry + 1, or 0 for an empty slot. */
  private readonly table: Int32Array;
  private readonly mask: number;
  private readonly scratch = new Float64Array(1);
  private readonly scratchBits = new Uint32Array(this.scratch.buffer);

  constructor(capacity: number) {
    this.capacity = Math.max(0, Math.floor(capacity));
    const entries = Math.max(1, this.capacity);
    this.order = new FrameList(entries);
    this.keys = new Float64Array(entries);
    this.free = new Int32Array(entries);
    for (let i = 0; i < entries; i++) this.free[i] = entries - 1 - i;
    this.freeTop = entries;
    let size = 2;
    while (size < 2 * entries) size *= 2;
    this.table = new Int32Array(size);
    this.mask = size - 1;
  }

  get size(): number {
    return this.order.size;
  }

  /** Bytes these arrays take. */
  get byteLength(): number {
    return (
      this.order.next.byteLength +
      this.order.prev.byteLength +
      this.order.next.length + // FrameList's membership bytes
      this.keys.byteLength +
      this.free.byteLength +
      this.table.byteLength
    );
  }

  has(key: number): boolean {
    return this.slotOf(key) >= 0;
  }

  /** Remembers `key` as the newest entry, forgetting the oldest if full. */
  add(key: number): void {
    if (this.capacity === 0) return;
    const found = this.slotOf(key);
    if (found >= 0) {
      this.order.push(this.table[found]! - 1);
      return;
    }
    if (this.order.size === this.capacity) this.deleteEntry(this.order.head);
    const e = this.free[--this.freeTop]!;
    this.keys[e] = key;
    this.order.push(e);
    let i = this.hash(key);
    while (this.table[i] !== 0) i = (i + 1) & this.mask;
    this.table[i] = e + 1;
  }

  /** Forgets `key`; answers whether it was remembered. */
  delete(key: number): boolean {
    const slot = this.slotOf(key);
    if (slot < 0) return false;
    this.deleteEntry(this.table[slot]! - 1, slot);
    return true;
  }

  /** The keys, oldest first (for tests; allocates). */
  toArray(): number[] {
    const out: number[] = [];
    for (let e = this.order.head; e >= 0; e = this.order.next[e]!) out.push(this.keys[e]!);
    return out;
  }

  private deleteEntry(e: number, slot = this.slotOf(this.keys[e]!)): void {
    this.order.unlink(e);
    this.free[this.freeTop++] = e;
    // Backward-shift deletion: pull later members of the probe run into the hole when their home slot
    // does not lie cyclically in (hole, position].
    const table = this.table;
    const mask = this.mask;
    let hole = slot;
    let j = slot;
    for (;;) {
      j = (j + 1) & mask;
      const t = table[j]!;
      if (t === 0) break;
      const home = this.hash(this.keys[t - 1]!);
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (!stays) {
        table[hole] = t;
        hole = j;
      }
    }
    table[hole] = 0;
  }

  private slotOf(key: number): number {
    const table = this.table;
    const keys = this.keys;
    let i = this.hash(key);
    for (;;) {
      const t = table[i]!;
      if (t === 0) return -1;
      if (keys[t - 1] === key) return i;
      i = (i + 1) & this.mask;
    }
  }

  private hash(key: number): number {
    // Hash the key's IEEE bits, so any number (not only 32-bit integers) hashes well; -0 is folded into 0.
    this.scratch[0] = key === 0 ? 0 : key;
    let h = this.scratchBits[0]! ^ Math.imul(this.scratchBits[1]!, 0x9e3779b1);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
    return h & this.mask;
  }
}

export interface S3FifoOptions {
  /** The small queue's share of the frames (0.1). It holds at least one frame. */
  smallRatio?: number;
  /**
   * How many hits a frame needs while in the small queue to be moved to the main queue rather than
   * evicted. 1 (the default) is "accessed at least once" (freq > 0), the rule the paper's prose and the
   * S3-FIFO blog state and the original libCacheSim S3FIFO's default; 2 is `t.freq > 1` as in the paper's
   * Algorithm 1 pseudocode and today's libCacheSim default (move-to-main-threshold=2).
   */
  moveToMainThreshold?: number;
}

/**
 * S3-FIFO (Yang et al., "FIFO queues are all you need for cache eviction", SOSP 2023): three FIFO queues.
 * A small queue S (~10% of the frames) takes new pages; the main queue M the rest; a ghost queue G remembers
 * the keys (not the pages) of pages evicted from S, as many as M holds. Each frame has a 2-bit frequency
 * (hits since it was queued, capped at 3).
 *
 * - insert: a page whose key is in G was evicted from S too soon: it goes straight to M (and leaves G).
 *   Anything else goes to S. Frequency starts at 0.
 * - access: frequency + 1, capped at 3. Nothing moves.
 * - victim: if S holds at least its share (or M is empty), evict from S: walk from S's oldest; a frame with
 *   frequency >= threshold moves to M's tail with frequency 0 (as libCacheSim re-inserts it as a new main
 *   object); the first other one is the victim, and when the caller removes it its key is put in G.
 *   Otherwise evict from M: walk from M's oldest; a frame with frequency > 0 is reinserted at M's tail with
 *   frequency - 1 (lazy promotion, a 2-bit CLOCK); the first with frequency 0 is the victim.
 *   If the chosen queue has no eligible victim the other is tried (S is walked before M a second time, since
 *   walking S may move eligible frames into M), so an eligible frame is always found when one exists.
 *
 * Differences forced by the interface: the paper evicts an object from M inside evictS when M overflows;
 * here one victim is returned per call and M's overflow shows up as S being under its share, which sends
 * the next reclaim to M (libCacheSim does the same). Frames `eligible` rejects are passed over in place.
 * The ghost learns a key only when the frame victim() chose from S is then removed, not when a page is
 * freed for other reasons.
 */
export class S3FifoPolicy implements ReplacementPolicy {
  readonly name: string = 's3-fifo';
  readonly smallRatio: number;
  readonly moveToMainThreshold: number;
  private small!: FrameList;
  private main!: FrameList;
  private freq!: Uint8Array;
  private keys!: Float64Array;
  private ghost!: GhostQueue;
  private frames = 0;
  private smallTarget = 1;
  /** The frame victim() last chose from S, whose key goes to the ghost when it is removed. */
  private pending = -1;

  constructor(options: S3FifoOptions = {}) {
    this.smallRatio = options.smallRatio ?? 0.1;
    this.moveToMainThreshold = Math.max(1, Math.min(3, options.moveToMainThreshold ?? 1));
  }

  /**
   * Per frame: two FrameLists (S and M), the frequency byte and the key (Float64); plus the ghost's pool
   * and hash table spread over the frames. Exact once attached; before that, the figure for 1024 frames.
   */
  get bytesPerFrame(): number {
    if (this.frames === 0) return S3FifoPolicy.bytesFor(1024, this.smallRatio);
    return Math.ceil((this.frames * (2 * FrameList.bytesPerFrame + 1 + 8) + this.ghost.byteLength) / this.frames);
  }

  private static bytesFor(frames: number, ratio: number): number {
    const ghost = new GhostQueue(frames - S3FifoPolicy.smallShare(frames, ratio)).byteLength;
    return Math.ceil((frames * (2 * FrameList.bytesPerFrame + 1 + 8) + ghost) / frames);
  }

  private static smallShare(frames: number, ratio: number): number {
    return Math.max(1, Math.min(frames, Math.round(frames * ratio)));
  }

  attach(frames: number): void {
    this.frames = frames;
    this.small = new FrameList(frames);
    this.main = new FrameList(frames);
    this.freq = new Uint8Array(frames);
    this.keys = new Float64Array(frames);
    this.smallTarget = S3FifoPolicy.smallShare(frames, this.smallRatio);
    this.ghost = new GhostQueue(frames - this.smallTarget);
    this.pending = -1;
  }

  insert(frame: number, key: number): void {
    if (frame === this.pending) this.pending = -1;
    this.small.unlink(frame);
    this.main.unlink(frame);
    this.keys[frame] = key;
    this.freq[frame] = 0;
    if (this.ghost.delete(key)) this.main.push(frame);
    else this.small.push(frame);
  }

  access(frame: number): void {
    const f = this.freq[frame]!;
    if (f < 3) this.freq[frame] = f + 1;
    if (frame === this.pending) this.pending = -1;
  }

  remove(frame: number): void {
    if (this.small.has(frame)) {
      if (frame === this.pending) this.ghost.add(this.keys[frame]!);
      this.small.unlink(frame);
    } else {
      this.main.unlink(frame);
    }
    if (frame === this.pending) this.pending = -1;
  }

  victim(eligible: (frame: number) => boolean): number {
    this.pending = -1;
    if (this.small.size >= this.smallTarget || this.main.size === 0) {
      const v = this.evictSmall(eligible);
      if (v >= 0) return v;
      return this.evictMain(eligible);
    }
    const v = this.evictMain(eligible);
    if (v >= 0) return v;
    const w = this.evictSmall(eligible);
    if (w >= 0) return w;
    return this.evictMain(eligible);
  }

  /** Which queue a frame is on, for tests and reports: 'small', 'main' or null. */
  queueOf(frame: number): 'small' | 'main' | null {
    return this.small.has(frame) ? 'small' : this.main.has(frame) ? 'main' : null;
  }

  /** Whether the ghost remembers `key`. */
  inGhost(key: number): boolean {
    return this.ghost.has(key);
  }

  /** The frequency counter of a frame. */
  frequency(frame: number): number {
    return this.freq[frame]!;
  }

  private evictSmall(eligible: (frame: number) => boolean): number {
    const small = this.small;
    const freq = this.freq;
    for (let f = small.head; f >= 0;) {
      const following = small.next[f]!;
      if (eligible(f)) {
        if (freq[f]! < this.moveToMainThreshold) {
          this.pending = f;
          return f;
        }
        small.unlink(f);
        freq[f] = 0;
        this.main.push(f);
      }
      f = following;
    }
    return -1;
  }

  private evictMain(eligible: (frame: number) => boolean): number {
    const main = this.main;
    const freq = this.freq;
    // Reinserted frames go to the tail and are met again with a lower count, so each eligible frame is
    // seen at most four times and ineligible ones once.
    for (let f = main.head; f >= 0;) {
      if (!eligible(f)) {
        f = main.next[f]!;
        continue;
      }
      const c = freq[f]!;
      if (c === 0) return f;
      freq[f] = c - 1;
      const following = main.next[f]!;
      main.push(f);
      f = following >= 0 ? following : f;
    }
    return -1;
  }
}
