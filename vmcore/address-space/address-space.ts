/**
 * The address space's public class: the mmap family, fork, the trap and the accessors, each checking its
 * arguments and delegating to the file that does the work:
 *
 *   regions.ts       the region map: mappings by address, split and joined
 *   levels.ts        the shadow chain's levels (Base, Shadow); translate.ts its one translate per page
 *   trap.ts          the fault handler: precheck, copy-up, zero fill
 *   zero-page.ts     the one read-only zero page per page size
 *   copy.ts          read / write / readSync / writeSync
 *   typed-access.ts  the typed getters and setters and their translation cache
 *   mmap.ts, remap.ts, sync.ts, lock.ts, advise.ts, fork.ts: the calls of the same names
 *   inspect.ts       stat, mappings, residency;  checks.ts  argument checks
 *   state.ts         what the parts share;  host.ts  what an address space needs from its instance
 */
import { InvalidArgumentError } from '../errors.js';
import { checkAccess, type Access } from '../pager/access.js';
import { checkBytes, checkPositive, newBytes } from '../validate.js';
import { advise, type Advice } from './advise.js';
import { checkAdvice, checkRange, checkRemap, checkSpan, checkSyncOptions } from './checks.js';
import { copyAsync, copySync } from './copy.js';
import { forkInto } from './fork.js';
import type { AddressSpaceHost } from './host.js';
import { mappings, residency, stat, type AddressSpaceStat, type MappingInfo } from './inspect.js';
import { lock, unlockRange } from './lock.js';
import { map, protect, unmap, type MapOptions } from './mmap.js';
import { parseProt, type Protection } from './prot.js';
import { remap, type RemapOptions } from './remap.js';
import { SpaceState } from './state.js';
import { retire, syncRange, type SyncOptions } from './sync.js';
import { precheck, trap } from './trap.js';
import { getBigUint64, getUint, setBigUint64, setUint } from './typed-access.js';

const noop = (): void => {};

let spaces = 0;

/** Makes an empty address space over an instance's memory objects: `createAddressSpace(vm)`. */
export function createAddressSpace(host: AddressSpaceHost): AddressSpace {
  if (typeof host !== 'object' || host === null || typeof (host as Partial<AddressSpaceHost>).createMemoryObject !== 'function') {
    throw new InvalidArgumentError('vm', host, 'a spinvm instance (createVm())');
  }
  return new AddressSpace(host);
}

/**
 * An address space in Pedigree's and Mach's manner: anonymous memory, memory objects and files mapped
 * shared or private; faults trapped and resolved by the memory objects; private memory kept as shadow
 * chains, so a fork is copy-on-write, page by page. See the README for the POSIX correspondence.
 */
export class AddressSpace {
  /** The instance this space lives in (a `Vm`, seen through what the space needs of it). */
  readonly vm: AddressSpaceHost;
  readonly pageSize: number;
  readonly name: string;
  private readonly s: SpaceState;
  private destroying: Promise<void> | undefined = undefined;
  private readonly cancelShutdown: () => void;

  /** @internal Use `createAddressSpace(vm)`. */
  constructor(host: AddressSpaceHost) {
    this.vm = host;
    this.pageSize = host.pageSize;
    this.name = `as-${spaces++}`;
    this.s = new SpaceState(host, this.name);
    // When the instance is destroyed, drop the mappings' references (shared file mappings are synced and
    // closed); a failed write-back makes vm.destroy() reject, so no lost write goes unreported.
    this.cancelShutdown = host.onBeforeShutdown(() => this.destroy());
  }

  get isDestroyed(): boolean {
    return this.s.destroyed;
  }

  // ---- mmap, munmap, mprotect, msync ----

  /** Maps anonymous memory, a memory object or a file (mmap). Resolves to the address. */
  async map(options: MapOptions): Promise<number> {
    this.s.checkAlive();
    return map(this.s, options);
  }

  /**
   * Unmaps every page of the range (munmap); unmapped pages in it are fine. Shared file mappings are synced
   * first (with write rights or not), so the file's writes reach it. The range is gone at once; the promise
   * ends when the syncs and the freeing of unused objects do.
   */
  async unmap(address: number, length: number): Promise<void> {
    this.s.checkAlive();
    const [start, end] = checkRange(this.pageSize, address, length);
    await unmap(this.s, start, end);
  }

  /**
   * Changes the protection of every page of the range (mprotect). Throws UnmappedRangeError if a page of it
   * is unmapped, and AccessDeniedError (EACCES) when write rights are asked on a shared mapping of a file
   * that could not be opened for writing (a file that can be is always opened so); then nothing is changed.
   */
  protect(address: number, length: number, prot: Protection): void {
    this.s.checkAlive();
    const [start, end] = checkRange(this.pageSize, address, length, true);
    const mask = parseProt('prot', prot);
    if (start === end) return; // a length of 0 changes nothing and succeeds, as on Linux
    this.s.regions.requireMapped(start, end);
    protect(this.s, start, end, mask);
  }

  /**
   * msync: shared mappings of files write the file's dirty pages to it and make them durable, whichever
   * mapping (with write rights or not) dirtied them, since a file's pages are one set (of objects: flush
   * them to their pager); anonymous memory has nothing to do. `invalidate` is accepted and, as on Linux,
   * never discards a private mapping's own copies: every mapping of a file already reads the file's one
   * set of pages, so nothing stale is left to drop. A length of 0 does nothing and succeeds, as on Linux.
   * Throws UnmappedRangeError (nothing done) if a page of the range is unmapped.
   */
  async sync(address: number, length: number, options?: SyncOptions): Promise<void> {
    this.s.checkAlive();
    const [start, end] = checkRange(this.pageSize, address, length, true);
    const o = checkSyncOptions(options);
    if (start === end) return;
    this.s.regions.requireMapped(start, end);
    await syncRange(this.s, start, end, o.async === true);
  }

  // ---- madvise, mincore, mlock, mremap ----

  /**
   * madvise: `'dontneed'` drops the private pages of the range (a private file mapping reads the file again,
   * anonymous memory reads zeros; shared mappings keep their data, as on Linux), and is refused (EINVAL) over
   * locked pages; `'willneed'` faults the range in, ignoring page-in failures as advice may; `'sequential'`,
   * `'random'` and `'normal'` are handed to the pagers that take advice. A length of 0 does nothing.
   * Throws UnmappedRangeError (ENOMEM, nothing done) if a page of the range is unmapped.
   */
  async advise(address: number, length: number, advice: Advice): Promise<void> {
    this.s.checkAlive();
    const [start, end] = checkRange(this.pageSize, address, length, true);
    checkAdvice(advice);
    if (start === end) return;
    this.s.regions.requireMapped(start, end);
    await advise(this.s, start, end, advice);
  }

  /**
   * mincore: one byte per page of the range, 1 where the page's bytes are resident now (a page never
   * written to anonymous memory is the zero page: 0). Throws UnmappedRangeError if a page is unmapped.
   */
  residency(address: number, length: number): Uint8Array {
    this.s.checkAlive();
    const [start, end] = checkRange(this.pageSize, address, length, true);
    this.s.regions.requireMapped(start, end);
    return residency(this.s, start, end);
  }

  /**
   * mlock: faults every page of the range in and pins it, so it is never reclaimed until `unlock` or
   * `unmap`. A writable private page is copied first, as Linux's mlock does, so the pinned page is the one
   * writes go to. Locks do not nest (locking a locked page does nothing) and are not inherited by a fork.
   * Pinning more than the pool can spare fails with OutOfMemoryError, and the pages this call locked are
   * unlocked again. Throws UnmappedRangeError if a page of the range is unmapped.
   */
  async lock(address: number, length: number): Promise<void> {
    this.s.checkAlive();
    const [start, end] = checkRange(this.pageSize, address, length, true);
    this.s.regions.requireMapped(start, end);
    await lock(this.s, start, end);
  }

  /** munlock: the locked pages of the range may be reclaimed again. Throws UnmappedRangeError if a page is unmapped. */
  unlock(address: number, length: number): void {
    this.s.checkAlive();
    const [start, end] = checkRange(this.pageSize, address, length, true);
    this.s.regions.requireMapped(start, end);
    unlockRange(this.s, start, end);
  }

  /**
   * mremap: resizes the mapping at `address .. address + oldLength` (which must lie within one mapping) to
   * `newLength`. Shrinking unmaps the tail. Growing keeps the address when the pages after it are free;
   * otherwise, with `move`, the mapping moves to a free range (or to `address` given in the options,
   * replacing what was there) with its pages, contents and locks, and the old range is unmapped; without
   * `move` it fails with RemapError (ENOMEM). Resolves to the mapping's address.
   */
  async remap(address: number, oldLength: number, newLength: number, options?: RemapOptions): Promise<number> {
    this.s.checkAlive();
    const { start, end, length, move, target } = checkRemap(this.pageSize, address, oldLength, newLength, options);
    this.s.regions.requireMapped(start, end);
    return remap(this.s, start, end, length, move, target);
  }

  // ---- fork and teardown ----

  /**
   * A new address space with the same mappings. Shared mappings stay shared; private and anonymous memory
   * becomes copy-on-write in both spaces: each gets a new, empty shadow over what the parent had, which is
   * frozen and shared by the two. Nothing is copied now; a page is copied when either side first writes it.
   */
  fork(): AddressSpace {
    this.s.checkAlive();
    const child = new AddressSpace(this.vm);
    forkInto(this.s, child.s);
    return child;
  }

  /**
   * Unmaps everything (shared file mappings are synced) and frees what no one else uses. Calling it again
   * is harmless; anything else afterwards throws DestroyedError.
   */
  destroy(): Promise<void> {
    if (this.destroying) return this.destroying.catch(noop);
    this.s.destroyed = true;
    this.cancelShutdown();
    this.destroying = retire(this.s, this.s.regions.takeAll());
    return this.destroying;
  }

  // ---- reading and writing ----

  /**
   * Makes the pages of `address .. address + length` (default one byte) ready for `access`: resident,
   * copied for a private write, allocated for a first anonymous write. Answers undefined when that is
   * already so or was done synchronously, else a promise: `let p; while ((p = s.trap(a, 'read', 4))) await p;`
   * then the synchronous accessors succeed. Throws SegmentationFault, ProtectionFault or BusError at once.
   */
  trap(address: number, access: Access, length = 1): Promise<void> | undefined {
    this.s.checkAlive();
    checkAccess(access);
    checkPositive('length', length);
    checkSpan(address, length);
    return trap(this.s, address, length, access);
  }

  /** A copy of `length` bytes at `address`, faulting pages in as needed. A fault anywhere in the range is thrown before anything is read. */
  async read(address: number, length: number): Promise<Uint8Array> {
    this.s.checkAlive();
    checkSpan(address, length);
    const out = newBytes('length', length);
    precheck(this.s, address, length, 'read');
    await copyAsync(this.s, address, out, false);
    return out;
  }

  /** Writes `bytes` at `address`, copying and allocating pages as needed. A fault anywhere in the range is thrown before anything is written. */
  async write(address: number, bytes: Uint8Array): Promise<void> {
    this.s.checkAlive();
    checkBytes('bytes', bytes);
    checkSpan(address, bytes.length);
    precheck(this.s, address, bytes.length, 'write');
    await copyAsync(this.s, address, bytes, true);
  }

  /** The synchronous path: a copy of ready bytes, no promise. Throws AddressNotResidentError (nothing read) if a page is not ready, or the fault. */
  readSync(address: number, length: number): Uint8Array {
    this.s.checkAlive();
    checkSpan(address, length);
    const out = newBytes('length', length);
    copySync(this.s, address, out, false);
    return out;
  }

  /** The synchronous path for writes: every page must be ready for writing (trap first); else nothing is written. */
  writeSync(address: number, bytes: Uint8Array): void {
    this.s.checkAlive();
    checkBytes('bytes', bytes);
    checkSpan(address, bytes.length);
    copySync(this.s, address, bytes, true);
  }

  getUint8(address: number): number {
    return getUint(this.s, address, 1);
  }
  /** Little-endian, like every accessor here. */
  getUint16(address: number): number {
    return getUint(this.s, address, 2);
  }
  getUint32(address: number): number {
    return getUint(this.s, address, 4);
  }
  setUint8(address: number, value: number): void {
    setUint(this.s, address, 1, value);
  }
  setUint16(address: number, value: number): void {
    setUint(this.s, address, 2, value);
  }
  setUint32(address: number, value: number): void {
    setUint(this.s, address, 4, value);
  }
  getBigUint64(address: number): bigint {
    return getBigUint64(this.s, address);
  }
  setBigUint64(address: number, value: bigint): void {
    setBigUint64(this.s, address, value);
  }

  // ---- inspection ----

  stat(): AddressSpaceStat {
    this.s.checkAlive();
    return stat(this.s);
  }

  /** The mappings, in address order. */
  mappings(): MappingInfo[] {
    this.s.checkAlive();
    return mappings(this.s);
  }
}
