/**
 * Argument checks of the address space's calls: each throws InvalidArgumentError or OutOfRangeError naming
 * the argument, before anything is changed. mmap's options are checked here in the order their errors take
 * precedence (the source first, then length, protection, placement, then the object or file).
 */
import { DestroyedError, InvalidArgumentError, OutOfRangeError } from '../errors.js';
import type { MemoryObject } from '../memory-object/memory-object.js';
import { checkIndex, checkOptions, checkPositive } from '../validate.js';
import { ADVICES, type Advice } from './advise.js';
import type { MapOptions } from './mmap.js';
import { parseProt } from './prot.js';
import { ADDRESS_LIMIT, type MappingKind, type Share } from './regions.js';
import type { RemapOptions } from './remap.js';
import type { SyncOptions } from './sync.js';

const MAP_KEYS = ['object', 'file', 'anonymous', 'length', 'offset', 'address', 'fixed', 'populate', 'prot', 'share'] as const;
const REMAP_KEYS = ['move', 'address'] as const;
const SYNC_KEYS = ['invalidate', 'async'] as const;

/** A page-aligned range of whole pages: `[start, end)`; with `empty`, a length of 0 is allowed. */
export function checkRange(ps: number, address: unknown, length: unknown, empty = false): [number, number] {
  const start = checkAligned(ps, 'address', address);
  const len = empty && length === 0 ? 0 : roundLength(ps, 'length', length);
  checkEnd(start, len);
  return [start, start + len];
}

/** A non-negative integer, a multiple of the page size. */
export function checkAligned(ps: number, argument: string, value: unknown): number {
  checkIndex(argument, value);
  if ((value as number) % ps !== 0) throw new InvalidArgumentError(argument, value, `a multiple of the page size (${ps})`);
  return value as number;
}

/** A positive length, rounded up to whole pages as mmap does. */
export function roundLength(ps: number, argument: string, value: unknown): number {
  const n = checkPositive(argument, value);
  return Math.ceil(n / ps) * ps;
}

/** `start + length` stays inside the address space. */
export function checkEnd(start: number, length: number): void {
  if (length > ADDRESS_LIMIT - start) throw new OutOfRangeError('address + length', start + length, ADDRESS_LIMIT, 'past the end of the address space (2^53)');
}

/** The byte range of a read, write or trap: any address and length (0 allowed), inside the address space. */
export function checkSpan(address: unknown, length: unknown): void {
  checkIndex('address', address);
  checkIndex('length', length);
  checkEnd(address as number, length as number);
}

export function checkShare(value: unknown): Share {
  if (value !== 'shared' && value !== 'private') throw new InvalidArgumentError('share', value, "'shared' or 'private'");
  return value;
}

/**
 * Whether `value` is a memory object, by what the address space calls on it (not `instanceof`, so an
 * address space does not load the memory object's module, and an object from another copy of the module
 * is judged by its surface). Whether it belongs to this instance is the page size check's business.
 */
export function isMemoryObject(value: unknown): value is MemoryObject {
  if (typeof value !== 'object' || value === null) return false;
  const o = value as Record<string, unknown>;
  return (
    typeof o.pageSize === 'number' &&
    typeof o.pageCount === 'number' &&
    typeof o.size === 'number' &&
    typeof o.isDestroyed === 'boolean' &&
    typeof o.request === 'function' &&
    typeof o.read === 'function' &&
    typeof o.write === 'function' &&
    typeof o.readSync === 'function' &&
    typeof o.writeSync === 'function' &&
    typeof o.getUint === 'function' &&
    typeof o.setUint === 'function' &&
    typeof o.isResident === 'function' &&
    typeof o.lock === 'function' &&
    typeof o.flush === 'function' &&
    typeof o.destroy === 'function'
  );
}

/** mmap's options, checked and normalized. */
export interface MapRequest {
  readonly kind: MappingKind;
  readonly object: MemoryObject | undefined;
  readonly file: string | undefined;
  /** Whole pages, in bytes. */
  readonly length: number;
  readonly offset: number;
  readonly address: number | undefined;
  readonly fixed: boolean | 'noreplace' | undefined;
  readonly populate: boolean;
  readonly prot: number;
  readonly share: Share;
}

/** Checks mmap's options for pages of `ps` bytes. */
export function checkMapOptions(ps: number, options: MapOptions): MapRequest {
  const o = checkOptions<MapOptions>('options', options, MAP_KEYS);
  if (options === undefined) throw new InvalidArgumentError('options', options, 'an options object');
  if (o.anonymous !== undefined && o.anonymous !== true) throw new InvalidArgumentError('options.anonymous', o.anonymous, 'true (or absent)');
  const sources = (o.object !== undefined ? 1 : 0) + (o.file !== undefined ? 1 : 0) + (o.anonymous ? 1 : 0);
  if (sources !== 1) throw new InvalidArgumentError('options', options, 'exactly one of object, file or anonymous: true');
  const length = roundLength(ps, 'length', o.length);
  const prot = parseProt('prot', o.prot);
  const share = checkShare(o.share);
  if (o.fixed !== undefined && typeof o.fixed !== 'boolean' && o.fixed !== 'noreplace')
    throw new InvalidArgumentError('fixed', o.fixed, "true, false or 'noreplace'");
  if (o.populate !== undefined && typeof o.populate !== 'boolean') throw new InvalidArgumentError('populate', o.populate, 'a boolean');
  const offset = o.offset === undefined ? 0 : checkAligned(ps, 'offset', o.offset);
  if (o.anonymous && offset !== 0) throw new InvalidArgumentError('offset', offset, '0 (or absent) for anonymous memory');
  if (length > ADDRESS_LIMIT - offset) throw new OutOfRangeError('offset + length', offset + length, ADDRESS_LIMIT, 'past 2^53');
  let address: number | undefined;
  if (o.address !== undefined) {
    address = checkAligned(ps, 'address', o.address);
    checkEnd(address, length);
  }
  if (o.fixed) {
    if (address === undefined) throw new InvalidArgumentError('address', address, 'an address when fixed is true');
    if (address < ps) throw new InvalidArgumentError('address', address, `at least ${ps}: page 0 is never mapped`);
  }
  if (o.object !== undefined) {
    if (!isMemoryObject(o.object)) throw new InvalidArgumentError('object', o.object, 'a MemoryObject');
    if (o.object.isDestroyed) throw new DestroyedError(`memory object ${o.object.name}`);
    if (o.object.pageSize !== ps) throw new InvalidArgumentError('object', o.object, `a memory object of this instance (page size ${ps})`);
  }
  if (o.file !== undefined && (typeof o.file !== 'string' || o.file.length === 0)) throw new InvalidArgumentError('file', o.file, 'a non-empty path');
  const kind: MappingKind = o.anonymous ? 'anonymous' : o.file !== undefined ? 'file' : 'object';
  return { kind, object: o.object, file: o.file, length, offset, address, fixed: o.fixed, populate: o.populate === true, prot, share };
}

/** mremap's arguments, checked: the old range, the new length, and where it may move. */
export function checkRemap(
  ps: number,
  address: unknown,
  oldLength: unknown,
  newLength: unknown,
  options: RemapOptions | undefined,
): { start: number; end: number; length: number; move: boolean; target: number | undefined } {
  const [start, end] = checkRange(ps, address, oldLength);
  const length = roundLength(ps, 'newLength', newLength);
  const o = checkOptions<RemapOptions>('options', options, REMAP_KEYS);
  if (o.move !== undefined && typeof o.move !== 'boolean') throw new InvalidArgumentError('options.move', o.move, 'a boolean');
  let target: number | undefined;
  if (o.address !== undefined) {
    if (!o.move) throw new InvalidArgumentError('options.address', o.address, 'absent unless move is true (MREMAP_FIXED needs MREMAP_MAYMOVE)');
    target = checkAligned(ps, 'options.address', o.address);
    if (target < ps) throw new InvalidArgumentError('options.address', target, `at least ${ps}: page 0 is never mapped`);
    checkEnd(target, length);
    if (target < end && start < target + length)
      throw new InvalidArgumentError('options.address', target, 'a range that does not overlap the one moved (EINVAL)');
  }
  return { start, end, length, move: o.move === true, target };
}

/** msync's options, checked. */
export function checkSyncOptions(options: SyncOptions | undefined): SyncOptions {
  const o = checkOptions<SyncOptions>('options', options, SYNC_KEYS);
  if (o.invalidate !== undefined && typeof o.invalidate !== 'boolean') throw new InvalidArgumentError('options.invalidate', o.invalidate, 'a boolean');
  if (o.async !== undefined && typeof o.async !== 'boolean') throw new InvalidArgumentError('options.async', o.async, 'a boolean');
  return o;
}

export function checkAdvice(advice: unknown): Advice {
  if (!ADVICES.includes(advice as Advice)) throw new InvalidArgumentError('advice', advice, `one of ${ADVICES.join(', ')}`);
  return advice as Advice;
}
