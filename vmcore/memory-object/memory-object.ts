import type { Cache } from '../cache/cache.js';
import { DestroyedError, InvalidArgumentError, NotResidentError, OutOfRangeError, PagerFailedError, PagerIoError, PagerProtocolError } from '../errors.js';
import type { EventHub, EventName, Listener, VmEvents } from '../events.js';
import { FrameFlag, type FramePool } from '../frames/frame-pool.js';
import { EvictOutcome, type FrameOwner, type PageQueue } from '../page-queue/page-queue.js';
import { checkAccess, type Access } from '../pager/access.js';
import type { Pager, PagerAdvice } from '../pager/pager.js';
import { isResultCode, ResultCode, type PagerAnswer } from '../pager/result-code.js';
import { Deferred, isPromise, type MaybePromise } from '../util/maybe-promise.js';
import { checkBytes, checkIndex, checkSpan, checkStillAttached, newBytes } from '../validate.js';

/** How many times a page-in answering AlreadyPagedIn is asked again before the fault fails. */
export const MAX_PAGE_IN_RETRIES = 8;

/** Most pages `flush()` hands the pager in one `pageOutRun`. */
export const MAX_FLUSH_RUN = 64;

export interface MemoryObjectStat {
  virtualSize: number;
  pageSize: number;
  residentPages: number;
  residentBytes: number;
  dirtyPages: number;
  faults: number;
  pageIns: number;
  pageOuts: number;
  evictions: number;
}

/** What the instance hands a new memory object; not part of the public API. */
export interface MemoryObjectParts {
  id: number;
  name: string;
  size: number;
  pager: Pager;
  cache: Cache;
  pool: FramePool;
  queue: PageQueue;
  hub: EventHub;
  vmHub: EventHub;
  onDestroyed: (object: MemoryObject) => void;
}

/** A page-in in flight: later faulters of the page wait on it instead of asking the pager again. */
interface Inflight {
  deferred: Deferred<number> | undefined;
  /** Transient pins to hand out when it lands: one per faulter that will copy from the frame. */
  pins: number;
}

const noop = (): void => {};

/**
 * SPIN's memory object: a cache of page frames plus a pager. Made by `vm.createMemoryObject`. Reads and
 * writes fault pages in through the pager; frames come from the instance's pool through the page queue.
 */
export class MemoryObject implements FrameOwner {
  readonly name: string;
  readonly size: number;
  readonly pageSize: number;
  readonly pageCount: number;
  readonly pager: Pager;

  private readonly id: number;
  /** Replaced only by `grow` (a file's object covering a grown file). */
  private cache: Cache;
  private readonly pool: FramePool;
  private readonly queue: PageQueue;
  private readonly hub: EventHub;
  private readonly vmHub: EventHub;
  private readonly onDestroyed: (object: MemoryObject) => void;
  private readonly refills: boolean;
  private readonly keyBase: number;
  /** The pool's geometry, copied here so the hit path reads no other object. */
  private readonly pageShift: number;
  private readonly chunks: Uint8Array[];
  private readonly chunkShift: number;
  private readonly chunkMask: number;
  private readonly inflight = new Map<number, Inflight>();
  private readonly userPins = new Map<number, number>();
  /** Pins held by address spaces' `lock` (mlock), apart from the user's. */
  private readonly lockPins = new Map<number, number>();
  /** Set once the pager answers NotImplemented or PagerDestroyed to a page-out: its dirty pages stay resident. */
  private pageOutUnsupported = false;
  private destroyed = false;
  private destroyCause: Error | undefined;
  private destroying: Promise<void> | undefined;
  private faults = 0;
  private pageIns = 0;
  private pageOuts = 0;
  private evictions = 0;

  /** @internal Use `vm.createMemoryObject`. */
  constructor(parts: MemoryObjectParts) {
    this.id = parts.id;
    this.name = parts.name;
    this.size = parts.size;
    this.pager = parts.pager;
    this.cache = parts.cache;
    this.pool = parts.pool;
    this.queue = parts.queue;
    this.hub = parts.hub;
    this.vmHub = parts.vmHub;
    this.onDestroyed = parts.onDestroyed;
    this.pageSize = parts.pool.pageSize;
    this.pageCount = Math.ceil(parts.size / this.pageSize);
    this.refills = parts.pager.refillsCleanPages;
    this.keyBase = (parts.id % 2 ** 21) * 2 ** 32;
    this.pageShift = Math.log2(this.pageSize);
    this.chunks = parts.pool.chunks;
    this.chunkShift = parts.pool.chunkShift;
    this.chunkMask = parts.pool.chunkMask;
    this.queue.register(this.id, this);
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }

  // ---- reading and writing ----

  /** A copy of `length` bytes at `offset`, faulting pages in as needed. */
  async read(offset: number, length: number): Promise<Uint8Array> {
    this.checkAlive();
    checkSpan(offset, length, this.size);
    const out = newBytes('length', length);
    await this.transfer(offset, out, false);
    return out;
  }

  /** Writes `bytes` at `offset`, faulting pages in as needed; the pages become dirty. */
  async write(offset: number, bytes: Uint8Array): Promise<void> {
    this.checkAlive();
    checkBytes('bytes', bytes);
    checkSpan(offset, bytes.length, this.size);
    await this.transfer(offset, bytes, true);
  }

  /** @internal Reads into `dest` (an address space's buffer), pinning each page from its fault to its copy, as `read` does. */
  readInto(offset: number, dest: Uint8Array): Promise<void> {
    this.checkAlive();
    checkSpan(offset, dest.length, this.size);
    return this.transfer(offset, dest, false);
  }

  /** The synchronous path: a copy of resident bytes, with no promise. Throws NotResidentError (and copies nothing) if a page is absent. */
  readSync(offset: number, length: number): Uint8Array {
    this.checkAlive();
    checkSpan(offset, length, this.size);
    const out = newBytes('length', length);
    this.transferResident(offset, out, false);
    return out;
  }

  /** The synchronous path for writes to resident pages. Throws NotResidentError (and writes nothing) if a page is absent. */
  writeSync(offset: number, bytes: Uint8Array): void {
    this.checkAlive();
    checkBytes('bytes', bytes);
    checkSpan(offset, bytes.length, this.size);
    this.transferResident(offset, bytes, true);
  }

  /**
   * Reads an unsigned little-endian integer of `size` bytes (1, 2 or 4) from resident memory: no promise,
   * no allocation. Throws NotResidentError if the page is absent.
   */
  getUint(offset: number, size: 1 | 2 | 4): number {
    // The hit path: a small integer offset inside one resident page. `(offset | 0) === offset` is false for
    // non-numbers, fractions, NaN and offsets past 2^31, which all take the checked path below.
    if ((offset | 0) === offset && offset >= 0 && offset <= this.size - size && (size === 4 || size === 1 || size === 2) && !this.destroyed) {
      const within = offset & (this.pageSize - 1);
      if (within + size <= this.pageSize) {
        const frame = this.cache.lookup(offset >>> this.pageShift);
        if (frame >= 0) {
          this.queue.policy.access(frame);
          return this.load(frame, within, size);
        }
      }
    }
    return this.getUintChecked(offset, size);
  }

  private getUintChecked(offset: number, size: 1 | 2 | 4): number {
    if (this.destroyed) throw this.destroyedError();
    if (size !== 1 && size !== 2 && size !== 4) throw new InvalidArgumentError('size', size, '1, 2 or 4');
    checkSpan(offset, size, this.size);
    const ps = this.pageSize;
    const page = Math.floor(offset / ps);
    const within = offset - page * ps;
    if (within + size > ps) return this.getUintAcross(offset, size);
    return this.load(this.residentFrame(page), within, size);
  }

  /** Writes an unsigned little-endian integer of `size` bytes to resident memory; the page becomes dirty. */
  setUint(offset: number, size: 1 | 2 | 4, value: number): void {
    if (
      (offset | 0) === offset && offset >= 0 && offset <= this.size - size && (size === 4 || size === 1 || size === 2) &&
      typeof value === 'number' && value >= 0 && value < 2 ** (8 * size) && (value === Math.floor(value)) && !this.destroyed
    ) {
      const within = offset & (this.pageSize - 1);
      if (within + size <= this.pageSize) {
        const frame = this.cache.lookup(offset >>> this.pageShift);
        if (frame >= 0) {
          this.queue.policy.access(frame);
          return this.store(frame, within, size, value);
        }
      }
    }
    this.setUintChecked(offset, size, value);
  }

  private setUintChecked(offset: number, size: 1 | 2 | 4, value: number): void {
    if (this.destroyed) throw this.destroyedError();
    if (size !== 1 && size !== 2 && size !== 4) throw new InvalidArgumentError('size', size, '1, 2 or 4');
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= 2 ** (8 * size)) {
      throw new InvalidArgumentError('value', value, `an integer from 0 to 2^${8 * size} - 1`);
    }
    checkSpan(offset, size, this.size);
    const ps = this.pageSize;
    const page = Math.floor(offset / ps);
    const within = offset - page * ps;
    if (within + size > ps) return this.setUintAcross(offset, size, value);
    this.store(this.residentFrame(page), within, size, value);
  }

  /** The little-endian integer of `size` bytes at `within` in `frame`. */
  private load(frame: number, within: number, size: number): number {
    const c = this.chunks[frame >>> this.chunkShift]!;
    const o = (frame & this.chunkMask) * this.pageSize + within;
    if (size === 4) return (c[o]! | (c[o + 1]! << 8) | (c[o + 2]! << 16) | (c[o + 3]! << 24)) >>> 0;
    return size === 1 ? c[o]! : c[o]! | (c[o + 1]! << 8);
  }

  /** Stores a little-endian integer of `size` bytes at `within` in `frame`; the page becomes dirty. */
  private store(frame: number, within: number, size: number, value: number): void {
    const c = this.chunks[frame >>> this.chunkShift]!;
    const o = (frame & this.chunkMask) * this.pageSize + within;
    c[o] = value;
    if (size >= 2) c[o + 1] = value >>> 8;
    if (size === 4) {
      c[o + 2] = value >>> 16;
      c[o + 3] = value >>> 24;
    }
    this.pool.flags[frame] |= FrameFlag.Dirty;
  }

  /** Reads a little-endian 64-bit unsigned integer from resident memory. */
  getBigUint64(offset: number): bigint {
    checkSpan(offset, 8, this.size);
    if (!this.isResident(offset, 8)) throw new NotResidentError(this.name, Math.floor(offset / this.pageSize));
    return BigInt(this.getUint(offset, 4)) | (BigInt(this.getUint(offset + 4, 4)) << 32n);
  }

  /** Writes a little-endian 64-bit unsigned integer to resident memory; nothing is written unless all of it is resident. */
  setBigUint64(offset: number, value: bigint): void {
    if (typeof value !== 'bigint' || value < 0n || value >= 1n << 64n) throw new InvalidArgumentError('value', value, 'a bigint from 0 to 2^64 - 1');
    checkSpan(offset, 8, this.size);
    if (!this.isResident(offset, 8)) throw new NotResidentError(this.name, Math.floor(offset / this.pageSize));
    this.setUint(offset, 4, Number(value & 0xffffffffn));
    this.setUint(offset + 4, 4, Number(value >> 32n));
  }

  private residentFrame(page: number): number {
    const frame = this.cache.lookup(page);
    if (frame < 0) throw new NotResidentError(this.name, page);
    this.queue.policy.access(frame);
    return frame;
  }

  /** An integer that straddles two pages: both must be resident before a byte is touched. */
  private getUintAcross(offset: number, size: number): number {
    const bytes = this.readSync(offset, size);
    let value = 0;
    for (let i = size - 1; i >= 0; i--) value = value * 256 + bytes[i]!;
    return value;
  }

  private setUintAcross(offset: number, size: number, value: number): void {
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++, value = Math.floor(value / 256)) bytes[i] = value & 0xff;
    this.writeSync(offset, bytes);
  }

  /** Whether every page of `offset .. offset + length` is resident (so the Sync methods will not throw). */
  isResident(offset: number, length: number): boolean {
    this.checkAlive();
    checkSpan(offset, length, this.size);
    return length === 0 || this.firstAbsent(Math.floor(offset / this.pageSize), Math.floor((offset + length - 1) / this.pageSize)) < 0;
  }

  /** The first page of `first .. last` that is not resident, or -1. */
  private firstAbsent(first: number, last: number): number {
    for (let page = first; page <= last; page++) if (this.cache.lookup(page) < 0) return page;
    return -1;
  }

  /**
   * The page-fault entry: makes `page` resident for `access`. Answers undefined when that happened
   * synchronously (resident already, or the pager answered without I/O), else a promise.
   */
  request(page: number, access: Access): Promise<void> | undefined {
    this.checkAlive();
    this.checkPage(page);
    checkAccess(access);
    const frame = this.fault(page, access, false);
    return isPromise(frame) ? frame.then(noop) : undefined;
  }

  /** Faults `page` in and pins it: it is never reclaimed until `unpin(page)`. */
  async pin(page: number): Promise<void> {
    this.checkAlive();
    this.checkPage(page);
    await this.pinIn(this.userPins, page);
  }

  unpin(page: number): void {
    this.checkAlive();
    this.checkPage(page);
    this.unpinIn(this.userPins, page, 'a page pinned with pin()');
  }

  /** @internal An address space's mlock: a pin of its own, which the object's `unpin` cannot take away. */
  lock(page: number): Promise<void> {
    this.checkAlive();
    this.checkPage(page);
    return this.pinIn(this.lockPins, page);
  }

  /** @internal munlock: ends one `lock` of `page`. */
  unlock(page: number): void {
    this.checkAlive();
    this.unpinIn(this.lockPins, page, 'a page locked by an address space');
  }

  /** Faults `page` in and pins it, counting the pin in `holder` (the user's pins or the address spaces' locks). */
  private async pinIn(holder: Map<number, number>, page: number): Promise<void> {
    const answer = this.fault(page, 'read', true);
    const frame = isPromise(answer) ? await answer : answer;
    this.pool.keepPin();
    if (this.destroyed) {
      this.pool.unpin(frame, false);
      throw this.destroyedError();
    }
    holder.set(page, (holder.get(page) ?? 0) + 1);
  }

  private unpinIn(holder: Map<number, number>, page: number, what: string): void {
    const pins = holder.get(page);
    if (!pins) throw new InvalidArgumentError('page', page, what);
    if (pins === 1) holder.delete(page);
    else holder.set(page, pins - 1);
    this.pool.unpin(this.cache.lookup(page), false);
  }

  /**
   * Pages out every dirty page and keeps it resident, handing the pager runs of contiguous pages
   * (`pageOutRun`) so it can join them into one write. Resolves to the number of pages written. If a
   * page-out fails (DeviceFull, NotImplemented, an I/O error) every other page is still tried, the failed
   * pages stay resident and dirty, and the first error is thrown at the end.
   */
  async flush(): Promise<number> {
    this.checkAlive();
    const pages: number[] = [];
    this.cache.iterate((page, frame) => {
      if (this.pool.flags[frame]! & (FrameFlag.Dirty | FrameFlag.Busy)) pages.push(page);
    });
    pages.sort((a, b) => a - b);
    let written = 0;
    let failure: Error | undefined;
    for (let i = 0; i < pages.length; ) {
      if (this.destroyed) throw this.destroyedError();
      const frame = this.cache.lookup(pages[i]!);
      if (frame >= 0 && this.pool.flags[frame]! & FrameFlag.Busy) {
        await this.pool.changed(); // an eviction's page-out is in flight: see how it ends, then look again
        continue;
      }
      // The run: this page and the following ones, while they are resident, dirty, idle and contiguous.
      const run: number[] = [];
      for (let j = i; j < pages.length && run.length < MAX_FLUSH_RUN; j++) {
        const f = this.cache.lookup(pages[j]!);
        const ok = f >= 0 && (this.pool.flags[f]! & (FrameFlag.Dirty | FrameFlag.Busy)) === FrameFlag.Dirty;
        if (!ok || (run.length > 0 && pages[j] !== pages[i]! + run.length)) break;
        run.push(f);
      }
      if (run.length === 0) {
        i++;
        continue;
      }
      const result = await this.flushRun(pages[i]!, run);
      written += result.written;
      failure ??= result.failure;
      i += run.length;
    }
    if (failure) throw failure;
    return written;
  }

  stat(): MemoryObjectStat {
    let dirtyPages = 0;
    // A resident page in a page-out has its dirty bit cleared until the page-out ends: it still counts.
    this.cache.iterate((_page, frame) => {
      if (this.pool.flags[frame]! & (FrameFlag.Dirty | FrameFlag.Busy)) dirtyPages++;
    });
    return {
      virtualSize: this.size,
      pageSize: this.pageSize,
      residentPages: this.cache.count,
      residentBytes: this.cache.count * this.pageSize,
      dirtyPages,
      faults: this.faults,
      pageIns: this.pageIns,
      pageOuts: this.pageOuts,
      evictions: this.evictions,
    };
  }

  /**
   * @internal madvise's hint for pages `first .. first + count`, passed to a pager that takes advice
   * (`advise`, optional); a pager's failure to take it is ignored, as advice may be.
   */
  advise(first: number, count: number, advice: PagerAdvice): void {
    if (this.destroyed || typeof this.pager.advise !== 'function') return;
    try {
      this.pager.advise(first, count, advice);
    } catch {
      // Advice is never an error of the caller's.
    }
  }

  /**
   * @internal Makes the object `size` bytes long (at least its size now): the file under it grew. The pages
   * it holds stay where they are; `cache` (made for the new page count, from the instance's CacheFactory)
   * takes them over. The pager's `context` keeps the size it was made with: a pager of a growing object is
   * told the new size by whoever grows it.
   */
  grow(size: number, cache: Cache): void {
    this.checkAlive();
    checkIndex('size', size);
    if (size <= this.size) return;
    if (cache !== this.cache) {
      this.cache.iterate((page, frame) => cache.update(page, frame));
      this.cache = cache;
    }
    (this as { size: number }).size = size;
    (this as { pageCount: number }).pageCount = Math.ceil(size / this.pageSize);
  }

  /**
   * @internal Forgets every byte from `offset` on, without paging anything out: the file under the object
   * was cut there (POSIX truncate). Pages wholly past it leave the cache, dirty or not, and their frames go
   * back to the pool; the rest of the page `offset` falls in reads zeros. A frame still in use (pinned, or in
   * a page-out) cannot be taken away: it is zeroed, made clean and stays resident.
   */
  discardFrom(offset: number): void {
    if (this.destroyed) return;
    checkIndex('offset', offset);
    const ps = this.pageSize;
    const pool = this.pool;
    const first = Math.ceil(offset / ps);
    const gone: number[] = [];
    this.cache.iterate((page) => {
      if (page >= first) gone.push(page);
    });
    for (const page of gone) {
      const frame = this.cache.lookup(page);
      if (pool.flags[frame]! & FrameFlag.Busy || pool.pins[frame]! > 0) {
        pool.chunk(frame).fill(0, pool.offset(frame), pool.offset(frame) + ps);
        pool.flags[frame] &= ~FrameFlag.Dirty;
        continue;
      }
      this.cache.invalidate(page);
      this.queue.reserve(frame);
      pool.release(frame);
    }
    const within = offset % ps;
    if (within !== 0) {
      const frame = this.cache.lookup(first - 1);
      if (frame >= 0) pool.chunk(frame).fill(0, pool.offset(frame) + within, pool.offset(frame) + ps);
    }
  }

  /**
   * @internal The backing store changed under a resident page from `offset` on: `bytes` are its bytes there
   * now. Copies them into the page if it is resident, without changing whether it is dirty; an absent page
   * is left alone (its next page-in reads them). With `keepWritten`, a byte the page holds that is not zero
   * stays (it was written in memory: a file grown by someone else keeps what mappings wrote past its old end).
   */
  refill(offset: number, bytes: Uint8Array, keepWritten = false): void {
    if (this.destroyed || bytes.length === 0) return;
    checkSpan(offset, bytes.length, this.size);
    const ps = this.pageSize;
    const page = Math.floor(offset / ps);
    if (Math.floor((offset + bytes.length - 1) / ps) !== page) throw new InvalidArgumentError('bytes', bytes, 'bytes within one page');
    const frame = this.cache.lookup(page);
    if (frame < 0) return;
    const chunk = this.pool.chunk(frame);
    const at = this.pool.offset(frame) + offset - page * ps;
    if (!keepWritten) chunk.set(bytes, at);
    else for (let i = 0; i < bytes.length; i++) if (chunk[at + i] === 0) chunk[at + i] = bytes[i]!;
  }

  /** Subscribes to this object's events; answers the function that unsubscribes. */
  on<K extends EventName>(name: K, listener: Listener<K>): () => void {
    this.checkAlive();
    return this.hub.on(name, listener);
  }

  /**
   * Destroys the object: its frames go back to the pool (dirty pages are discarded: `flush()` first to
   * keep them), waiters are rejected, and the pager is destroyed. Calling it again is harmless; any other
   * call afterwards throws DestroyedError.
   */
  destroy(): Promise<void> {
    // The first call reports a pager whose destroy failed; later calls resolve.
    return this.destroying ? this.destroying.catch(noop) : this.destroyWith(undefined);
  }

  // ---- the fault path ----

  /**
   * @internal The frame holding `page`, paging it in if needed. With `pin`, one transient pin is held for
   * the caller, who must `pool.unpin(frame, true)` after use, so the frame cannot be reclaimed between the
   * fault's end and the caller's copy.
   */
  fault(page: number, access: Access, pin: boolean): MaybePromise<number> {
    const frame = this.cache.lookup(page);
    if (frame >= 0) {
      this.queue.policy.access(frame);
      if (pin) this.pool.pin(frame, 1, true);
      return frame;
    }
    if (this.destroyed) throw this.destroyedError();
    const pending = this.inflight.get(page);
    if (pending) {
      if (pin) pending.pins++;
      pending.deferred ??= new Deferred();
      return pending.deferred.promise;
    }
    return this.pageInFresh(page, access, pin);
  }

  private pageInFresh(page: number, access: Access, pin: boolean): MaybePromise<number> {
    this.faults++;
    if (this.heard) this.emit('fault', { object: this, page, access });
    const pending: Inflight = { deferred: undefined, pins: pin ? 1 : 0 };
    let result: MaybePromise<number>;
    const frame = this.queue.allocate();
    if (isPromise(frame)) result = frame.then((f) => this.fill(page, f, access, 0, pending));
    else {
      result = this.fill(page, frame, access, 0, pending);
      if (!isPromise(result)) return result; // a synchronous fault: settleIn granted the pins
    }
    // The fault goes asynchronous: from now on later faulters of the page wait on this one.
    this.inflight.set(page, pending);
    const deferred = (pending.deferred ??= new Deferred());
    result.then(
      (frame) => {
        if (this.inflight.get(page) === pending) this.inflight.delete(page);
        if (this.destroyed) {
          for (let i = 0; i < pending.pins; i++) this.pool.unpin(frame, true);
          return deferred.reject(this.destroyedError());
        }
        deferred.resolve(frame);
      },
      (err: unknown) => {
        if (this.inflight.get(page) === pending) this.inflight.delete(page);
        deferred.reject(err);
      },
    );
    return deferred.promise;
  }

  /** Asks the pager to fill `frame` with `page`; `pending` holds the pins to grant when it lands. */
  private fill(page: number, frame: number, access: Access, attempt: number, pending: Inflight): MaybePromise<number> {
    // A destroyed pager is never asked again (a retry after AlreadyPagedIn may find the object gone).
    if (this.destroyed) {
      if (this.pool.flags[frame]! & FrameFlag.Busy) this.pool.abandon(frame);
      else this.pool.release(frame);
      throw this.destroyedError();
    }
    if (attempt === 0) this.pool.claim(frame, this.id, page);
    let answer: PagerAnswer;
    try {
      answer = this.pager.pageIn(page, this.pool.view(frame), access);
    } catch (err) {
      this.pool.abandon(frame);
      throw new PagerIoError(this.name, page, 'pageIn', err);
    }
    if (!isPromise(answer)) return this.settleIn(page, frame, access, attempt, answer, pending);
    return Promise.resolve(answer).then(
      (code) => this.settleIn(page, frame, access, attempt, code, pending),
      (err: unknown) => {
        this.pool.abandon(frame);
        throw this.destroyed ? this.destroyedError() : new PagerIoError(this.name, page, 'pageIn', err);
      },
    );
  }

  /** What the memory object does with each page-in answer (the README's table). */
  private settleIn(page: number, frame: number, access: Access, attempt: number, code: unknown, pending: Inflight): MaybePromise<number> {
    if (this.destroyed) {
      this.pool.abandon(frame);
      throw this.destroyedError();
    }
    switch (code) {
      case ResultCode.Success:
        this.pool.unbusy(frame);
        this.cache.update(page, frame);
        this.queue.issue(frame, this.keyBase + (page % 2 ** 32));
        // Pinned the moment it is reclaimable, so no one evicts it before its faulters have used it.
        if (pending.pins > 0) this.pool.pin(frame, pending.pins, true);
        this.pageIns++;
        if (this.heard) this.emit('pageIn', { object: this, page, frame });
        return frame;
      case ResultCode.AlreadyPagedIn: {
        // Another party supplied the page: look again, and ask again a bounded number of times.
        const existing = this.cache.lookup(page);
        if (existing >= 0) {
          this.pool.abandon(frame);
          if (pending.pins > 0) this.pool.pin(existing, pending.pins, true);
          return existing;
        }
        if (attempt + 1 >= MAX_PAGE_IN_RETRIES) {
          this.pool.abandon(frame);
          throw new PagerFailedError(this.name, page, 'pageIn', ResultCode.AlreadyPagedIn, `answered AlreadyPagedIn ${MAX_PAGE_IN_RETRIES} times but the page never appeared`);
        }
        return new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.fill(page, frame, access, attempt + 1, pending));
      }
      case ResultCode.PagerDestroyed:
      case ResultCode.DeviceFull:
      case ResultCode.NotImplemented: {
        // SPIN's "catastrophic event": this fault fails with the code, the object is destroyed.
        this.pool.abandon(frame);
        const err = new PagerFailedError(this.name, page, 'pageIn', code, 'the memory object is destroyed');
        this.inflight.delete(page); // this page's faulters get `err` itself, not DestroyedError
        void this.destroyWith(err).catch(noop);
        throw err;
      }
      default:
        this.pool.abandon(frame);
        throw new PagerProtocolError(this.name, page, 'pageIn', code);
    }
  }

  // ---- eviction (FrameOwner) ----

  /** @internal */
  evictable(frame: number): boolean {
    return !this.pageOutUnsupported || ((this.pool.flags[frame]! & FrameFlag.Dirty) === 0 && this.refills);
  }

  /** @internal Gives `frame` back to the page queue, paging it out first unless it is clean and the pager refills clean pages. */
  evict(frame: number): MaybePromise<EvictOutcome> {
    const page = this.pool.page[frame]!;
    const dirty = (this.pool.flags[frame]! & FrameFlag.Dirty) !== 0;
    if (!dirty && this.refills) return this.drop(frame, page, false);
    this.pool.beginPageOut(frame);
    let answer: PagerAnswer;
    try {
      answer = this.pager.pageOut(page, this.pool.view(frame), dirty);
    } catch (err) {
      return this.pageOutThrew(frame, page, dirty, err);
    }
    if (!isPromise(answer)) return this.settleOut(frame, page, dirty, answer);
    return Promise.resolve(answer).then(
      (code) => this.settleOut(frame, page, dirty, code),
      (err: unknown) => this.pageOutThrew(frame, page, dirty, err),
    );
  }

  /** What the memory object does with each page-out answer during eviction. Never drops a page it cannot get back. */
  private settleOut(frame: number, page: number, dirty: boolean, code: unknown): EvictOutcome {
    const pool = this.pool;
    if (pool.flags[frame]! & FrameFlag.Orphan) return this.orphaned(frame);
    if (this.heard && isResultCode(code)) this.emit('pageOut', { object: this, page, dirty, result: code });
    switch (code) {
      case ResultCode.Success:
      case ResultCode.AlreadyPagedOut:
        if (dirty) this.pageOuts++;
        // Written or pinned while the page-out ran: it stays, dirty, and the next scan looks elsewhere.
        if (pool.flags[frame]! & FrameFlag.Dirty || pool.pins[frame]! > 0) {
          pool.unbusy(frame);
          this.keep(frame, page, false);
          return EvictOutcome.Again;
        }
        return this.drop(frame, page, dirty);
      case ResultCode.DeviceFull:
        pool.unbusy(frame);
        if (this.heard) this.emit('deviceFull', { object: this, page });
        return this.keep(frame, page, dirty);
      case ResultCode.NotImplemented:
      case ResultCode.PagerDestroyed:
        this.pageOutUnsupported = true;
        if (!dirty && this.refills && !(pool.flags[frame]! & FrameFlag.Dirty)) return this.drop(frame, page, false);
        pool.unbusy(frame);
        return this.keep(frame, page, dirty);
      default: {
        pool.unbusy(frame);
        this.keep(frame, page, dirty);
        throw this.pageOutError(page, new PagerProtocolError(this.name, page, 'pageOut', code));
      }
    }
  }

  /**
   * This object was destroyed while `frame`'s page-out ran, whatever the pager answered: the page is gone
   * with the object, and the frame is the reclaimer's unless someone still pins it. The reclaimer works for
   * another object, so it never sees this object's DestroyedError.
   */
  private orphaned(frame: number): EvictOutcome {
    const pool = this.pool;
    if (pool.pins[frame]! > 0) {
      pool.unbusy(frame);
      return EvictOutcome.Again;
    }
    pool.holdForHandOff(frame);
    return EvictOutcome.Freed;
  }

  private pageOutThrew(frame: number, page: number, dirty: boolean, err: unknown): EvictOutcome {
    if (this.pool.flags[frame]! & FrameFlag.Orphan) return this.orphaned(frame);
    this.pool.unbusy(frame);
    this.keep(frame, page, dirty);
    throw this.pageOutError(page, new PagerIoError(this.name, page, 'pageOut', err));
  }

  private pageOutError(page: number, error: Error): Error {
    if (this.heard) this.emit('pageOutFailed', { object: this, page, error });
    return error;
  }

  /** The page stays resident; its dirty bit is restored, and it moves to the queue's tail. */
  private keep(frame: number, page: number, dirty: boolean): EvictOutcome {
    if (dirty) this.pool.flags[frame] |= FrameFlag.Dirty;
    this.queue.requeue(frame, this.keyBase + (page % 2 ** 32));
    return EvictOutcome.Kept;
  }

  /** The frame leaves this object; it stays busy until the requester claims it. */
  private drop(frame: number, page: number, dirty: boolean): EvictOutcome {
    this.cache.invalidate(page);
    this.queue.reserve(frame);
    this.pool.holdForHandOff(frame);
    this.evictions++;
    if (this.heard) this.emit('eviction', { object: this, page, frame, dirty });
    return EvictOutcome.Freed;
  }

  /** Pages out one run of dirty frames holding `firstPage`, `firstPage + 1`, ... and settles each answer. */
  private async flushRun(firstPage: number, frames: number[]): Promise<{ written: number; failure: Error | undefined }> {
    const pool = this.pool;
    for (const f of frames) pool.beginPageOut(f);
    let codes: unknown;
    try {
      codes = await this.pager.pageOutRun(firstPage, frames.map((f) => pool.view(f)));
    } catch (err) {
      codes = err instanceof Error || !Array.isArray(err) ? { thrown: err } : err;
    }
    let written = 0;
    let failure: Error | undefined;
    frames.forEach((frame, i) => {
      const page = firstPage + i;
      pool.unbusy(frame);
      if (this.destroyed) return;
      const code: unknown = Array.isArray(codes) ? codes[i] : undefined;
      if (isResultCode(code) && this.heard) this.emit('pageOut', { object: this, page, dirty: true, result: code });
      if (code === ResultCode.Success || code === ResultCode.AlreadyPagedOut) {
        this.pageOuts++;
        written++;
      } else {
        pool.flags[frame] |= FrameFlag.Dirty;
        if (code === ResultCode.DeviceFull) {
          if (this.heard) this.emit('deviceFull', { object: this, page });
          failure ??= new PagerFailedError(this.name, page, 'pageOut', code, 'the page stays resident and dirty');
        } else if (code === ResultCode.NotImplemented || code === ResultCode.PagerDestroyed) {
          this.pageOutUnsupported = true;
          failure ??= new PagerFailedError(this.name, page, 'pageOut', code, 'the pager cannot page out; the page stays resident and dirty');
        } else if (!Array.isArray(codes)) {
          failure ??= this.pageOutError(page, new PagerIoError(this.name, page, 'pageOut', (codes as { thrown: unknown }).thrown));
        } else failure ??= this.pageOutError(page, new PagerProtocolError(this.name, page, 'pageOut', code));
      }
    });
    if (this.destroyed) throw this.destroyedError();
    return { written, failure };
  }

  // ---- copying ----

  /** Copies between `buf` and the object at `offset`, page by page, faulting as needed. */
  private async transfer(offset: number, buf: Uint8Array, write: boolean): Promise<void> {
    const ps = this.pageSize;
    const access: Access = write ? 'write' : 'read';
    for (let done = 0; done < buf.length; ) {
      const pos = offset + done;
      const page = Math.floor(pos / ps);
      const within = pos - page * ps;
      const n = Math.min(ps - within, buf.length - done);
      let frame = this.cache.lookup(page);
      const pinned = frame < 0;
      if (!pinned) this.queue.policy.access(frame);
      else {
        const answer = this.fault(page, access, true);
        frame = isPromise(answer) ? await answer : answer;
      }
      // A fault's transient pin keeps the frame ours until the copy; whatever throws, it is released.
      try {
        if (pinned && this.destroyed) throw this.destroyedError();
        if (write) checkStillAttached('bytes', buf, done + n); // a fault (this page's or an earlier one's) may have let it go
        this.copy(frame, within, buf, done, n, write);
      } finally {
        if (pinned) this.pool.unpin(frame, true);
      }
      done += n;
    }
  }

  /** Same as `transfer` but only over resident pages; checks them all before copying anything. */
  private transferResident(offset: number, buf: Uint8Array, write: boolean): void {
    const ps = this.pageSize;
    const length = buf.length;
    if (length === 0) return;
    const first = Math.floor(offset / ps);
    const last = Math.floor((offset + length - 1) / ps);
    if (first === last) {
      const frame = this.cache.lookup(first);
      if (frame < 0) throw new NotResidentError(this.name, first);
      this.queue.policy.access(frame);
      this.copy(frame, offset - first * ps, buf, 0, length, write);
      return;
    }
    const absent = this.firstAbsent(first, last);
    if (absent >= 0) throw new NotResidentError(this.name, absent);
    for (let done = 0; done < length; ) {
      const pos = offset + done;
      const page = Math.floor(pos / ps);
      const within = pos - page * ps;
      const n = Math.min(ps - within, length - done);
      const frame = this.cache.lookup(page);
      this.queue.policy.access(frame);
      this.copy(frame, within, buf, done, n, write);
      done += n;
    }
  }

  private copy(frame: number, within: number, buf: Uint8Array, at: number, n: number, write: boolean): void {
    const chunk = this.pool.chunk(frame);
    const start = this.pool.offset(frame) + within;
    if (write) {
      chunk.set(n === buf.length ? buf : buf.subarray(at, at + n), start);
      this.pool.flags[frame] |= FrameFlag.Dirty;
    } else buf.set(chunk.subarray(start, start + n), at);
  }

  // ---- life cycle ----

  private destroyWith(cause: Error | undefined): Promise<void> {
    this.destroyed = true;
    this.destroyCause = cause;
    const pool = this.pool;
    // Lasting pins die with the object; pins held by reads and writes in flight end with them.
    for (const holder of [this.userPins, this.lockPins]) {
      for (const [page, pins] of holder) {
        const frame = this.cache.lookup(page);
        if (frame >= 0) pool.pins[frame] = Math.max(0, pool.pins[frame]! - pins);
      }
    }
    this.cache.iterate((_page, frame) => {
      this.queue.reserve(frame);
      // A frame in a page-out or pinned by a reader is freed when that ends, never under it.
      if (pool.flags[frame]! & FrameFlag.Busy || pool.pins[frame]! > 0) pool.flags[frame] |= FrameFlag.Orphan;
      else pool.release(frame);
    });
    this.cache.clear();
    this.userPins.clear();
    this.lockPins.clear();
    const err = this.destroyedError(); // carries `cause`
    for (const pending of this.inflight.values()) pending.deferred?.reject(err);
    this.inflight.clear();
    this.queue.unregister(this.id);
    this.onDestroyed(this);
    if (this.heard) this.emit('destroyed', { object: this, cause });
    let ending: void | Promise<void>;
    try {
      ending = this.pager.destroy();
    } catch (e) {
      ending = Promise.reject(e);
    }
    this.destroying = Promise.resolve(ending).catch((e: unknown) => {
      throw new PagerIoError(this.name, 0, 'destroy', e);
    });
    return this.destroying;
  }

  /** Whether anyone listens to this object's events; the fault path builds no event object otherwise. */
  private get heard(): boolean {
    return this.hub.listeners + this.vmHub.listeners > 0;
  }

  private emit<K extends EventName>(name: K, event: VmEvents[K]): void {
    if (this.hub.listeners > 0) this.hub.emit(name, event);
    if (this.vmHub.listeners > 0) this.vmHub.emit(name, event);
  }

  private checkAlive(): void {
    if (this.destroyed) throw this.destroyedError();
  }

  private checkPage(page: unknown): void {
    checkIndex('page', page);
    if ((page as number) >= this.pageCount) throw new OutOfRangeError('page', page as number, this.pageCount, 'past the last page of the object');
  }

  private destroyedError(): DestroyedError {
    return new DestroyedError(`memory object ${this.name}`, this.destroyCause);
  }
}
