import type { Cache } from '../cache/cache.js';
import { InvalidArgumentError, NotResidentError } from '../errors.js';
import type { EventName, Listener } from '../events.js';
import { checkAccess, type Access } from '../pager/access.js';
import type { Pager, PagerAdvice } from '../pager/pager.js';
import type { MaybePromise } from '../util/maybe-promise.js';
import { checkBytes, checkSpan, newBytes } from '../validate.js';
import { flush } from './flush.js';
import { destroy, discardFrom, grow, refill } from './life-cycle.js';
import { MemoryObjectRep } from './memory-object-rep.js';
import { fault, request } from './page-in.js';
import { pinIn, unpinIn } from './pins.js';
import { firstAbsent, transfer, transferResident } from './transfer.js';

export { MAX_PAGE_IN_RETRIES } from './page-in.js';
export { MAX_FLUSH_RUN } from './flush.js';
export type { MemoryObjectParts } from './memory-object-rep.js';

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

/**
 * SPIN's memory object: a cache of page frames plus a pager. Made by `vm.createMemoryObject`. Reads and
 * writes fault pages in through the pager; frames come from the instance's pool through the page queue.
 *
 * This file is the public interface. What the object is made of is memory-object-rep.ts; the paths behind
 * the methods have a file each: page-in.ts (the fault path), page-out.ts (eviction and reclaim), flush.ts,
 * transfer.ts (copies between buffers and frames), pins.ts and life-cycle.ts. Only the hit path of the
 * integer accessors stays here, so that a read of a resident page is a few loads on this object.
 */
export class MemoryObject extends MemoryObjectRep {
  /** A name for messages and events. */
  declare readonly name: string;
  /** Size in bytes (the last page may be partial). */
  declare readonly size: number;
  declare readonly pageSize: number;
  declare readonly pageCount: number;
  declare readonly pager: Pager;

  get isDestroyed(): boolean {
    return this.destroyed;
  }

  // ---- reading and writing ----

  /** A copy of `length` bytes at `offset`, faulting pages in as needed. */
  async read(offset: number, length: number): Promise<Uint8Array> {
    this.checkAlive();
    checkSpan(offset, length, this.size);
    const out = newBytes('length', length);
    await transfer(this, offset, out, false);
    return out;
  }

  /** Writes `bytes` at `offset`, faulting pages in as needed; the pages become dirty. */
  async write(offset: number, bytes: Uint8Array): Promise<void> {
    this.checkAlive();
    checkBytes('bytes', bytes);
    checkSpan(offset, bytes.length, this.size);
    await transfer(this, offset, bytes, true);
  }

  /**
   * Reads `dest.length` bytes at `offset` into `dest`, faulting pages in as needed: `read` without allocating
   * a result, for a caller that reuses one buffer (a scan, an address space). Nothing is written to `dest`
   * past the bytes asked for.
   */
  async readInto(offset: number, dest: Uint8Array): Promise<void> {
    this.checkAlive();
    checkBytes('dest', dest);
    checkSpan(offset, dest.length, this.size);
    await transfer(this, offset, dest, false);
  }

  /** The synchronous path: a copy of resident bytes, with no promise. Throws NotResidentError (and copies nothing) if a page is absent. */
  readSync(offset: number, length: number): Uint8Array {
    this.checkAlive();
    checkSpan(offset, length, this.size);
    const out = newBytes('length', length);
    transferResident(this, offset, out, false);
    return out;
  }

  /**
   * `readSync` into the caller's buffer (`dest.length` bytes at `offset`): no result allocated, for a caller
   * that reads resident pages many times (a SQLite VFS). Throws NotResidentError (and copies nothing) if a page is absent.
   */
  readSyncInto(offset: number, dest: Uint8Array): void {
    this.checkAlive();
    checkBytes('dest', dest);
    checkSpan(offset, dest.length, this.size);
    transferResident(this, offset, dest, false);
  }

  /** The synchronous path for writes to resident pages. Throws NotResidentError (and writes nothing) if a page is absent. */
  writeSync(offset: number, bytes: Uint8Array): void {
    this.checkAlive();
    checkBytes('bytes', bytes);
    checkSpan(offset, bytes.length, this.size);
    transferResident(this, offset, bytes, true);
  }

  /**
   * Reads an unsigned little-endian integer of `size` bytes (1, 2 or 4) from resident memory: no promise,
   * no allocation. Throws NotResidentError if the page is absent.
   */
  getUint(offset: number, size: 1 | 2 | 4): number {
    // The hit path: a small integer offset inside one resident page. `(offset | 0) === offset` is false for
    // non-numbers, fractions, NaN and offsets past 2^31, which all take the checked path below. No check of
    // `destroyed`: a destroyed object's page table is empty, so its accesses miss and take the checked path.
    if ((offset | 0) === offset && offset >= 0 && offset <= this.size - size && (size === 4 || size === 1 || size === 2)) {
      const within = offset & (this.pageSize - 1);
      if (within + size <= this.pageSize) {
        const frame = this.table[this.tableBase + (offset >>> this.pageShift)]!;
        if (frame >= 0) {
          this.policy.access(frame);
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
      (offset | 0) === offset &&
      offset >= 0 &&
      offset <= this.size - size &&
      (size === 4 || size === 1 || size === 2) &&
      typeof value === 'number' &&
      value >= 0 &&
      value < 2 ** (8 * size) &&
      value === Math.floor(value)
    ) {
      const within = offset & (this.pageSize - 1);
      if (within + size <= this.pageSize) {
        const frame = this.table[this.tableBase + (offset >>> this.pageShift)]!;
        if (frame >= 0) {
          this.policy.access(frame);
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
    const o = ((frame & this.chunkMask) << this.pageShift) + within;
    // An aligned word is one load (the host is little-endian whenever `words` exists).
    if (size === 4 && (o & 3) === 0 && this.words !== undefined) return this.words[frame >>> this.chunkShift]![o >>> 2]!;
    const c = this.chunks[frame >>> this.chunkShift]!;
    if (size === 4) return (c[o]! | (c[o + 1]! << 8) | (c[o + 2]! << 16) | (c[o + 3]! << 24)) >>> 0;
    return size === 1 ? c[o]! : c[o]! | (c[o + 1]! << 8);
  }

  /** Stores a little-endian integer of `size` bytes at `within` in `frame`; the page becomes dirty. */
  private store(frame: number, within: number, size: number, value: number): void {
    const c = this.chunks[frame >>> this.chunkShift]!;
    const o = ((frame & this.chunkMask) << this.pageShift) + within;
    c[o] = value;
    if (size >= 2) c[o + 1] = value >>> 8;
    if (size === 4) {
      c[o + 2] = value >>> 16;
      c[o + 3] = value >>> 24;
    }
    this.frames.markDirty(frame);
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
    this.policy.access(frame);
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
    return length === 0 || firstAbsent(this, Math.floor(offset / this.pageSize), Math.floor((offset + length - 1) / this.pageSize)) < 0;
  }

  // ---- faults and pins ----

  /**
   * The page-fault entry: makes `page` resident for `access`. Answers undefined when that happened
   * synchronously (resident already, or the pager answered without I/O), else a promise.
   */
  request(page: number, access: Access): Promise<void> | undefined {
    this.checkAlive();
    this.checkPage(page);
    checkAccess(access);
    return request(this, page, access);
  }

  /**
   * @internal The frame holding `page`, paging it in if needed. With `pin`, one transient pin is held for
   * the caller, who must `pool.state.unpin(frame, true)` after use (see page-in.ts).
   */
  fault(page: number, access: Access, pin: boolean): MaybePromise<number> {
    return fault(this, page, access, pin);
  }

  /** Faults `page` in and pins it: it is never reclaimed until `unpin(page)`. */
  async pin(page: number): Promise<void> {
    this.checkAlive();
    this.checkPage(page);
    await pinIn(this, this.userPins, page);
  }

  unpin(page: number): void {
    this.checkAlive();
    this.checkPage(page);
    unpinIn(this, this.userPins, page, 'a page pinned with pin()');
  }

  /** @internal An address space's mlock: a pin of its own, which the object's `unpin` cannot take away. */
  lock(page: number): Promise<void> {
    this.checkAlive();
    this.checkPage(page);
    return pinIn(this, this.lockPins, page);
  }

  /** @internal munlock: ends one `lock` of `page`. */
  unlock(page: number): void {
    this.checkAlive();
    unpinIn(this, this.lockPins, page, 'a page locked by an address space');
  }

  // ---- write-back, statistics, advice ----

  /**
   * Pages out every dirty page and keeps it resident, handing the pager runs of contiguous pages
   * (`pageOutRun`) so it can join them into one write. Resolves to the number of pages written. If a
   * page-out fails (DeviceFull, NotImplemented, an I/O error) every other page is still tried, the failed
   * pages stay resident and dirty, and the first error is thrown at the end.
   */
  flush(): Promise<number> {
    if (this.destroyed) return Promise.reject(this.destroyedError());
    return flush(this);
  }

  stat(): MemoryObjectStat {
    this.shared?.fold(); // workers' writes count as soon as they are made, not at the next flush or reclaim
    let dirtyPages = 0;
    // A resident page in a page-out has its dirty bit cleared until the page-out ends: it still counts.
    this.cache.iterate((_page, frame) => {
      if (this.frames.isDirtyOrPagingOut(frame)) dirtyPages++;
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

  // ---- life cycle ----

  /**
   * @internal Makes the object `size` bytes long (at least its size now): the file under it grew. The pages
   * it holds stay where they are; `cache` (made for the new page count, from the instance's CacheFactory)
   * takes them over. The pager's `context` keeps the size it was made with: a pager of a growing object is
   * told the new size by whoever grows it.
   */
  grow(size: number, cache: Cache): void {
    grow(this, size, cache);
  }

  /**
   * @internal Forgets every byte from `offset` on, without paging anything out: the file under the object
   * was cut there (POSIX truncate). Pages wholly past it leave the cache, dirty or not, and their frames go
   * back to the pool; the rest of the page `offset` falls in reads zeros. A frame still in use (pinned, or in
   * a page-out) cannot be taken away: it is zeroed, made clean and stays resident.
   */
  discardFrom(offset: number): void {
    discardFrom(this, offset);
  }

  /**
   * @internal The backing store changed under a resident page from `offset` on: `bytes` are its bytes there
   * now. Copies them into the page if it is resident, without changing whether it is dirty; an absent page
   * is left alone (its next page-in reads them). With `keepWritten`, a byte the page holds that is not zero
   * stays (it was written in memory: a file grown by someone else keeps what mappings wrote past its old end).
   */
  refill(offset: number, bytes: Uint8Array, keepWritten = false): void {
    refill(this, offset, bytes, keepWritten);
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
    return destroy(this);
  }
}
