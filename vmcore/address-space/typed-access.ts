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
import type { Region } from './regions.js';
import type { SpaceState } from './state.js';
import { Translation } from './translate.js';

/**
 * A one-entry TLB per access kind: the page (its address) last translated to a page of an object, and
 * where. Only translations that cannot change behind this space's back are kept: a page of a base, of a
 * shared anonymous object the space holds, of a frozen level below a top, or of its own top shadow, whole
 * inside its object. Any change of the space's mappings or top shadows flushes it (SpaceState.changed), and
 * an evicted page is caught by the object itself (NotResidentError), which drops the entry.
 */
export class TranslationCache {
  readPage = NaN;
  readObject: MemoryObject | undefined = undefined;
  readOffset = 0;
  writePage = NaN;
  writeObject: MemoryObject | undefined = undefined;
  writeOffset = 0;

  flush(): void {
    this.readPage = NaN;
    this.writePage = NaN;
  }
}

/** An unsigned little-endian integer of `size` bytes at `address`, from ready pages. */
export function getUint(s: SpaceState, address: number, size: 1 | 2 | 4): number {
  if (typeof address === 'number') {
    const ps = s.pageSize;
    const within = address % ps; // the one division of the hit path
    const tlb = s.tlb;
    if (address - within === tlb.readPage && (within | 0) === within && within + size <= ps) {
      try {
        return tlb.readObject!.getUint(tlb.readOffset + within, size);
      } catch (err) {
        // Evicted, or dropped because its file was cut: look the page up again (it may be past the end now).
        if (!(err instanceof NotResidentError)) throw err;
        tlb.readPage = NaN;
      }
    }
    const r = within + size <= ps && address >= 0 && Number.isSafeInteger(address) ? s.regions.lookup(address) : undefined;
    if (r !== undefined && (r.prot & PROT.READ) !== 0) {
      const t = s.translator;
      const st = t.translate(r.level, r.page + (address - within - r.start) / ps, false);
      if (st === Translation.Zero) return 0;
      const obj = t.object!;
      const base = t.page * ps;
      if (st === Translation.Page && base + within + size <= obj.size) {
        if (base + ps <= obj.size) {
          tlb.readPage = address - within;
          tlb.readObject = obj;
          tlb.readOffset = base;
        }
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

/** Stores `value` as an unsigned little-endian integer of `size` bytes at `address`, in pages ready for writing. */
export function setUint(s: SpaceState, address: number, size: 1 | 2 | 4, value: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= 2 ** (8 * size)) {
    throw new InvalidArgumentError('value', value, `an integer from 0 to 2^${8 * size} - 1`);
  }
  if (typeof address === 'number') {
    const ps = s.pageSize;
    const within = address % ps;
    const tlb = s.tlb;
    if (address - within === tlb.writePage && (within | 0) === within && within + size <= ps) {
      try {
        return tlb.writeObject!.setUint(tlb.writeOffset + within, size, value);
      } catch (err) {
        if (!(err instanceof NotResidentError)) throw err;
        tlb.writePage = NaN;
      }
    }
    const r = within + size <= ps && address >= 0 && Number.isSafeInteger(address) ? s.regions.lookup(address) : undefined;
    if (r !== undefined && (r.prot & PROT.WRITE) !== 0) {
      const t = s.translator;
      const st = t.translate(r.level, r.page + (address - within - r.start) / ps, true);
      const obj = t.object!;
      const base = t.page * ps;
      if (st === Translation.Page && base + within + size <= obj.size) {
        if (base + ps <= obj.size) {
          tlb.writePage = address - within;
          tlb.writeObject = obj;
          tlb.writeOffset = base;
        }
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
