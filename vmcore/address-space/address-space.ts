import { DestroyedError, InvalidArgumentError, NotResidentError, OutOfMemoryError, OutOfRangeError } from '../errors.js';
import { MemoryObject } from '../memory-object/memory-object.js';
import { checkAccess, type Access } from '../pager/access.js';
import type { Vm } from '../vm/vm.js';
import { checkBytes, checkIndex, checkOptions, checkPositive, checkStillAttached, newBytes } from '../validate.js';
import {
  AccessDeniedError,
  AddressInUseError,
  AddressNotResidentError,
  AddressSpaceFullError,
  BusError,
  NoFileMapperError,
  ProtectionFault,
  RemapError,
  SegmentationFault,
  UnmappedRangeError,
} from './errors.js';
import { FILE_MAPPER, type FileMapper, type MappableFile } from './file-mapper.js';
import { Base, release, Shadow, type Level } from './levels.js';
import { parseProt, PROT, protFor, protNames, type Protection, type ProtName } from './prot.js';

/** Addresses run from one page up to 2^53 (exclusive). Page 0 is never mapped, so address 0 always faults. */
export const ADDRESS_LIMIT = 2 ** 53;

/** How many times an access is retried when what it waited on was destroyed under it (an unmap racing it). */
const MAX_ROUNDS = 8;

export type Share = 'shared' | 'private';
export type MappingKind = 'anonymous' | 'file' | 'object';

export interface MapOptions {
  /** Map this memory object. The caller keeps it: unmapping never destroys it. */
  object?: MemoryObject;
  /** Map this file, opened through the FileMapper bound in the container under FILE_MAPPER. */
  file?: string;
  /** Map zero-filled memory. */
  anonymous?: boolean;
  /** Bytes; rounded up to whole pages, as mmap does. */
  length: number;
  /** Byte offset into the object or file, a multiple of the page size. Default 0; must be 0 for anonymous memory. */
  offset?: number;
  /** A multiple of the page size. A hint (used if that range is free) unless `fixed`. */
  address?: number;
  /**
   * Map exactly at `address`: `true` replaces whatever was mapped there (MAP_FIXED); `'noreplace'` fails with
   * AddressInUseError (EEXIST) instead if anything is (MAP_FIXED_NOREPLACE).
   */
  fixed?: boolean | 'noreplace';
  /** Fault every page in before answering (MAP_POPULATE); pages past the end of a file are left alone. */
  populate?: boolean;
  /** `['read', 'write']`, `'read'`, `'none'`, a Set, or a PROT mask. */
  prot: Protection;
  /** `'shared'`: writes go to the object or file, seen by every mapping of it. `'private'`: copy-on-write. */
  share: Share;
}

export interface SyncOptions {
  /** Drop private copies in the range, so the file (or object) shows again (MS_INVALIDATE). */
  invalidate?: boolean;
  /** Start the write-back and resolve at once (MS_ASYNC); an error is reported by the next sync or unmap. */
  async?: boolean;
}

/**
 * madvise's advice: `'dontneed'` drops a private mapping's pages (they read from the file, or as zeros,
 * again); `'willneed'` faults the range in; `'sequential'`, `'random'` and `'normal'` tell the pager how
 * the range will be read (a pager with `advise` uses it for its read-ahead).
 */
export type Advice = 'normal' | 'random' | 'sequential' | 'willneed' | 'dontneed';
const ADVICES: readonly Advice[] = ['normal', 'random', 'sequential', 'willneed', 'dontneed'];

export interface RemapOptions {
  /** Let the range move to another address when it cannot grow where it is (MREMAP_MAYMOVE). Default false. */
  move?: boolean;
  /** Move it exactly here, replacing whatever was mapped there (MREMAP_FIXED; needs `move`). */
  address?: number;
}

export interface AddressSpaceStat {
  /** Bytes mapped. */
  mapped: number;
  /** Bytes of mapped pages that are resident (the zero page is not counted). */
  resident: number;
  /** Resident bytes other mappings may see too: shared mappings, file pages read through private mappings, copy-on-write pages shared since a fork. */
  shared: number;
  /** Resident bytes only this address space sees: its own private copies. */
  private: number;
  /** Number of mappings (a range split by unmap or protect counts once per piece). */
  mappings: number;
}

/** One mapping, as `mappings()` describes it (like a line of /proc/self/maps). */
export interface MappingInfo {
  address: number;
  length: number;
  prot: ProtName[];
  share: Share;
  kind: MappingKind;
  /** Byte offset into the file or object (0 for anonymous memory). */
  offset: number;
  file?: string;
  object?: MemoryObject;
}

/** A mapped range. Private and anonymous ranges point at their top shadow; shared file or object ranges at their Base. */
class Region {
  constructor(
    public start: number,
    public end: number,
    public prot: number,
    readonly share: Share,
    readonly kind: MappingKind,
    public level: Level,
    /** The page of `level` that `start` maps. */
    public page: number,
  ) {}
}

// What a look-up found for a page.
const ZERO = 0; // the shared zero page: nothing is allocated
const PAGE = 1; // a page of `hitObject`: `hitPage`
const BUS = 2; // past the end of the mapped file or object
const COPY = 3; // a write that must first copy the page into the top shadow

const MAP_KEYS = ['object', 'file', 'anonymous', 'length', 'offset', 'address', 'fixed', 'populate', 'prot', 'share'] as const;
const REMAP_KEYS = ['move', 'address'] as const;
const SYNC_KEYS = ['invalidate', 'async'] as const;
const noop = (): void => {};

let spaces = 0;

/** Makes an address space over `vm`'s memory objects (the lead's `vm.createAddressSpace()` delegates here). */
export function createAddressSpace(vm: Vm): AddressSpace {
  if (typeof vm !== 'object' || vm === null || typeof (vm as Partial<Vm>).createMemoryObject !== 'function') {
    throw new InvalidArgumentError('vm', vm, 'a spinvm instance (createVm())');
  }
  return new AddressSpace(vm);
}

/**
 * An address space in Pedigree's and Mach's manner: anonymous memory, memory objects and files mapped
 * shared or private; faults trapped and resolved by the memory objects; private memory kept as shadow
 * chains, so a fork is copy-on-write, page by page. See the README for the POSIX correspondence.
 */
export class AddressSpace {
  readonly vm: Vm;
  readonly pageSize: number;
  readonly name: string;
  /** Sorted by address, never overlapping. */
  private regions: Region[] = [];
  /** The region the last look-up found: most accesses hit it again. */
  private last: Region | undefined = undefined;
  private destroyed = false;
  private destroying: Promise<void> | undefined = undefined;
  private readonly cancelShutdown: () => void;
  /** The one read-only zero page: the source of a first write to anonymous memory. Never written. */
  private readonly zeroPage: Uint8Array;
  private readonly scratch = new Uint8Array(8);
  private readonly scratches: readonly Uint8Array[];
  private labels = 0;
  /** Pages `lock` pinned, by the page's address: the object page it pinned (unlock and unmap unpin it). */
  private readonly locked = new Map<number, { object: MemoryObject; page: number }>();
  // Out-parameters of the look-ups, so an access allocates nothing.
  private hitObject: MemoryObject | undefined = undefined;
  private hitPage = 0;
  /**
   * A one-entry TLB per access kind for the typed accessors: the page (its address) last translated to a
   * page of an object, and where. Only translations that cannot change behind this space's back are kept
   * (a page of a base, of a shared anonymous object it holds, or of this space's own top shadow), and any
   * change of this space's mappings or top shadows empties it.
   */
  private tlbRead = NaN;
  private tlbReadObject: MemoryObject | undefined = undefined;
  private tlbReadOffset = 0;
  private tlbWrite = NaN;
  private tlbWriteObject: MemoryObject | undefined = undefined;
  private tlbWriteOffset = 0;

  /** @internal Use `createAddressSpace(vm)` (or `vm.createAddressSpace()`). */
  constructor(vm: Vm) {
    this.vm = vm;
    this.pageSize = vm.pageSize;
    this.name = `as-${spaces++}`;
    this.zeroPage = new Uint8Array(this.pageSize);
    this.scratches = [1, 2, 4, 8].map((n) => this.scratch.subarray(0, n));
    // When the instance is destroyed, drop the mappings' references (shared file mappings are synced and
    // closed); a failed write-back makes vm.destroy() reject, so no lost write goes unreported.
    this.cancelShutdown = vm.onBeforeShutdown(() => this.destroy());
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }

  // ---- mmap, munmap, mprotect, msync ----

  /** Maps anonymous memory, a memory object or a file (mmap). Resolves to the address. */
  async map(options: MapOptions): Promise<number> {
    this.checkAlive();
    const o = checkOptions<MapOptions>('options', options, MAP_KEYS);
    if (options === undefined) throw new InvalidArgumentError('options', options, 'an options object');
    const ps = this.pageSize;
    if (o.anonymous !== undefined && o.anonymous !== true) throw new InvalidArgumentError('options.anonymous', o.anonymous, 'true (or absent)');
    const sources = (o.object !== undefined ? 1 : 0) + (o.file !== undefined ? 1 : 0) + (o.anonymous ? 1 : 0);
    if (sources !== 1) throw new InvalidArgumentError('options', options, 'exactly one of object, file or anonymous: true');
    const length = this.roundLength('length', o.length);
    const prot = parseProt('prot', o.prot);
    const share = checkShare(o.share);
    if (o.fixed !== undefined && typeof o.fixed !== 'boolean' && o.fixed !== 'noreplace') throw new InvalidArgumentError('fixed', o.fixed, "true, false or 'noreplace'");
    if (o.populate !== undefined && typeof o.populate !== 'boolean') throw new InvalidArgumentError('populate', o.populate, 'a boolean');
    const offset = o.offset === undefined ? 0 : this.checkAligned('offset', o.offset);
    if (o.anonymous && offset !== 0) throw new InvalidArgumentError('offset', offset, '0 (or absent) for anonymous memory');
    if (length > ADDRESS_LIMIT - offset) throw new OutOfRangeError('offset + length', offset + length, ADDRESS_LIMIT, 'past 2^53');
    let address: number | undefined;
    if (o.address !== undefined) {
      address = this.checkAligned('address', o.address);
      this.checkEnd(address, length);
    }
    if (o.fixed) {
      if (address === undefined) throw new InvalidArgumentError('address', address, 'an address when fixed is true');
      if (address < ps) throw new InvalidArgumentError('address', address, `at least ${ps}: page 0 is never mapped`);
    }
    let mapper: FileMapper | undefined;
    if (o.object !== undefined) {
      if (!(o.object instanceof MemoryObject)) throw new InvalidArgumentError('object', o.object, 'a MemoryObject');
      if (o.object.isDestroyed) throw new DestroyedError(`memory object ${o.object.name}`);
      if (o.object.pageSize !== ps) throw new InvalidArgumentError('object', o.object, `a memory object of this instance (page size ${ps})`);
    }
    if (o.file !== undefined) {
      if (typeof o.file !== 'string' || o.file.length === 0) throw new InvalidArgumentError('file', o.file, 'a non-empty path');
      if (!this.vm.container.isBound(FILE_MAPPER)) throw new NoFileMapperError(o.file);
      mapper = this.vm.container.get<FileMapper>(FILE_MAPPER);
    }

    const pages = length / ps;
    const kind: MappingKind = o.anonymous ? 'anonymous' : o.file !== undefined ? 'file' : 'object';
    let level: Level;
    let page = 0;
    if (kind === 'anonymous') level = new Shadow(pages, undefined, 0, this.label(share === 'shared' ? 'shared-anon' : 'anon'));
    else {
      const base =
        kind === 'object'
          ? new Base(o.object!, undefined, true, o.object!.name)
          : await this.openFile(mapper!, o.file!, share === 'shared', share === 'shared' && (prot & PROT.WRITE) !== 0);
      if (share === 'shared') {
        level = base;
        page = offset / ps;
      } else level = new Shadow(pages, base, offset / ps, this.label('private'));
    }

    // After the open: place it now, synchronously, against the layout as it is.
    let start: number;
    try {
      this.checkAlive();
      start = o.fixed ? address! : this.findFree(address, length);
      if (o.fixed === 'noreplace' && this.overlaps(start, start + length)) throw new AddressInUseError(start, length);
    } catch (err) {
      const ends: Array<Promise<unknown>> = [];
      release(level, ends);
      await Promise.allSettled(ends);
      throw err;
    }
    const removed = o.fixed === true ? this.cut(start, start + length) : [];
    this.insert(new Region(start, start + length, prot, share, kind, level, page));
    await this.retire(removed);
    if (o.populate) await this.populate(start, start + length);
    return start;
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
    this.checkAlive();
    const [start, end] = this.range(address, length, true);
    if (!ADVICES.includes(advice)) throw new InvalidArgumentError('advice', advice, `one of ${ADVICES.join(', ')}`);
    if (start === end) return;
    this.requireMapped(start, end);
    const ps = this.pageSize;
    if (advice === 'willneed') return this.populate(start, end);
    if (advice === 'dontneed') {
      for (let a = start; a < end; a += ps) {
        if (this.locked.has(a)) throw new InvalidArgumentError('address', a, 'a page that is not locked: dontneed over locked pages is refused (EINVAL)');
      }
      this.eachRegion(start, end, (r, from, to) => {
        if (r.share !== 'private') return;
        const top = r.level as Shadow;
        for (let idx = r.page + (from - r.start) / ps, last = r.page + (to - r.start) / ps; idx < last; idx++) {
          top.owned.delete(idx);
          if (top.backing instanceof Shadow) (top.dropped ??= new Set()).add(idx);
        }
      });
      this.changed();
      return;
    }
    const seen = new Set<MemoryObject>();
    this.eachRegion(start, end, (r, from, to) => {
      let l: Level | undefined = r.level;
      let page = r.page + (from - r.start) / ps;
      while (l instanceof Shadow) {
        page += l.backingOffset;
        l = l.backing;
      }
      if (l instanceof Base && !seen.has(l.object)) {
        seen.add(l.object);
        l.object.advise(page, (to - from) / ps, advice);
      }
    });
  }

  /**
   * mincore: one byte per page of the range, 1 where the page's bytes are resident now (a page never
   * written to anonymous memory is the zero page: 0). Throws UnmappedRangeError if a page is unmapped.
   */
  residency(address: number, length: number): Uint8Array {
    this.checkAlive();
    const [start, end] = this.range(address, length, true);
    this.requireMapped(start, end);
    const ps = this.pageSize;
    const out = new Uint8Array((end - start) / ps);
    this.eachRegion(start, end, (r, from, to) => {
      for (let a = from; a < to; a += ps) {
        if (this.find(r.level, r.page + (a - r.start) / ps, false, false) !== PAGE) continue;
        const obj = this.hitObject!;
        if (!obj.isDestroyed && obj.isResident(this.hitPage * ps, 1)) out[(a - start) / ps] = 1;
      }
    });
    return out;
  }

  /**
   * mlock: faults every page of the range in and pins it, so it is never reclaimed until `unlock` or
   * `unmap`. A writable private page is copied first, as Linux's mlock does, so the pinned page is the one
   * writes go to. Locks do not nest (locking a locked page does nothing) and are not inherited by a fork.
   * Pinning more than the pool can spare fails with OutOfMemoryError, and the pages this call locked are
   * unlocked again. Throws UnmappedRangeError if a page of the range is unmapped.
   */
  async lock(address: number, length: number): Promise<void> {
    this.checkAlive();
    const [start, end] = this.range(address, length, true);
    this.requireMapped(start, end);
    const ps = this.pageSize;
    const mine: number[] = [];
    try {
      for (let a = start; a < end; a += ps) {
        if (this.locked.has(a)) continue;
        for (let round = 1; ; round++) {
          this.checkAlive();
          const r = this.lookup(a);
          if (r === undefined) throw new UnmappedRangeError(start, end - start, a);
          const idx = r.page + (a - r.start) / ps;
          const st = r.share === 'private' && r.prot & PROT.WRITE ? this.findWrite(r, idx) : this.find(r.level, idx);
          if (st === ZERO || st === BUS) break; // the zero page is always there; past the end there is nothing
          if (st === COPY) {
            await this.copyUp(r.level as Shadow, idx, a);
            continue;
          }
          const object = this.hitObject!;
          const page = this.hitPage;
          try {
            await object.lock(page);
          } catch (err) {
            if (err instanceof DestroyedError && round < MAX_ROUNDS) continue;
            throw err;
          }
          if (this.locked.has(a) || this.destroyed) object.unlock(page); // locked meanwhile, or the space is gone
          else {
            this.locked.set(a, { object, page });
            mine.push(a);
          }
          break;
        }
      }
    } catch (err) {
      for (const a of mine) this.unlockPage(a);
      throw err;
    }
  }

  /** munlock: the locked pages of the range may be reclaimed again. Throws UnmappedRangeError if a page is unmapped. */
  unlock(address: number, length: number): void {
    this.checkAlive();
    const [start, end] = this.range(address, length, true);
    this.requireMapped(start, end);
    this.unlockRange(start, end);
  }

  /**
   * mremap: resizes the mapping at `address .. address + oldLength` (which must lie within one mapping) to
   * `newLength`. Shrinking unmaps the tail. Growing keeps the address when the pages after it are free;
   * otherwise, with `move`, the mapping moves to a free range (or to `address` given in the options,
   * replacing what was there) with its pages, contents and locks, and the old range is unmapped; without
   * `move` it fails with RemapError (ENOMEM). Resolves to the mapping's address.
   */
  async remap(address: number, oldLength: number, newLength: number, options?: RemapOptions): Promise<number> {
    this.checkAlive();
    const [start, end] = this.range(address, oldLength);
    const length = this.roundLength('newLength', newLength);
    const o = checkOptions<RemapOptions>('options', options, REMAP_KEYS);
    if (o.move !== undefined && typeof o.move !== 'boolean') throw new InvalidArgumentError('options.move', o.move, 'a boolean');
    let target: number | undefined;
    if (o.address !== undefined) {
      if (!o.move) throw new InvalidArgumentError('options.address', o.address, 'absent unless move is true (MREMAP_FIXED needs MREMAP_MAYMOVE)');
      target = this.checkAligned('options.address', o.address);
      if (target < this.pageSize) throw new InvalidArgumentError('options.address', target, `at least ${this.pageSize}: page 0 is never mapped`);
      this.checkEnd(target, length);
      if (target < end && start < target + length) throw new InvalidArgumentError('options.address', target, 'a range that does not overlap the one moved (EINVAL)');
    }
    this.requireMapped(start, end);
    const i = this.firstEndingAfter(start);
    const r = this.regions[i]!;
    if (r.end < end) throw new InvalidArgumentError('address', address, 'a range within one mapping (EFAULT)');
    if (r.share === 'shared' && r.level instanceof Shadow && length > end - start && r.level.object !== undefined) {
      throw new RemapError(start, 'shared anonymous memory that has been written cannot grow');
    }
    if (target === undefined && length <= end - start) {
      if (length < end - start) await this.retire(this.cut(start + length, end));
      return start;
    }
    const grow = length - (end - start);
    if (target === undefined && end === r.end && this.free(end, end + grow)) {
      this.splitAt(start);
      const piece = this.regions[this.firstEndingAfter(start)]!;
      this.growRegion(piece, end + grow);
      return start;
    }
    if (!o.move) throw new RemapError(start, `the ${grow} bytes after it are not free, and move is not allowed`);
    const to = target ?? this.findFree(undefined, length);
    // Take the range out without releasing its levels, then put the same pieces back at `to`.
    const moving = this.cut(start, end);
    const removed = target !== undefined ? this.cut(to, to + length) : [];
    for (const piece of moving) {
      piece.start += to - start;
      piece.end += to - start;
      this.insert(piece);
    }
    this.growRegion(moving[moving.length - 1]!, to + length);
    const retiring = this.retire(removed); // unlocks what it replaced at once, before the moved locks land there
    for (const [a, lock] of [...this.locked]) {
      if (a >= start && a < end) {
        this.locked.delete(a);
        this.locked.set(a + to - start, lock);
      }
    }
    await retiring;
    return to;
  }

  /**
   * Unmaps every page of the range (munmap); unmapped pages in it are fine. Shared file mappings are synced
   * first (with write rights or not), so the file's writes reach it. The range is gone at once; the promise
   * ends when the syncs and the freeing of unused objects do.
   */
  async unmap(address: number, length: number): Promise<void> {
    this.checkAlive();
    const [start, end] = this.range(address, length);
    await this.retire(this.cut(start, end));
  }

  /**
   * Changes the protection of every page of the range (mprotect). Throws UnmappedRangeError if a page of it
   * is unmapped, and AccessDeniedError (EACCES) when write rights are asked on a shared mapping of a file
   * that could not be opened for writing (a file that can be is always opened so); then nothing is changed.
   */
  protect(address: number, length: number, prot: Protection): void {
    this.checkAlive();
    const [start, end] = this.range(address, length, true);
    const mask = parseProt('prot', prot);
    if (start === end) return; // a length of 0 changes nothing and succeeds, as on Linux
    this.requireMapped(start, end);
    for (let i = this.firstEndingAfter(start); i < this.regions.length && this.regions[i]!.start < end; i++) {
      const r = this.regions[i]!;
      if (mask & PROT.WRITE && r.share === 'shared' && r.level instanceof Base && !r.level.writable) {
        throw new AccessDeniedError(r.level.label, 'cannot be opened for writing: a shared mapping of it cannot be given write rights (EACCES)');
      }
    }
    this.splitAt(start);
    this.splitAt(end);
    for (let i = this.firstEndingAfter(start); i < this.regions.length && this.regions[i]!.start < end; i++) this.regions[i]!.prot = mask;
    this.changed();
    this.coalesce();
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
    this.checkAlive();
    const [start, end] = this.range(address, length, true);
    const o = checkOptions<SyncOptions>('options', options, SYNC_KEYS);
    if (o.invalidate !== undefined && typeof o.invalidate !== 'boolean') throw new InvalidArgumentError('options.invalidate', o.invalidate, 'a boolean');
    if (o.async !== undefined && typeof o.async !== 'boolean') throw new InvalidArgumentError('options.async', o.async, 'a boolean');
    if (start === end) return;
    this.requireMapped(start, end);
    const bases = new Set<Base>();
    for (let i = this.firstEndingAfter(start); i < this.regions.length && this.regions[i]!.start < end; i++) {
      const r = this.regions[i]!;
      if (r.level instanceof Base) bases.add(r.level); // the file's pages are one set: whichever mapping dirtied them
    }
    // Hold each base while its sync runs, so an unmap meanwhile does not close it under the sync.
    const list = [...bases];
    for (const b of list) b.refs++;
    const work = list.map((b) =>
      this.syncBase(b).finally(() => {
        const ends: Array<Promise<unknown>> = [];
        release(b, ends);
        return Promise.allSettled(ends);
      }),
    );
    if (o.async) {
      work.forEach((w, i) => w.catch((err: unknown) => void (list[i]!.asyncError ??= err)));
      return;
    }
    const failed = (await Promise.allSettled(work)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  // ---- fork and teardown ----

  /**
   * A new address space with the same mappings. Shared mappings stay shared; private and anonymous memory
   * becomes copy-on-write in both spaces: each gets a new, empty shadow over what the parent had, which is
   * frozen and shared by the two. Nothing is copied now; a page is copied when either side first writes it.
   */
  fork(): AddressSpace {
    this.checkAlive();
    const child = new AddressSpace(this.vm);
    const ps = this.pageSize;
    for (const r of this.regions) {
      const pages = (r.end - r.start) / ps;
      let level: Level;
      let page = r.page;
      if (r.share === 'shared') {
        level = r.level;
        level.refs++;
      } else {
        const top = r.level as Shadow;
        const at = r.page;
        page = 0;
        if (top.owned.size === 0 && (top.dropped === undefined || top.dropped.size === 0) && top.skipFrom === Infinity) {
          // The parent's top holds nothing: the parent keeps it, the child gets its own over what lies below.
          if (top.backing) top.backing.refs++;
          level = new Shadow(pages, top.backing, top.backingOffset + at, child.label('private'));
        } else {
          // The parent's top becomes a frozen level shared by two new tops; the parent's takes over r's reference.
          r.level = new Shadow(pages, top, at, this.label('private'));
          r.page = 0;
          top.refs++;
          level = new Shadow(pages, top, at, child.label('private'));
        }
      }
      child.regions.push(new Region(r.start, r.end, r.prot, r.share, r.kind, level, page));
    }
    this.changed();
    return child;
  }

  /**
   * Unmaps everything (shared file mappings are synced) and frees what no one else uses. Calling it again
   * is harmless; anything else afterwards throws DestroyedError.
   */
  destroy(): Promise<void> {
    if (this.destroying) return this.destroying.catch(noop);
    this.destroyed = true;
    this.cancelShutdown();
    const removed = this.regions;
    this.regions = [];
    this.changed();
    this.destroying = this.retire(removed);
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
    this.checkAlive();
    checkAccess(access);
    checkPositive('length', length);
    this.checkSpan(address, length);
    this.precheck(address, length, access);
    const pending = this.trapAll(address, length, access);
    // Synchronous faults of several pages can evict each other: ready only when every page is ready at once.
    // One page cannot evict itself, so the one-page trap (the accessors' case) walks its chain only once.
    const onePage = Math.floor(address / this.pageSize) === Math.floor((address + length - 1) / this.pageSize);
    if (pending === undefined && (onePage || this.ready(address, length, access))) return undefined;
    return this.settle(address, length, access, pending ?? []);
  }

  /** A copy of `length` bytes at `address`, faulting pages in as needed. A fault anywhere in the range is thrown before anything is read. */
  async read(address: number, length: number): Promise<Uint8Array> {
    this.checkAlive();
    this.checkSpan(address, length);
    const out = newBytes('length', length);
    this.precheck(address, length, 'read');
    await this.each(address, out, false);
    return out;
  }

  /** Writes `bytes` at `address`, copying and allocating pages as needed. A fault anywhere in the range is thrown before anything is written. */
  async write(address: number, bytes: Uint8Array): Promise<void> {
    this.checkAlive();
    checkBytes('bytes', bytes);
    this.checkSpan(address, bytes.length);
    this.precheck(address, bytes.length, 'write');
    await this.each(address, bytes, true);
  }

  /** The synchronous path: a copy of ready bytes, no promise. Throws AddressNotResidentError (nothing read) if a page is not ready, or the fault. */
  readSync(address: number, length: number): Uint8Array {
    this.checkAlive();
    this.checkSpan(address, length);
    const out = newBytes('length', length);
    this.transfer(address, out, false, false);
    this.transfer(address, out, false, true);
    return out;
  }

  /** The synchronous path for writes: every page must be ready for writing (trap first); else nothing is written. */
  writeSync(address: number, bytes: Uint8Array): void {
    this.checkAlive();
    checkBytes('bytes', bytes);
    this.checkSpan(address, bytes.length);
    this.transfer(address, bytes, true, false);
    this.transfer(address, bytes, true, true);
  }

  getUint8(address: number): number {
    return this.getUint(address, 1);
  }
  /** Little-endian, like every accessor here. */
  getUint16(address: number): number {
    return this.getUint(address, 2);
  }
  getUint32(address: number): number {
    return this.getUint(address, 4);
  }
  setUint8(address: number, value: number): void {
    this.setUint(address, 1, value);
  }
  setUint16(address: number, value: number): void {
    this.setUint(address, 2, value);
  }
  setUint32(address: number, value: number): void {
    this.setUint(address, 4, value);
  }

  getBigUint64(address: number): bigint {
    const ps = this.pageSize;
    const r = this.fastRegion(address, 8, PROT.READ);
    if (r !== undefined) {
      const within = address % ps;
      const st = this.find(r.level, r.page + (address - within - r.start) / ps);
      if (st === ZERO) return 0n;
      const obj = this.hitObject!;
      const off = this.hitPage * ps + within;
      if (st === PAGE && off + 8 <= obj.size) {
        try {
          return obj.getBigUint64(off);
        } catch (err) {
          throw this.miss(err, address, 'read');
        }
      }
    }
    const b = this.scratches[3]!;
    this.transfer(address, b, false, false);
    this.transfer(address, b, false, true);
    return BigInt((b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0) | (BigInt((b[4]! | (b[5]! << 8) | (b[6]! << 16) | (b[7]! << 24)) >>> 0) << 32n);
  }

  setBigUint64(address: number, value: bigint): void {
    if (typeof value !== 'bigint' || value < 0n || value >= 1n << 64n) throw new InvalidArgumentError('value', value, 'a bigint from 0 to 2^64 - 1');
    const ps = this.pageSize;
    const r = this.fastRegion(address, 8, PROT.WRITE);
    if (r !== undefined) {
      const within = address % ps;
      const st = this.findWrite(r, r.page + (address - within - r.start) / ps);
      const obj = this.hitObject!;
      const off = this.hitPage * ps + within;
      if (st === PAGE && off + 8 <= obj.size) {
        try {
          return obj.setBigUint64(off, value);
        } catch (err) {
          throw this.miss(err, address, 'write');
        }
      }
    }
    const b = this.scratches[3]!;
    const lo = Number(value & 0xffffffffn);
    const hi = Number(value >> 32n);
    for (let i = 0; i < 4; i++) {
      b[i] = lo >>> (8 * i);
      b[4 + i] = hi >>> (8 * i);
    }
    this.transfer(address, b, true, false);
    this.transfer(address, b, true, true);
  }

  // ---- inspection ----

  stat(): AddressSpaceStat {
    this.checkAlive();
    const ps = this.pageSize;
    let mapped = 0;
    let resident = 0;
    let shared = 0;
    let own = 0;
    const count = (r: Region, page: number): void => {
      if (this.find(r.level, page, false, false) !== PAGE) return;
      const obj = this.hitObject!;
      if (obj.isDestroyed || !obj.isResident(this.hitPage * ps, 1)) return;
      resident += ps;
      if (r.share === 'private' && obj === (r.level as Shadow).object) own += ps;
      else shared += ps;
    };
    for (const r of this.regions) {
      mapped += r.end - r.start;
      const pages = (r.end - r.start) / ps;
      const l = r.level;
      if (l instanceof Shadow && l.backing === undefined && l.owned.size < pages) {
        // Anonymous memory with nothing below: only its own pages can be resident.
        for (const p of l.owned) if (p >= r.page && p < r.page + pages) count(r, p);
      } else for (let i = 0; i < pages; i++) count(r, r.page + i);
    }
    return { mapped, resident, shared, private: own, mappings: this.regions.length };
  }

  /** The mappings, in address order. */
  mappings(): MappingInfo[] {
    this.checkAlive();
    const ps = this.pageSize;
    return this.regions.map((r) => {
      let page = r.page;
      let l: Level | undefined = r.level;
      while (l instanceof Shadow) {
        page += l.backingOffset;
        l = l.backing;
      }
      const info: MappingInfo = { address: r.start, length: r.end - r.start, prot: protNames(r.prot), share: r.share, kind: r.kind, offset: r.kind === 'anonymous' ? 0 : page * ps };
      if (l instanceof Base) {
        if (l.file) info.file = l.label;
        else info.object = l.object;
      }
      return info;
    });
  }

  // ---- faults ----

  /** Makes the page at `address` ready for `access`; undefined when it is ready now. Throws faults. */
  private trapPage(address: number, access: Access): Promise<void> | undefined {
    const r = this.lookup(address);
    if (r === undefined) throw new SegmentationFault(address, access);
    if ((r.prot & protFor(access)) === 0) throw new ProtectionFault(address, access, protNames(r.prot));
    const idx = r.page + Math.floor((address - r.start) / this.pageSize);
    if (access !== 'write') {
      const st = this.find(r.level, idx);
      if (st === ZERO) return undefined; // the zero page: nothing to allocate
      if (st === BUS) throw new BusError(address, access);
      return this.hitObject!.request(this.hitPage, access);
    }
    const st = this.findWrite(r, idx);
    if (st === BUS) throw new BusError(address, access);
    if (st === PAGE) return this.hitObject!.request(this.hitPage, 'write');
    return this.copyUp(r.level as Shadow, idx, address);
  }

  /**
   * The first write to a page the top shadow does not hold: copies it from wherever the chain finds it
   * (the zero page for anonymous memory) into the top shadow, which then holds it.
   */
  private copyUp(top: Shadow, idx: number, address: number): Promise<void> | undefined {
    const inflight = top.copying?.get(idx);
    if (inflight !== undefined) return inflight;
    const ps = this.pageSize;
    const st = top.backing === undefined ? ZERO : this.find(top.backing, idx + top.backingOffset, top.skips(idx));
    if (st === BUS) throw new BusError(address, 'write');
    const src = this.hitObject!;
    const srcPage = this.hitPage;
    const obj = this.objectOf(top);
    if (st === ZERO || src.isResident(srcPage * ps, 1)) {
      // Take the source bytes first: faulting the top's page in may evict the source page.
      const data = st === ZERO ? this.zeroPage : this.wholePage(src.readSync(srcPage * ps, Math.min(ps, src.size - srcPage * ps)));
      const answer = obj.request(idx, 'write');
      if (answer === undefined) {
        obj.writeSync(idx * ps, data);
        top.owned.add(idx);
        this.changed();
        return undefined;
      }
      return this.tracked(top, idx, answer.then(() => obj.write(idx * ps, data)));
    }
    const copied = src.read(srcPage * ps, Math.min(ps, src.size - srcPage * ps)).then((bytes) => obj.write(idx * ps, this.wholePage(bytes)));
    return this.tracked(top, idx, copied);
  }

  private tracked(top: Shadow, idx: number, work: Promise<void>): Promise<void> {
    const copying = (top.copying ??= new Map());
    const done: Promise<void> = work
      .then(() => {
        if (!top.dead) top.owned.add(idx);
        this.changed();
      })
      .finally(() => {
        if (copying.get(idx) === done) copying.delete(idx);
      });
    copying.set(idx, done);
    return done;
  }

  private wholePage(bytes: Uint8Array): Uint8Array {
    if (bytes.length === this.pageSize) return bytes;
    const page = new Uint8Array(this.pageSize);
    page.set(bytes);
    return page;
  }

  /** The top shadow's memory object, made on its first write from the instance's default pager. */
  private objectOf(top: Shadow): MemoryObject {
    if (top.dead) throw new DestroyedError(`shadow ${top.label}`);
    return (top.object ??= this.vm.createMemoryObject({ size: top.pages * this.pageSize, name: top.label }));
  }

  /**
   * Where page `idx` of `level` is read from: the first level of the chain holding it, else the base, else
   * the zero page. `skip` passes the shadows by (a page `advise(..., 'dontneed')` dropped).
   */
  private find(level: Level, idx: number, skip = false, recheck = true): number {
    let l: Level = level;
    for (;;) {
      if (l instanceof Shadow) {
        if (!skip) {
          if (l.owned.has(idx)) {
            this.hitObject = l.object;
            this.hitPage = idx;
            return PAGE;
          }
          if (l.skips(idx)) skip = true; // dropped by dontneed, or grown by remap: straight to the bottom
        }
        const below = l.backing;
        if (below === undefined) return ZERO;
        idx += l.backingOffset;
        l = below;
      } else {
        if (idx >= l.limit && !(recheck && l.reaches(idx))) return BUS;
        this.hitObject = l.object;
        this.hitPage = idx;
        return PAGE;
      }
    }
  }

  /** Where a write to page `idx` of `r` goes: PAGE when it can go straight there, COPY when the top must copy it first. */
  private findWrite(r: Region, idx: number): number {
    const l = r.level;
    if (l instanceof Base) {
      if (idx >= l.limit && !l.reaches(idx)) return BUS;
      this.hitObject = l.object;
      this.hitPage = idx;
      return PAGE;
    }
    if (l.owned.has(idx)) {
      this.hitObject = l.object;
      this.hitPage = idx;
      return PAGE;
    }
    return this.find(l, idx) === BUS ? BUS : COPY;
  }

  /** Throws the first fault of the range (no mapping, wrong rights, past end of file), page by page. */
  private precheck(address: number, length: number, access: Access): void {
    const ps = this.pageSize;
    const need = protFor(access);
    const end = address + length;
    for (let pos = address; pos < end; ) {
      const r = this.lookup(pos);
      if (r === undefined) throw new SegmentationFault(pos, access);
      if ((r.prot & need) === 0) throw new ProtectionFault(pos, access, protNames(r.prot));
      const stop = Math.min(r.end, end);
      for (; pos < stop; pos = pos - (pos % ps) + ps) {
        if (this.find(r.level, r.page + Math.floor((pos - r.start) / ps)) === BUS) throw new BusError(pos, access);
      }
    }
  }

  private trapAll(address: number, length: number, access: Access): Array<Promise<void>> | undefined {
    const ps = this.pageSize;
    let pending: Array<Promise<void>> | undefined;
    try {
      for (let pos = address; pos < address + length; pos = pos - (pos % ps) + ps) {
        const p = this.trapPage(pos, access);
        if (p !== undefined) (pending ??= []).push(p);
      }
    } catch (err) {
      if (pending) for (const p of pending) p.catch(noop);
      throw err;
    }
    return pending;
  }

  /** Waits for the faults, then traps again until every page is ready at once (or the rounds run out). */
  private async settle(address: number, length: number, access: Access, pending: Array<Promise<void>>): Promise<void> {
    for (let round = 1; ; round++) {
      try {
        await Promise.all(pending);
      } catch (err) {
        if (!(err instanceof DestroyedError) || round >= MAX_ROUNDS) throw err;
      }
      this.checkAlive();
      if (this.ready(address, length, access)) return;
      if (round >= MAX_ROUNDS) {
        const pages = Math.floor((address + length - 1) / this.pageSize) - Math.floor(address / this.pageSize) + 1;
        throw new OutOfMemoryError(this.vm.frames, `the ${pages} pages at 0x${address.toString(16)} never were resident at once: the pool cannot hold them beside its pinned frames, or other faults kept evicting them`);
      }
      // Evicted again before every page was in: let timers and I/O run before trying again, so traps that
      // keep evicting each other over a pager answering from microtasks never freeze the process.
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.checkAlive();
      pending = this.trapAll(address, length, access) ?? [];
    }
  }

  /** Whether every page of the range is ready for `access` now: the synchronous accessors will not fault. */
  private ready(address: number, length: number, access: Access): boolean {
    const ps = this.pageSize;
    const need = protFor(access);
    for (let pos = address; pos < address + length; pos = pos - (pos % ps) + ps) {
      const r = this.lookup(pos);
      if (r === undefined || (r.prot & need) === 0) return false;
      const idx = r.page + Math.floor((pos - r.start) / ps);
      const st = access === 'write' ? this.findWrite(r, idx) : this.find(r.level, idx);
      if (st === ZERO) continue;
      if (st !== PAGE || this.hitObject!.isDestroyed || !this.hitObject!.isResident(this.hitPage * ps, 1)) return false;
    }
    return true;
  }

  /**
   * The async read and write, page by page. Each page's bytes move through its memory object's own read or
   * write, which pins the frame from the fault to the copy: with more accesses in flight than frames, each
   * still makes progress (trapping first and copying after let another access evict the page in between,
   * forever). A private write first copies the page up into the top shadow, once; a DestroyedError (an unmap
   * racing the access) sends it to look the page up again, a bounded number of times.
   */
  private async each(address: number, buf: Uint8Array, write: boolean): Promise<void> {
    const ps = this.pageSize;
    const access: Access = write ? 'write' : 'read';
    const need = write ? PROT.WRITE : PROT.READ;
    const end = address + buf.length;
    for (let pos = address; pos < end; ) {
      const next = Math.min(pos - (pos % ps) + ps, end);
      const at = pos - address;
      const m = next - pos;
      for (let round = 1; ; round++) {
        this.checkAlive();
        const r = this.lookup(pos);
        if (r === undefined) throw new SegmentationFault(pos, access);
        if ((r.prot & need) === 0) throw new ProtectionFault(pos, access, protNames(r.prot));
        const within = pos % ps;
        const idx = r.page + (pos - within - r.start) / ps;
        const st = write ? this.findWrite(r, idx) : this.find(r.level, idx);
        if (st === BUS) throw new BusError(pos, access);
        if (st === ZERO) {
          buf.fill(0, at, at + m);
          break;
        }
        try {
          if (st === COPY) {
            await this.copyUp(r.level as Shadow, idx, pos);
            continue; // the top shadow holds the page now: write it there
          }
          const obj = this.hitObject!;
          const off = this.hitPage * ps + within;
          // Bytes past the end of an object read as zero; writes to them are dropped.
          const inside = Math.max(0, Math.min(m, obj.size - off));
          if (write) {
            checkStillAttached('bytes', buf, at + m);
            if (inside > 0) await obj.write(off, buf.subarray(at, at + inside));
          } else {
            if (inside > 0) await obj.readInto(off, buf.subarray(at, at + inside));
            buf.fill(0, at + inside, at + m);
          }
          break;
        } catch (err) {
          if (!(err instanceof DestroyedError) || round >= MAX_ROUNDS) throw err;
        }
      }
      pos = next;
    }
  }

  /**
   * The synchronous copy between `buf` and ready pages. With `apply` false it only checks (and throws the
   * fault or AddressNotResidentError); with `apply` true it copies. Bytes past the end of an object read as
   * zero and writes to them are dropped.
   */
  private transfer(address: number, buf: Uint8Array, write: boolean, apply: boolean): void {
    const ps = this.pageSize;
    const access: Access = write ? 'write' : 'read';
    const need = write ? PROT.WRITE : PROT.READ;
    const end = address + buf.length;
    for (let pos = address; pos < end; ) {
      const r = this.lookup(pos);
      if (r === undefined) throw new SegmentationFault(pos, access);
      if ((r.prot & need) === 0) throw new ProtectionFault(pos, access, protNames(r.prot));
      const within = pos % ps;
      const idx = r.page + (pos - within - r.start) / ps;
      const m = Math.min(ps - within, end - pos);
      const st = write ? this.findWrite(r, idx) : this.find(r.level, idx);
      if (st === BUS) throw new BusError(pos, access);
      if (st === COPY) throw new AddressNotResidentError(pos, access, Math.floor(pos / ps));
      const at = pos - address;
      if (st === ZERO) {
        if (apply) buf.fill(0, at, at + m);
      } else {
        const obj = this.hitObject!;
        const off = this.hitPage * ps + within;
        const inside = Math.max(0, Math.min(m, obj.size - off));
        if (!apply) {
          if (!obj.isResident(this.hitPage * ps, 1)) throw new AddressNotResidentError(pos, access, Math.floor(pos / ps));
        } else if (write) {
          if (inside > 0) obj.writeSync(off, inside === buf.length ? buf : buf.subarray(at, at + inside));
        } else {
          if (inside > 0) buf.set(obj.readSync(off, inside), at);
          if (inside < m) buf.fill(0, at + inside, at + m);
        }
      }
      pos += m;
    }
  }

  /** The region for a one-page access of `size` bytes with rights `need`, when the fast path applies. */
  private fastRegion(address: number, size: number, need: number): Region | undefined {
    if (this.destroyed) throw this.destroyedError();
    if (typeof address !== 'number' || !Number.isSafeInteger(address) || address < 0) {
      throw new InvalidArgumentError('address', address, 'a non-negative integer below 2^53');
    }
    const r = this.lookup(address);
    if (r === undefined || (r.prot & need) === 0 || (address % this.pageSize) + size > this.pageSize) return undefined;
    return r;
  }

  private getUint(address: number, size: 1 | 2 | 4): number {
    const ps = this.pageSize;
    if (typeof address === 'number') {
      const within = address % ps;
      if (address - within === this.tlbRead && (within | 0) === within && within + size <= ps && !this.destroyed) {
        try {
          return this.tlbReadObject!.getUint(this.tlbReadOffset + within, size);
        } catch (err) {
          // Evicted, or dropped because its file was cut: look the page up again (it may be past the end now).
          if (!(err instanceof NotResidentError)) throw err;
          this.tlbRead = NaN;
        }
      }
    }
    const r = this.fastRegion(address, size, PROT.READ);
    if (r !== undefined) {
      const within = address % ps;
      const st = this.find(r.level, r.page + (address - within - r.start) / ps);
      if (st === ZERO) return 0;
      const obj = this.hitObject!;
      const off = this.hitPage * ps + within;
      if (st === PAGE && off + size <= obj.size) {
        if (this.hitPage * ps + ps <= obj.size) {
          this.tlbRead = address - within;
          this.tlbReadObject = obj;
          this.tlbReadOffset = this.hitPage * ps;
        }
        try {
          return obj.getUint(off, size);
        } catch (err) {
          throw this.miss(err, address, 'read');
        }
      }
    }
    // Across pages or mappings, past an object's end, or a fault: byte by byte, all checked first.
    const b = this.scratches[size === 4 ? 2 : size - 1]!;
    this.transfer(address, b, false, false);
    this.transfer(address, b, false, true);
    let value = 0;
    for (let i = size - 1; i >= 0; i--) value = value * 256 + b[i]!;
    return value;
  }

  private setUint(address: number, size: 1 | 2 | 4, value: number): void {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= 2 ** (8 * size)) {
      throw new InvalidArgumentError('value', value, `an integer from 0 to 2^${8 * size} - 1`);
    }
    const ps = this.pageSize;
    if (typeof address === 'number') {
      const within = address % ps;
      if (address - within === this.tlbWrite && (within | 0) === within && within + size <= ps && !this.destroyed) {
        try {
          return this.tlbWriteObject!.setUint(this.tlbWriteOffset + within, size, value);
        } catch (err) {
          if (!(err instanceof NotResidentError)) throw err;
          this.tlbWrite = NaN;
        }
      }
    }
    const r = this.fastRegion(address, size, PROT.WRITE);
    if (r !== undefined) {
      const within = address % ps;
      const st = this.findWrite(r, r.page + (address - within - r.start) / ps);
      const obj = this.hitObject!;
      const off = this.hitPage * ps + within;
      if (st === PAGE && off + size <= obj.size) {
        if (this.hitPage * ps + ps <= obj.size) {
          this.tlbWrite = address - within;
          this.tlbWriteObject = obj;
          this.tlbWriteOffset = this.hitPage * ps;
        }
        try {
          return obj.setUint(off, size, value);
        } catch (err) {
          throw this.miss(err, address, 'write');
        }
      }
    }
    const b = this.scratches[size === 4 ? 2 : size - 1]!;
    for (let i = 0, v = value; i < size; i++, v = Math.floor(v / 256)) b[i] = v & 0xff;
    this.transfer(address, b, true, false);
    this.transfer(address, b, true, true);
  }

  private miss(err: unknown, address: number, access: Access): unknown {
    return err instanceof NotResidentError ? new AddressNotResidentError(address, access, Math.floor(address / this.pageSize)) : err;
  }

  // ---- the map of regions ----

  /** The mappings or this space's top shadows changed: forget cached look-ups and translations. */
  private changed(): void {
    this.last = undefined;
    this.tlbRead = NaN;
    this.tlbWrite = NaN;
  }

  private lookup(address: number): Region | undefined {
    const c = this.last;
    if (c !== undefined && address >= c.start && address < c.end) return c;
    const rs = this.regions;
    let lo = 0;
    let hi = rs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const r = rs[mid]!;
      if (address < r.start) hi = mid - 1;
      else if (address >= r.end) lo = mid + 1;
      else return (this.last = r);
    }
    return undefined;
  }

  /** The index of the first region ending after `address`. */
  private firstEndingAfter(address: number): number {
    const rs = this.regions;
    let lo = 0;
    let hi = rs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (rs[mid]!.end <= address) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Splits the region containing `address` (not at its start) in two, so `address` is a boundary. */
  private splitAt(address: number): void {
    const i = this.firstEndingAfter(address);
    const r = this.regions[i];
    if (r === undefined || r.start >= address) return;
    const tail = new Region(address, r.end, r.prot, r.share, r.kind, r.level, r.page + (address - r.start) / this.pageSize);
    r.level.refs++;
    r.end = address;
    this.regions.splice(i + 1, 0, tail);
    this.changed();
  }

  /** Takes `start .. end` out of the map, splitting the regions it cuts; answers the pieces taken out. */
  private cut(start: number, end: number): Region[] {
    this.splitAt(start);
    this.splitAt(end);
    const i = this.firstEndingAfter(start);
    let j = i;
    while (j < this.regions.length && this.regions[j]!.start < end) j++;
    this.changed();
    return this.regions.splice(i, j - i);
  }

  private insert(region: Region): void {
    const i = this.firstEndingAfter(region.start);
    this.regions.splice(i, 0, region);
    this.changed();
  }

  /** Joins neighbours that map consecutive pages of the same level with the same rights (after protect). */
  private coalesce(): void {
    const rs = this.regions;
    const ps = this.pageSize;
    for (let i = 0; i + 1 < rs.length; ) {
      const a = rs[i]!;
      const b = rs[i + 1]!;
      if (a.end === b.start && a.prot === b.prot && a.level === b.level && a.share === b.share && a.kind === b.kind && a.page + (a.end - a.start) / ps === b.page) {
        a.end = b.end;
        a.level.refs--; // b's reference; a still holds one
        rs.splice(i + 1, 1);
        this.changed();
      } else i++;
    }
  }

  private requireMapped(start: number, end: number): void {
    let pos = start;
    for (let i = this.firstEndingAfter(start); pos < end; i++) {
      const r = this.regions[i];
      if (r === undefined || r.start > pos) throw new UnmappedRangeError(start, end - start, pos);
      pos = r.end;
    }
  }

  private findFree(hint: number | undefined, length: number): number {
    const ps = this.pageSize;
    if (hint !== undefined && hint >= ps) {
      const i = this.firstEndingAfter(hint);
      const next = this.regions[i];
      if (next === undefined || next.start >= hint + length) return hint;
    }
    let candidate = ps;
    for (const r of this.regions) {
      if (r.start - candidate >= length) return candidate;
      if (r.end > candidate) candidate = r.end;
    }
    if (ADDRESS_LIMIT - candidate >= length) return candidate;
    throw new AddressSpaceFullError(length);
  }

  /** Calls `fn` with each region meeting `start .. end` and the part of it inside (the range is mapped). */
  private eachRegion(start: number, end: number, fn: (r: Region, from: number, to: number) => void): void {
    for (let i = this.firstEndingAfter(start); i < this.regions.length && this.regions[i]!.start < end; i++) {
      const r = this.regions[i]!;
      fn(r, Math.max(start, r.start), Math.min(end, r.end));
    }
  }

  /** Whether any page of `start .. end` is mapped. */
  private overlaps(start: number, end: number): boolean {
    const r = this.regions[this.firstEndingAfter(start)];
    return r !== undefined && r.start < end;
  }

  /** Whether `start .. end` is free and inside the address space (page 0 is never mapped). */
  private free(start: number, end: number): boolean {
    return start >= this.pageSize && end <= ADDRESS_LIMIT && !this.overlaps(start, end);
  }

  /** Faults the pages of `start .. end` in for reading, as MAP_POPULATE and willneed do; failures are only advice's. */
  private async populate(start: number, end: number): Promise<void> {
    const ps = this.pageSize;
    for (let a = start; a < end; a += ps) {
      const r = this.lookup(a);
      if (r === undefined || this.destroyed) return; // unmapped meanwhile
      if (this.find(r.level, r.page + (a - r.start) / ps, false, false) !== PAGE) continue;
      try {
        await this.hitObject!.request(this.hitPage, 'read');
      } catch {
        // A page that cannot come in now faults again when touched, and reports its error then.
      }
    }
  }

  /** Extends `r` (the last piece of a mapping) to end at `end`; a private chain gets a larger top shadow over the old one. */
  private growRegion(r: Region, end: number): void {
    const ps = this.pageSize;
    const need = r.page + (end - r.start) / ps;
    const l = r.level;
    if (l instanceof Shadow && r.share === 'shared') {
      // Shared anonymous memory is one object for every piece and every sharer: it grows while unwritten.
      if (need > l.pages) l.pages = need;
    } else if (l instanceof Shadow) {
      // A new top over the old one, whose grown pages read the bottom of the chain: the old top may hold
      // other pieces' private copies at those indices. It takes over r's reference to the old top.
      const top = new Shadow(Math.max(need, l.pages), l, 0, this.label('private'));
      top.skipFrom = r.page + (r.end - r.start) / ps;
      r.level = top;
    }
    r.end = end;
    this.changed();
  }

  private unlockRange(start: number, end: number): void {
    if (this.locked.size === 0) return;
    for (const a of [...this.locked.keys()]) if (a >= start && a < end) this.unlockPage(a);
  }

  private unlockPage(address: number): void {
    const lock = this.locked.get(address);
    if (lock === undefined) return;
    this.locked.delete(address);
    if (!lock.object.isDestroyed) lock.object.unlock(lock.page);
  }

  /** Ends removed regions: unlocks their pages, syncs shared file mappings (whichever mapping dirtied the pages), then drops their references. */
  private async retire(removed: Region[]): Promise<void> {
    if (removed.length === 0) return;
    for (const r of removed) this.unlockRange(r.start, r.end);
    const bases = new Set<Base>();
    for (const r of removed) if (r.level instanceof Base && r.level.file !== undefined) bases.add(r.level);
    const failures: unknown[] = [];
    for (const result of await Promise.allSettled([...bases].map((b) => this.syncBase(b)))) if (result.status === 'rejected') failures.push(result.reason);
    const ends: Array<Promise<unknown>> = [];
    for (const r of removed) release(r.level, ends);
    for (const result of await Promise.allSettled(ends)) if (result.status === 'rejected') failures.push(result.reason);
    if (failures.length > 0) throw failures[0];
  }

  private async syncBase(b: Base): Promise<void> {
    if (b.file) await b.file.sync();
    else await b.object.flush();
    const earlier = b.asyncError;
    if (earlier !== undefined) {
      b.asyncError = undefined;
      throw earlier;
    }
  }

  /**
   * Opens a file for a mapping. A shared mapping asks for write access whatever its rights now, as Linux
   * lets mprotect add write rights whenever the file could be opened for writing; the mapper answers
   * read-only when the file refuses it, and only a mapping that `needs` write rights then fails (EACCES).
   */
  private async openFile(mapper: FileMapper, path: string, ask: boolean, needs: boolean): Promise<Base> {
    const file: MappableFile = await mapper.open(path, ask);
    if (typeof file !== 'object' || file === null || !(file.object instanceof MemoryObject) || !Number.isSafeInteger(file.size) || file.size < 0) {
      throw new InvalidArgumentError('FileMapper.open answer', file, 'a MappableFile (object, size, writable, sync, close)');
    }
    if (needs && !file.writable) {
      await file.close();
      throw new AccessDeniedError(path, 'cannot be opened for writing: a shared mapping with write rights needs write access (EACCES)');
    }
    return new Base(file.object, file, ask && file.writable === true, path);
  }

  // ---- checks ----

  private label(kind: string): string {
    return `${this.name}:${kind}-${this.labels++}`;
  }

  /** A page-aligned range of whole pages: `[start, end)`; with `empty`, a length of 0 is allowed. */
  private range(address: unknown, length: unknown, empty = false): [number, number] {
    const start = this.checkAligned('address', address);
    const len = empty && length === 0 ? 0 : this.roundLength('length', length);
    this.checkEnd(start, len);
    return [start, start + len];
  }

  private checkAligned(argument: string, value: unknown): number {
    checkIndex(argument, value);
    if ((value as number) % this.pageSize !== 0) throw new InvalidArgumentError(argument, value, `a multiple of the page size (${this.pageSize})`);
    return value as number;
  }

  private roundLength(argument: string, value: unknown): number {
    const n = checkPositive(argument, value);
    return Math.ceil(n / this.pageSize) * this.pageSize;
  }

  private checkEnd(start: number, length: number): void {
    if (length > ADDRESS_LIMIT - start) throw new OutOfRangeError('address + length', start + length, ADDRESS_LIMIT, 'past the end of the address space (2^53)');
  }

  private checkSpan(address: unknown, length: unknown): void {
    checkIndex('address', address);
    checkIndex('length', length);
    this.checkEnd(address as number, length as number);
  }

  private checkAlive(): void {
    if (this.destroyed) throw this.destroyedError();
  }

  private destroyedError(): DestroyedError {
    return new DestroyedError(`address space ${this.name}`);
  }
}

function checkShare(value: unknown): Share {
  if (value !== 'shared' && value !== 'private') throw new InvalidArgumentError('share', value, "'shared' or 'private'");
  return value;
}
