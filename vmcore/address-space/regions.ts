import { AddressSpaceFullError, UnmappedRangeError } from './errors.js';
import type { Level } from './levels.js';

/** Addresses run from one page up to 2^53 (exclusive). Page 0 is never mapped, so address 0 always faults. */
export const ADDRESS_LIMIT = 2 ** 53;

export type Share = 'shared' | 'private';
export type MappingKind = 'anonymous' | 'file' | 'object';

/**
 * A mapped range (SerenityOS's Region). Private and anonymous ranges point at their top shadow; shared file
 * or object ranges at their Base. Each region holds one reference to `level`.
 */
export class Region {
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

/**
 * The region map of one address space (SerenityOS's RegionTree): the mappings, found by address, split and
 * joined as unmap, protect and remap cut them.
 *
 * Invariants: `list` is sorted by address; regions never overlap; each is non-empty and page-aligned; page 0
 * is never in one. Every change calls `changed` (the space forgets its cached look-ups and translations).
 */
export class RegionMap {
  /** Sorted by address, never overlapping. */
  private list: Region[] = [];
  /** The region the last look-up found: most accesses hit it again. */
  private last: Region | undefined = undefined;

  constructor(
    private readonly pageSize: number,
    /** Called after every change of the map. */
    private readonly changed: () => void,
  ) {}

  get count(): number {
    return this.list.length;
  }

  /** The regions, in address order (read only: change them through the methods). */
  get all(): readonly Region[] {
    return this.list;
  }

  /** Forgets the last look-up (the space's `changed` calls it). */
  forget(): void {
    this.last = undefined;
  }

  /** The region containing `address`, if any. */
  lookup(address: number): Region | undefined {
    const c = this.last;
    if (c !== undefined && address >= c.start && address < c.end) return c;
    const rs = this.list;
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

  /** Calls `fn` with each region meeting `start .. end` and the part of it inside. */
  each(start: number, end: number, fn: (r: Region, from: number, to: number) => void): void {
    const rs = this.list;
    for (let i = this.firstEndingAfter(start); i < rs.length && rs[i]!.start < end; i++) {
      const r = rs[i]!;
      fn(r, Math.max(start, r.start), Math.min(end, r.end));
    }
  }

  /** Throws UnmappedRangeError (at the first unmapped page) unless every page of `start .. end` is mapped. */
  requireMapped(start: number, end: number): void {
    let pos = start;
    for (let i = this.firstEndingAfter(start); pos < end; i++) {
      const r = this.list[i];
      if (r === undefined || r.start > pos) throw new UnmappedRangeError(start, end - start, pos);
      pos = r.end;
    }
  }

  /** Whether any page of `start .. end` is mapped. */
  overlaps(start: number, end: number): boolean {
    const r = this.list[this.firstEndingAfter(start)];
    return r !== undefined && r.start < end;
  }

  /** Whether `start .. end` is free and inside the address space (page 0 is never mapped). */
  free(start: number, end: number): boolean {
    return start >= this.pageSize && end <= ADDRESS_LIMIT && !this.overlaps(start, end);
  }

  /** Where a mapping of `length` bytes goes: at `hint` if that range is free, else the first free range from page 1 up. */
  findFree(hint: number | undefined, length: number): number {
    const ps = this.pageSize;
    if (hint !== undefined && hint >= ps) {
      const next = this.list[this.firstEndingAfter(hint)];
      if (next === undefined || next.start >= hint + length) return hint;
    }
    let candidate = ps;
    for (const r of this.list) {
      if (r.start - candidate >= length) return candidate;
      if (r.end > candidate) candidate = r.end;
    }
    if (ADDRESS_LIMIT - candidate >= length) return candidate;
    throw new AddressSpaceFullError(length);
  }

  /** Puts `region` in (its range is free). */
  insert(region: Region): void {
    this.list.splice(this.firstEndingAfter(region.start), 0, region);
    this.changed();
  }

  /** Splits the region containing `address` (not at its start) in two, so `address` is a boundary. */
  splitAt(address: number): void {
    const i = this.firstEndingAfter(address);
    const r = this.list[i];
    if (r === undefined || r.start >= address) return;
    const tail = new Region(address, r.end, r.prot, r.share, r.kind, r.level, r.page + (address - r.start) / this.pageSize);
    r.level.refs++;
    r.end = address;
    this.list.splice(i + 1, 0, tail);
    this.changed();
  }

  /** Takes `start .. end` out of the map, splitting the regions it cuts; answers the pieces taken out (their references with them). */
  cut(start: number, end: number): Region[] {
    this.splitAt(start);
    this.splitAt(end);
    const i = this.firstEndingAfter(start);
    let j = i;
    while (j < this.list.length && this.list[j]!.start < end) j++;
    this.changed();
    return this.list.splice(i, j - i);
  }

  /** Takes every region out (destroy); answers them. */
  takeAll(): Region[] {
    const all = this.list;
    this.list = [];
    this.changed();
    return all;
  }

  /** Sets the protection of `start .. end` (every page mapped), splitting at its ends and joining equal neighbours after. */
  protect(start: number, end: number, prot: number): void {
    this.splitAt(start);
    this.splitAt(end);
    this.each(start, end, (r) => void (r.prot = prot));
    this.changed();
    this.coalesce();
  }

  /** Joins neighbours that map consecutive pages of the same level with the same rights (after protect). */
  private coalesce(): void {
    const rs = this.list;
    const ps = this.pageSize;
    for (let i = 0; i + 1 < rs.length;) {
      const a = rs[i]!;
      const b = rs[i + 1]!;
      if (
        a.end === b.start &&
        a.prot === b.prot &&
        a.level === b.level &&
        a.share === b.share &&
        a.kind === b.kind &&
        a.page + (a.end - a.start) / ps === b.page
      ) {
        a.end = b.end;
        a.level.refs--; // b's reference; a still holds one
        rs.splice(i + 1, 1);
        this.changed();
      } else i++;
    }
  }

  /** The index of the first region ending after `address`. */
  private firstEndingAfter(address: number): number {
    const rs = this.list;
    let lo = 0;
    let hi = rs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (rs[mid]!.end <= address) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
