/**
 * The typed getters and setters of an address space (getUint8/16/32, setUint8/16/32, getBigUint64,
 * setBigUint64): the synchronous hot path, with its translation cache. (The API calls them accessors; they
 * are not departure's Accessor, fs/accessor.ts, which populates a file's pages.)
 *
 * The hit path allocates nothing and makes no promise: the translation cache, else one region look-up and
 * one translate, then the object's own typed access. Anything else (across pages or mappings, past an
 * object's end, a fault) takes the byte-by-byte path of copy.ts, which checks everything before it copies.
 * The hit path does not ask whether the space is destroyed: a destroyed space has no regions and an empty
 * translation cache (SpaceState's invariants), so every access of one leaves it for the checked path.
 */
import { InvalidArgumentError, NotResidentError } from '../errors.js';
import type { MemoryObject } from '../memory-object/memory-object.js';
import type { Access } from '../pager/access.js';
import { copySync } from './copy.js';
import { AddressNotResidentError } from './errors.js';
import { PROT } from './prot.js';
import { Base } from './levels.js';
import type { Region } from './regions.js';
import type { SpaceState } from './state.js';
import { Translation } from './translate.js';

/**
 * A one-entry TLB per access kind: a range of addresses [lo, hi) known to map to `object` at `address +
 * delta`. Only translations that cannot change behind this space's back are kept: the whole region when it
 * maps a caller's object as it is (a Base with no file: no shadow can hold a page of it, its size never
 * shrinks), else one page: a page of a file's base, of a shared anonymous object the space holds, of a frozen
 * level below a top, or of its own top shadow, whole inside its object. A range entry lets random accesses
 * all over a large mapping hit, with no division. Any change of the space's mappings or top shadows flushes
 * it (SpaceState.changed), and an evicted page is caught by the object itself (NotResidentError), which
 * drops the entry. An entry never reaches object offsets of 2^31 or more, so `address + delta` of an
 * integer address passes the object's own hit path.
 */
export class TranslationCache {
  /**
   * The entries' numbers, in a typed array because V8 boxes a double held in a field (one more load a hit):
   * [READ_LO], [READ_HI], [READ_DELTA] for reads, [WRITE_LO], [WRITE_HI], [WRITE_DELTA] for writes. NaN
   * bounds make an empty entry: every comparison with them is false.
   */
  readonly range = new Float64Array(6).fill(NaN);
  readObject: MemoryObject | undefined = undefined;
  writeObject: MemoryObject | undefined = undefined;

  flush(): void {
    this.range.fill(NaN);
  }
}

const READ_LO = 0;
const READ_HI = 1;
const READ_DELTA = 2;
const WRITE_LO = 3;
const WRITE_HI = 4;
const WRITE_DELTA = 5;

/** Object offsets a TLB entry may reach: below 2^31, the object's integer hit path. */
const TLB_OFFSET_LIMIT = 2 ** 31;

/**
 * Fills the read (or write) TLB entry for `address`, the object's page `objectPage` holding it, with the range
 * it may cover, [lo, hi) in addresses: the region's mapping of the object when `r` maps a caller's object as it
 * is, else the page; whole pages inside the object, below the offset limit. Leaves the entry as it was when
 * nothing may be cached.
 */
function fillTlb(s: SpaceState, r: Region, address: number, pageStart: number, obj: MemoryObject, objectPage: number, write: boolean): void {
  const ps = s.pageSize;
  const delta = objectPage * ps - pageStart;
  let lo = pageStart;
  let hi = pageStart + ps;
  if (r.level instanceof Base && r.level.file === undefined && r.level.object === obj) {
    lo = r.start;
    hi = r.end;
  }
  const end = Math.min(obj.size - (obj.size % ps), TLB_OFFSET_LIMIT) - delta;
  if (end < hi) hi = end;
  if (lo < -delta) lo = -delta;
  if (!(address < hi && lo < hi)) return;
  const tlb = s.tlb;
  if (write) {
    tlb.range[WRITE_LO] = lo;
    tlb.range[WRITE_HI] = hi;
    tlb.range[WRITE_DELTA] = delta;
    tlb.writeObject = obj;
  } else {
    tlb.range[READ_LO] = lo;
    tlb.range[READ_HI] = hi;
    tlb.range[READ_DELTA] = delta;
    tlb.readObject = obj;
  }
}

/**
 * An unsigned little-endian integer of `size` bytes at `address`, from ready pages. The TLB hit is this small
 * function, so that it inlines into the caller's loop with the object's own hit path; the rest is getUintMiss.
 */
export function getUint(s: SpaceState, address: number, size: 1 | 2 | 4): number {
  const tlb = s.tlb;
  const e = tlb.range;
  if (typeof address === 'number' && address >= e[READ_LO]! && address + size <= e[READ_HI]!) {
    const off = address + e[READ_DELTA]!;
    if ((off | 0) === off) {
      try {
        return tlb.readObject!.getUint(off, size);
      } catch (err) {
        // Evicted, or dropped because its file was cut: look the page up again (it may be past the end now).
        if (!(err instanceof NotResidentError)) throw err;
        e[READ_LO] = e[READ_HI] = NaN;
      }
    }
  }
  return getUintMiss(s, address, size);
}

function getUintMiss(s: SpaceState, address: number, size: 1 | 2 | 4): number {
  if (typeof address === 'number') {
    const ps = s.pageSize;
    const within = address % ps;
    const r = within + size <= ps && address >= 0 && Number.isSafeInteger(address) ? s.regions.lookup(address) : undefined;
    if (r !== undefined && (r.prot & PROT.READ) !== 0) {
      const t = s.translator;
      const st = t.translate(r.level, r.page + (address - within - r.start) / ps, false);
      if (st === Translation.Zero) return 0;
      const obj = t.object!;
      const base = t.page * ps;
      if (st === Translation.Page && base + within + size <= obj.size) {
        fillTlb(s, r, address, address - within, obj, t.page, false);
        try {
          return obj.getUint(base + within, size);
        } catch (err) {
          throw miss(s, err, address, 'read');
        }
      }
    }
  }
  // Across pages or mappings, past an object's end, or a fault: byte by byte, all checked first.
  checkAccess(s, address);
  const b = s.scratches[size === 4 ? 2 : size - 1]!;
  copySync(s, address, b, false);
  let value = 0;
  for (let i = size - 1; i >= 0; i--) value = value * 256 + b[i]!;
  return value;
}

/** Stores `value` as an unsigned little-endian integer of `size` bytes at `address`, in pages ready for writing (the TLB hit; see getUint). */
export function setUint(s: SpaceState, address: number, size: 1 | 2 | 4, value: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= 2 ** (8 * size)) {
    throw new InvalidArgumentError('value', value, `an integer from 0 to 2^${8 * size} - 1`);
  }
  const tlb = s.tlb;
  const e = tlb.range;
  if (typeof address === 'number' && address >= e[WRITE_LO]! && address + size <= e[WRITE_HI]!) {
    const off = address + e[WRITE_DELTA]!;
    if ((off | 0) === off) {
      try {
        return tlb.writeObject!.setUint(off, size, value);
      } catch (err) {
        if (!(err instanceof NotResidentError)) throw err;
        e[WRITE_LO] = e[WRITE_HI] = NaN;
      }
    }
  }
  setUintMiss(s, address, size, value);
}

function setUintMiss(s: SpaceState, address: number, size: 1 | 2 | 4, value: number): void {
  if (typeof address === 'number') {
    const ps = s.pageSize;
    const within = address % ps;
    const r = within + size <= ps && address >= 0 && Number.isSafeInteger(address) ? s.regions.lookup(address) : undefined;
    if (r !== undefined && (r.prot & PROT.WRITE) !== 0) {
      const t = s.translator;
      const st = t.translate(r.level, r.page + (address - within - r.start) / ps, true);
      const obj = t.object!;
      const base = t.page * ps;
      if (st === Translation.Page && base + within + size <= obj.size) {
        fillTlb(s, r, address, address - within, obj, t.page, true);
        try {
          return obj.setUint(base + within, size, value);
        } catch (err) {
          throw miss(s, err, address, 'write');
        }
      }
    }
  }
  checkAccess(s, address);
  const b = s.scratches[size === 4 ? 2 : size - 1]!;
  for (let i = 0, v = value; i < size; i++, v = Math.floor(v / 256)) b[i] = v & 0xff;
  copySync(s, address, b, true);
}

/** A little-endian 64-bit unsigned integer at `address`, from ready pages. */
export function getBigUint64(s: SpaceState, address: number): bigint {
  const ps = s.pageSize;
  const r = fastRegion(s, address, 8, PROT.READ);
  if (r !== undefined) {
    const within = address % ps;
    const t = s.translator;
    const st = t.translate(r.level, r.page + (address - within - r.start) / ps, false);
    if (st === Translation.Zero) return 0n;
    const obj = t.object!;
    const off = t.page * ps + within;
    if (st === Translation.Page && off + 8 <= obj.size) {
      try {
        return obj.getBigUint64(off);
      } catch (err) {
        throw miss(s, err, address, 'read');
      }
    }
  }
  const b = s.scratches[3]!;
  copySync(s, address, b, false);
  return BigInt((b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0) | (BigInt((b[4]! | (b[5]! << 8) | (b[6]! << 16) | (b[7]! << 24)) >>> 0) << 32n);
}

/** Stores a little-endian 64-bit unsigned integer at `address`, in pages ready for writing. */
export function setBigUint64(s: SpaceState, address: number, value: bigint): void {
  if (typeof value !== 'bigint' || value < 0n || value >= 1n << 64n) throw new InvalidArgumentError('value', value, 'a bigint from 0 to 2^64 - 1');
  const ps = s.pageSize;
  const r = fastRegion(s, address, 8, PROT.WRITE);
  if (r !== undefined) {
    const within = address % ps;
    const t = s.translator;
    const st = t.translate(r.level, r.page + (address - within - r.start) / ps, true);
    const obj = t.object!;
    const off = t.page * ps + within;
    if (st === Translation.Page && off + 8 <= obj.size) {
      try {
        return obj.setBigUint64(off, value);
      } catch (err) {
        throw miss(s, err, address, 'write');
      }
    }
  }
  const b = s.scratches[3]!;
  const lo = Number(value & 0xffffffffn);
  const hi = Number(value >> 32n);
  for (let i = 0; i < 4; i++) {
    b[i] = lo >>> (8 * i);
    b[4 + i] = hi >>> (8 * i);
  }
  copySync(s, address, b, true);
}

/** The region for a one-page access of `size` bytes with rights `need`, when the fast path applies. */
function fastRegion(s: SpaceState, address: number, size: number, need: number): Region | undefined {
  checkAccess(s, address);
  const r = s.regions.lookup(address);
  if (r === undefined || (r.prot & need) === 0 || (address % s.pageSize) + size > s.pageSize) return undefined;
  return r;
}

/** Throws what an access that left the fast path must: DestroyedError, or InvalidArgumentError for a bad address. */
function checkAccess(s: SpaceState, address: unknown): void {
  if (s.destroyed) throw s.destroyedError();
  if (typeof address !== 'number' || !Number.isSafeInteger(address) || address < 0) {
    throw new InvalidArgumentError('address', address, 'a non-negative integer below 2^53');
  }
}

/** The object's NotResidentError, said of the address. */
function miss(s: SpaceState, err: unknown, address: number, access: Access): unknown {
  return err instanceof NotResidentError ? new AddressNotResidentError(address, access, Math.floor(address / s.pageSize)) : err;
}
