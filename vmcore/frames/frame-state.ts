import { InvalidArgumentError } from '../errors.js';

/**
 * The state of every frame of one pool, as FreeBSD's `vm_page.c` owns page state: the bits, the pin
 * counts, the owner and page each frame holds, and the free list. Nothing else changes them; every change
 * is one of the named transitions below. The state lives in typed arrays, not objects, so that it can move
 * into a SharedArrayBuffer for other threads to read.
 *
 * A frame's flags byte puts it in one of these states (the letters are its bits: F Free, B Busy, Q Queued,
 * D Dirty, O Orphan):
 *
 *   state        flags      where the frame is
 *   Free         F          on the free list; pins 0
 *   Taken        0          popped by `allocate`, its page-in not begun (owner and page are stale)
 *   Busy(in)     B          `beginPageIn` .. `endPageIn`: the pager fills it; also a frame handed off by
 *                           the reclaimer on its way to its next page-in (`handOff`)
 *   Resident     [Q][D]     in its owner's cache; Q while on the page queue (always, but for the instant
 *                           between `endPageIn` and `enqueue`, and while reserved by the queue)
 *   Busy(out)    B Q [D]    `beginPageOut` .. `endPageOut`: the pager writes it back; D again if written meanwhile
 *   Orphan       O + B or pinned   its owner was destroyed while it was busy or pinned; not queued
 *
 *   Free ──allocate──▶ Taken ──beginPageIn──▶ Busy(in) ──endPageIn──▶ Resident ──enqueue──▶ Resident(Q)
 *   Busy(in) ──abortPageIn──▶ Free                      (the page-in failed, or the object went away)
 *   Resident ──beginPageOut──▶ Busy(out) ──endPageOut──▶ Resident   (kept: failed, written or pinned meanwhile)
 *   Busy(out) or clean Resident, off the queue ──handOff──▶ Busy(in)   (reclaimed: on to the next page-in)
 *   Taken, Resident (unpinned, unqueued) ──free──▶ Free             (destroy, truncate)
 *   Busy, or pinned ──orphan──▶ Orphan ──(last of Busy and pins ends)──▶ Free, or handOff by the reclaimer
 *   Resident, Busy(out) ──markDirty / markClean──▶ the same, with or without D
 *
 * Pins are a count beside the state: a pinned frame is never reclaimed. Transient pins (one read or write,
 * from its fault to its copy) end by themselves, so an allocation may wait for them; lasting pins (`pin`,
 * an address space's `lock`) end when their holder says so, or when the owner is destroyed.
 *
 * Refused transitions throw: freeing a free, busy, queued or pinned frame; beginning a page-in of a frame
 * neither Taken nor handed off; beginning a page-out of a busy or free frame; ending a page-in or page-out
 * that did not begin; handing off a free or queued frame; queueing a free, busy or queued frame or an
 * orphan; orphaning an idle or queued one. Each check is one load and one branch on a path that already
 * calls a pager or walks a list; the hit path (`markDirty` on a write) checks nothing. A refusal is a bug in
 * spinvm, not a caller's mistake, so it is a plain Error.
 *
 * What a reader on another thread may rely on (every transition runs on the instance's thread; with
 * createVm({ shared: true }) the arrays are in SharedArrayBuffers, but a worker never writes them: its pins
 * and its dirty bits are vmcore/shared's, folded in by the instance's thread, see vmcore/shared/protocol.ts):
 * - owner and page change only in `beginPageIn`, while the frame is Busy or Taken, never while it is Queued.
 *   A frame read as Queued and not Busy holds `page` of `owner`, and its bytes are that page's.
 * - `endPageIn` clears B after the pager filled the bytes; Q is set after B is cleared.
 * - A writer stores the bytes, then sets D. `beginPageOut` clears D (and sets B) before the pager reads the
 *   bytes, so a write during a page-out leaves D set at its end: it is never lost.
 * - `handOff` and `free` happen only after the frame left the queue (Q clear): a frame seen Queued was not
 *   given to anyone else at that moment.
 */

/** Per-frame state bits. Private to this module: everyone else asks through the predicates. */
const enum Bit {
  Free = 1,
  /** Written since it was last paged in or out. */
  Dirty = 2,
  /** A page-in or page-out is in flight (or the frame is in hand-off): never reclaimed, never handed to anyone else. */
  Busy = 4,
  /** On the page queue (issued, reclaimable when otherwise eligible). */
  Queued = 8,
  /** Its owner was destroyed while it was busy or pinned: freed when that ends. */
  Orphan = 16,
}

/** Counts over every frame, for `vm.stat()`. */
export interface FrameCensus {
  queued: number;
  dirty: number;
  pinned: number;
}

export class FrameState {
  /** Metadata bytes per frame kept here: owner, page, flags, pins and the free list (the policy adds its own). */
  static readonly bytesPerFrame = 4 + 8 + 1 + 4 + 4;

  readonly frames: number;
  /** Id of the memory object that holds (or last held) each frame; -1 before first use. */
  private readonly owner: Int32Array;
  /** The page each frame holds for its owner. */
  private readonly page: Float64Array;
  private readonly flags: Uint8Array;
  /** Pin counts. 32 bits: every waiter of a page-in holds one, and a burst of readers can pass 65,535. */
  private readonly pins: Uint32Array;
  private readonly freeStack: Int32Array;
  private freeTop: number;
  /** Frames with B set. */
  private busy = 0;
  /** Transient pins held now, over all frames. */
  private transientPins = 0;
  private waiters: Array<() => void> = [];

  /** With `shared`, the arrays live in SharedArrayBuffers (createVm({ shared: true })); only this thread writes them. */
  constructor(frames: number, shared = false) {
    this.frames = frames;
    const buffer = (bytesPerElement: number) => (shared ? new SharedArrayBuffer(frames * bytesPerElement) : new ArrayBuffer(frames * bytesPerElement));
    this.owner = new Int32Array(buffer(4)).fill(-1);
    this.page = new Float64Array(buffer(8));
    this.flags = new Uint8Array(buffer(1)).fill(Bit.Free);
    this.pins = new Uint32Array(buffer(4));
    this.freeStack = new Int32Array(buffer(4));
    for (let i = 0; i < frames; i++) this.freeStack[i] = frames - 1 - i;
    this.freeTop = frames;
  }

  // ---- counts and predicates ----

  get freeCount(): number {
    return this.freeTop;
  }

  /** Frames with a page-in or page-out in flight, or in hand-off. */
  get busyCount(): number {
    return this.busy;
  }

  /** Transient pins held now: they end by themselves, so an allocation may wait for them. */
  get transientPinCount(): number {
    return this.transientPins;
  }

  ownerOf(frame: number): number {
    return this.owner[frame]!;
  }

  pageOf(frame: number): number {
    return this.page[frame]!;
  }

  pinCount(frame: number): number {
    return this.pins[frame]!;
  }

  isFree(frame: number): boolean {
    return (this.flags[frame]! & Bit.Free) !== 0;
  }

  isBusy(frame: number): boolean {
    return (this.flags[frame]! & Bit.Busy) !== 0;
  }

  isDirty(frame: number): boolean {
    return (this.flags[frame]! & Bit.Dirty) !== 0;
  }

  isQueued(frame: number): boolean {
    return (this.flags[frame]! & Bit.Queued) !== 0;
  }

  isOrphan(frame: number): boolean {
    return (this.flags[frame]! & Bit.Orphan) !== 0;
  }

  /** Busy or pinned: someone is using the frame, so it cannot be taken from its owner now. */
  inUse(frame: number): boolean {
    return (this.flags[frame]! & Bit.Busy) !== 0 || this.pins[frame]! > 0;
  }

  /**
   * For a resident frame: written and not yet written back. A frame in a page-out has its D cleared until
   * the page-out ends, so it counts too (a resident frame is Busy only for a page-out).
   */
  isDirtyOrPagingOut(frame: number): boolean {
    return (this.flags[frame]! & (Bit.Dirty | Bit.Busy)) !== 0;
  }

  /** Resident, dirty and idle: a flush may page it out now. */
  isFlushable(frame: number): boolean {
    return (this.flags[frame]! & (Bit.Dirty | Bit.Busy)) === Bit.Dirty;
  }

  /** Queued, idle and unpinned: the page queue may pick it (its owner still has a say). */
  reclaimable(frame: number): boolean {
    return (this.flags[frame]! & (Bit.Queued | Bit.Busy | Bit.Free)) === Bit.Queued && this.pins[frame] === 0;
  }

  census(): FrameCensus {
    const census = { queued: 0, dirty: 0, pinned: 0 };
    for (let f = 0; f < this.frames; f++) {
      const flags = this.flags[f]!;
      if (flags & Bit.Queued) census.queued++;
      if (flags & Bit.Dirty) census.dirty++;
      if (this.pins[f]! > 0) census.pinned++;
    }
    return census;
  }

  /** The frame's state in words, for messages: `frame 3 (Busy Queued, 2 pins, page 7 of object 1)`. */
  describe(frame: number): string {
    const flags = this.flags[frame]!;
    const bits = (['Free', 'Dirty', 'Busy', 'Queued', 'Orphan'] as const).filter((_, i) => flags & (1 << i));
    return `frame ${frame} (${bits.length > 0 ? bits.join(' ') : 'Taken or Resident'}, ${this.pins[frame]} pins, page ${this.page[frame]} of object ${this.owner[frame]})`;
  }

  // ---- the free list ----

  /** Free → Taken: pops a free frame, or answers -1. */
  allocate(): number {
    if (this.freeTop === 0) return -1;
    const frame = this.freeStack[--this.freeTop]!;
    this.flags[frame] = 0;
    return frame;
  }

  /** Taken or Resident (idle, unpinned, off the queue) → Free. Wakes whoever waits for a frame. */
  free(frame: number): void {
    if (this.flags[frame]! & (Bit.Free | Bit.Busy | Bit.Queued) || this.pins[frame]! > 0) this.refuse(frame, 'free');
    this.flags[frame] = Bit.Free;
    this.freeStack[this.freeTop++] = frame;
    this.wake();
  }

  // ---- page-in ----

  /**
   * Taken or handed off → Busy(in), holding `page` for `owner`. Answers whether the frame last held another
   * object's page: its bytes must then be zeroed before anyone sees them, so nothing leaks between objects.
   */
  beginPageIn(frame: number, owner: number, page: number): boolean {
    const flags = this.flags[frame]!;
    if (flags & ~Bit.Busy) this.refuse(frame, 'beginPageIn');
    if (flags === 0) this.busy++;
    this.flags[frame] = Bit.Busy;
    this.page[frame] = page;
    if (this.owner[frame] === owner) return false;
    this.owner[frame] = owner;
    return true;
  }

  /** Busy(in) → Resident (not yet queued): the pager filled it. */
  endPageIn(frame: number): void {
    this.unbusy(frame, 'endPageIn');
  }

  /** Busy(in) → Free: the page-in failed or its object went away; the frame never entered a cache. */
  abortPageIn(frame: number): void {
    if (!(this.flags[frame]! & Bit.Busy)) this.refuse(frame, 'abortPageIn');
    this.busy--;
    this.flags[frame] = 0;
    this.free(frame);
  }

  // ---- page-out ----

  /** Resident → Busy(out). D is cleared now, so a write during the page-out shows at its end. */
  beginPageOut(frame: number): void {
    const flags = this.flags[frame]!;
    if (flags & (Bit.Busy | Bit.Free)) this.refuse(frame, 'beginPageOut');
    this.flags[frame] = (flags & ~Bit.Dirty) | Bit.Busy;
    this.busy++;
  }

  /** Busy(out) → Resident; an orphan nobody pins any more goes to the free list instead. */
  endPageOut(frame: number): void {
    this.unbusy(frame, 'endPageOut');
  }

  /**
   * Busy(out), a clean Resident frame or an unpinned orphan → Busy(in), in hand-off: the reclaimer took it
   * from its owner (off the queue, out of the cache) for its next page-in. It stays Busy so that an
   * allocation waiting for frames never mistakes a frame in hand-off for no frame at all.
   */
  handOff(frame: number): void {
    const flags = this.flags[frame]!;
    if (flags & (Bit.Free | Bit.Queued)) this.refuse(frame, 'handOff');
    if (!(flags & Bit.Busy)) this.busy++;
    this.flags[frame] = Bit.Busy;
  }

  // ---- dirty, queued, orphan ----

  /** The frame's bytes were written. The hit path of every write: no check. */
  markDirty(frame: number): void {
    this.flags[frame] |= Bit.Dirty;
  }

  /** The frame's bytes no longer need writing back (they were discarded). */
  markClean(frame: number): void {
    this.flags[frame] &= ~Bit.Dirty;
  }

  /** Resident → Resident(Q): the page queue took it in. */
  enqueue(frame: number): void {
    const flags = this.flags[frame]!;
    if (flags & (Bit.Free | Bit.Busy | Bit.Queued | Bit.Orphan)) this.refuse(frame, 'enqueue');
    this.flags[frame] = flags | Bit.Queued;
  }

  /** Leaves the page queue; answers whether it was on it. */
  dequeue(frame: number): boolean {
    const flags = this.flags[frame]!;
    if (!(flags & Bit.Queued)) return false;
    this.flags[frame] = flags & ~Bit.Queued;
    return true;
  }

  /** Busy or pinned → Orphan: its owner is destroyed; the frame is freed when the page-out or the last pin ends. */
  orphan(frame: number): void {
    const flags = this.flags[frame]!;
    if (flags & (Bit.Free | Bit.Queued) || (!(flags & Bit.Busy) && this.pins[frame] === 0)) this.refuse(frame, 'orphan');
    this.flags[frame] = flags | Bit.Orphan;
  }

  // ---- pins ----

  pin(frame: number, count: number, transient: boolean): void {
    const pins = this.pins[frame]! + count;
    if (pins > 0xffffffff) throw new InvalidArgumentError('pin', pins, 'at most 2^32 - 1 pins on one frame');
    this.pins[frame] = pins;
    if (transient) this.transientPins += count;
  }

  /** Ends one pin; an orphan that is no longer busy goes to the free list with its last pin. */
  unpin(frame: number, transient: boolean): void {
    if (this.pins[frame] === 0) return;
    const pins = --this.pins[frame]!;
    if (transient) this.transientPins--;
    if (pins === 0) {
      if ((this.flags[frame]! & (Bit.Orphan | Bit.Busy)) === Bit.Orphan) this.release(frame);
      else this.wake();
    }
  }

  /** A transient pin handed out by a fault becomes a lasting one: the caller keeps the frame pinned. */
  handOverPin(): void {
    this.transientPins--;
    // An allocation may be waiting for transient pins to end: this one will not, so let it look again.
    this.wake();
  }

  /** The owner is destroyed: `count` lasting pins it held on the frame end with it (never below zero). */
  dropLastingPins(frame: number, count: number): void {
    this.pins[frame] = Math.max(0, this.pins[frame]! - count);
  }

  // ---- waiting ----

  /** Resolves at the next change that may make a frame reclaimable (a page-in or page-out ends, a pin drops, a frame is freed). */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** @internal Test only: the typed arrays themselves, to check their sizes and what the transitions wrote. */
  __arrays(): { owner: Int32Array; page: Float64Array; flags: Uint8Array; pins: Uint32Array; freeStack: Int32Array } {
    return { owner: this.owner, page: this.page, flags: this.flags, pins: this.pins, freeStack: this.freeStack };
  }

  /** Ends a page-in or page-out: B clears; an orphan with no pins left goes to the free list. */
  private unbusy(frame: number, transition: string): void {
    const flags = this.flags[frame]!;
    if (!(flags & Bit.Busy)) this.refuse(frame, transition);
    this.flags[frame] = flags & ~Bit.Busy;
    this.busy--;
    if (flags & Bit.Orphan && this.pins[frame] === 0) this.release(frame);
    else this.wake();
  }

  /** An orphan's last use ended: straight to the free list. */
  private release(frame: number): void {
    this.flags[frame] = 0;
    this.pins[frame] = 0;
    this.free(frame);
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private refuse(frame: number, transition: string): never {
    throw new Error(`spinvm: ${transition} refused for ${this.describe(frame)}; this is a bug in spinvm`);
  }
}
