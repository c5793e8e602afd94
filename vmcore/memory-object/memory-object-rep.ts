import type { Cache } from '../cache/cache.js';
import { DestroyedError, OutOfRangeError } from '../errors.js';
import type { EventHub, EventName, VmEvents } from '../events.js';
import { PageTableCache } from '../cache/page-table-cache.js';
import type { FramePool } from '../frames/frame-pool.js';
import type { FrameState } from '../frames/frame-state.js';
import type { FrameOwner, PageQueue } from '../page-queue/page-queue.js';
import type { ReplacementPolicy } from '../page-queue/replacement-policy.js';
import { BogoPager } from '../pager/bogo-pager.js';
import type { Pager } from '../pager/pager.js';
import type { Deferred } from '../util/maybe-promise.js';
import { checkIndex } from '../validate.js';
import type { MemoryObject } from './memory-object.js';

/**
 * The representation of a memory object, as SPIN's `MemoryObjectRep.i3` reveals what `MemoryObject.i3`
 * keeps opaque: the fields that the public class and the paths behind it share. Each path is a file of
 * functions over a `MemoryObjectRep`, and the imports run one way only:
 *
 *   memory-object.ts (the public class) ─▶ transfer.ts, pins.ts, flush.ts, life-cycle.ts, page-in.ts
 *   transfer.ts (resident copies), pins.ts (pin, lock) ─▶ page-in.ts (the fault path)
 *   page-in.ts ─▶ page-out.ts (eviction, reclaim), life-cycle.ts (destroy, grow, truncate)
 *   page-out.ts, flush.ts ─▶ launder.ts (write-back runs that keep their pages resident)
 *   every one of them ─▶ memory-object-rep.ts (this file), which imports none of them
 *
 * (Its one look back is a type: the events name the object as the public `MemoryObject`, which it is.)
 * The public class extends this one, so the hit path reads its fields straight off the object. The fields
 * are public to the paths, not to users: every one that is not public API is `@internal`.
 *
 * Invariants the paths keep:
 * - A page is resident (in `cache`), in flight (in `inflight`, only once its page-in went asynchronous) or
 *   neither; never two of these.
 * - `userPins` and `lockPins` count lasting pins per page; the frame's pin count includes them and the
 *   transient pins of reads and writes in flight.
 * - Once `destroyed` is set it stays set; no path asks the pager anything afterwards but `destroy`. Its
 *   cache is cleared in the same turn, so the hit path (a page table look-up) misses and needs no check.
 */
export class MemoryObjectRep implements FrameOwner {
  // The hit path's fields come first, so that they share the object's first cache lines (V8 lays fields out
  // in declaration order): with thousands of objects, each read of one that is not in the CPU's caches
  // costs a miss per line it touches.
  /** @internal Bytes; changed only by `grow`. The public class shows it read-only. */
  size: number;
  readonly pageSize: number;
  /** @internal The pool's geometry, copied here so the hit path reads no other object. */
  readonly pageShift: number;
  /**
   * @internal The page table of `cache` when it is a PageTableCache: page p's frame is `table[tableBase + p]`.
   * Any other cache leaves an empty table, so every access takes the checked path through `cache.lookup`.
   * Set with `cache`.
   */
  table: Int32Array = NO_TABLE;
  /** @internal */
  tableBase = 0;
  /** @internal The page queue's policy, told of every hit. */
  readonly policy: ReplacementPolicy;
  /** @internal */
  readonly chunks: Uint8Array[];
  /** @internal The same memory as 32-bit words, for aligned 4-byte accesses; undefined on a big-endian host. */
  readonly words: Uint32Array[] | undefined;
  /** @internal */
  readonly chunkShift: number;
  /** @internal */
  readonly chunkMask: number;
  /** @internal The pool's frame state (`pool.state`), here so that a write's hit path reads no other object. */
  readonly frames: FrameState;
  /** @internal */
  destroyed = false;

  readonly name: string;
  /** @internal Changed only by `grow`, with `size`. The public class shows it read-only. */
  pageCount: number;
  readonly pager: Pager;

  /** @internal */
  readonly id: number;
  private cacheRef!: Cache;
  /** @internal Which frame holds each resident page. Replaced only by `grow` (a file's object covering a grown file). */
  get cache(): Cache {
    return this.cacheRef;
  }
  set cache(cache: Cache) {
    this.cacheRef = cache;
    const dense = cache instanceof PageTableCache;
    this.table = dense ? cache.table : NO_TABLE;
    this.tableBase = dense ? cache.base : 0;
  }
  /** @internal */
  readonly pool: FramePool;
  /** @internal */
  readonly queue: PageQueue<MemoryObjectRep>;
  /** @internal This object's subscribers. */
  readonly hub: EventHub;
  /** @internal The instance's subscribers. */
  readonly vmHub: EventHub;
  /** @internal */
  readonly onDestroyed: (object: MemoryObject) => void;
  /** @internal The pager can page a clean page in again, so clean pages are dropped without a page-out. */
  readonly refills: boolean;
  /** @internal The pager is vmcore's own bogopager (not a subclass): a page-in is a zeroed frame, with no call. */
  readonly zeroFills: boolean;
  /** @internal The pager reads runs (a pager from an older spinvm's Pager class may lack the methods). */
  readonly readsRuns: boolean;
  /** @internal The pager overwrites whole frames, so page-ins need not zero them first. */
  readonly fillsWhole: boolean;
  /** @internal Added to a page number to make the page's key in the page queue. */
  readonly keyBase: number;
  /** @internal Page-ins that went asynchronous: later faulters of the page wait on them. */
  readonly inflight = new Map<number, Inflight>();
  /** @internal Pins held by `pin()`, per page. */
  readonly userPins = new Map<number, number>();
  /** @internal Pins held by address spaces' `lock` (mlock), apart from the user's. */
  readonly lockPins = new Map<number, number>();
  /** @internal Set once the pager answers NotImplemented or PagerDestroyed to a page-out: its dirty pages stay resident. */
  pageOutUnsupported = false;
  /** @internal The pager's answer that destroyed the object, if one did. */
  destroyCause: Error | undefined;
  /** @internal Set once the object is shared with worker threads (vmcore/shared): what the paths ask it. */
  shared: SharedHooks | undefined = undefined;
  /** @internal The pager's `destroy`, once begun. */
  destroying: Promise<void> | undefined;
  /** @internal */
  faults = 0;
  /** @internal */
  pageIns = 0;
  /** @internal */
  pageOuts = 0;
  /** @internal */
  evictions = 0;

  /** @internal Use `vm.createMemoryObject`. */
  constructor(parts: MemoryObjectParts) {
    this.id = parts.id;
    this.name = parts.name;
    this.size = parts.size;
    this.pager = parts.pager;
    this.cache = parts.cache;
    this.pool = parts.pool;
    this.frames = parts.pool.state;
    this.queue = parts.queue;
    this.hub = parts.hub;
    this.vmHub = parts.vmHub;
    this.onDestroyed = parts.onDestroyed;
    this.pageSize = parts.pool.pageSize;
    this.pageCount = Math.ceil(parts.size / this.pageSize);
    this.refills = parts.pager.refillsCleanPages;
    this.fillsWhole = parts.pager.fillsWholeFrames === true;
    this.zeroFills = parts.pager.constructor === BogoPager;
    this.readsRuns = typeof parts.pager.pageInRunLength === 'function' && typeof parts.pager.pageInRun === 'function';
    this.keyBase = (parts.id % 2 ** 21) * 2 ** 32;
    this.pageShift = Math.log2(this.pageSize);
    this.policy = parts.queue.policy;
    this.chunks = parts.pool.chunks;
    this.words = parts.pool.words;
    this.chunkShift = parts.pool.chunkShift;
    this.chunkMask = parts.pool.chunkMask;
    this.queue.register(this.id, this);
  }

  /** @internal The page queue's question: can this object give `frame` up at all? */
  evictable(frame: number): boolean {
    return !this.pageOutUnsupported || (!this.frames.isDirty(frame) && this.refills);
  }

  /** @internal The page's key in the page queue: this object and the page. */
  keyOf(page: number): number {
    return this.keyBase + (page % 2 ** 32);
  }

  /** @internal Whether anyone listens to this object's events; the fault path builds no event object otherwise. */
  get heard(): boolean {
    return this.hub.listeners + this.vmHub.listeners > 0;
  }

  /** @internal */
  emit<K extends EventName>(name: K, event: VmEvents[K]): void {
    if (this.hub.listeners > 0) this.hub.emit(name, event);
    if (this.vmHub.listeners > 0) this.vmHub.emit(name, event);
  }

  /** @internal This object as its events name it. */
  get self(): MemoryObject {
    return this as unknown as MemoryObject;
  }

  /** @internal */
  checkAlive(): void {
    if (this.destroyed) throw this.destroyedError();
  }

  /** @internal */
  checkPage(page: unknown): void {
    checkIndex('page', page);
    if ((page as number) >= this.pageCount) throw new OutOfRangeError('page', page as number, this.pageCount, 'past the last page of the object');
  }

  /** @internal */
  destroyedError(): DestroyedError {
    return new DestroyedError(`memory object ${this.name}`, this.destroyCause);
  }
}

/** The table of an object whose cache is not a PageTableCache: every look-up in it misses. */
const NO_TABLE = new Int32Array(0);

/** What the instance hands a new memory object; not part of the public API. */
export interface MemoryObjectParts {
  id: number;
  name: string;
  size: number;
  pager: Pager;
  cache: Cache;
  pool: FramePool;
  queue: PageQueue<MemoryObjectRep>;
  hub: EventHub;
  vmHub: EventHub;
  onDestroyed: (object: MemoryObject) => void;
}

/** A page-in in flight: later faulters of the page wait on it instead of asking the pager again. */
export interface Inflight {
  deferred: Deferred<number> | undefined;
  /** Transient pins to hand out when it lands: one per faulter that will copy from the frame. */
  pins: number;
}

/**
 * What the paths ask of an object shared with worker threads (vmcore/shared/protocol.ts argues why these
 * places suffice): workers pin frames and mark them dirty in shared memory of their own, which only
 * the instance's thread folds into the frame state.
 */
export interface SharedHooks {
  /**
   * The page's entry was just invalidated and the frame is about to leave the object: answers false if a
   * worker pins it (now pinned on its behalf until it lets go) or wrote it (now marked dirty). The caller
   * then maps the page again and keeps the frame.
   */
  mayDrop(frame: number): boolean;
  /**
   * The page's entry was just invalidated because the page is being discarded (truncation): a frame a worker
   * pins is pinned on its behalf until it lets go (so it cannot be freed under the copy); else the workers'
   * writes to it are forgotten with the page.
   */
  discarding(frame: number): void;
  /** Pins held on the frame on workers' behalf: part of its pin count that this thread does not hold. */
  heldPins(frame: number): number;
  /** Before a flush: workers' writes become dirty bits. */
  fold(): void;
  /** The object is being destroyed: workers see it before any frame is freed, and blocked ones wake. */
  beforeDestroy(): void;
  /**
   * The object's page table is being replaced (`grow`): workers hold the old one, so their handles end as if
   * the object were destroyed, while their pins and writes are still honoured.
   */
  revoke(): void;
}
