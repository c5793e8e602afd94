import type { Cache } from './cache.js';

/**
 * The cache as a dense page table: one Int32 frame number per page of the object (-1 when absent), so a hit
 * costs one typed-array load instead of a hash lookup (measured: ~25 ns less per resident read). Used for
 * objects of up to `PAGE_TABLE_MAX_PAGES` pages; larger, sparse objects use the HashCache.
 *
 * The entries are `table[base .. base + pageCount)`. A small table (up to SHARED_MAX_PAGES pages) is a slice
 * of a slab shared with other objects' tables, not an Int32Array of its own: with ten thousand objects, one
 * array each scattered over the heap cost a cache miss or two per read (their headers and elements), where
 * the slices of one slab lie together. A memory object reads `table` and `base` on its hit path.
 *
 * Invariants: entries past `pageCount` inside the slice stay -1; a slice goes back to its slab (through a
 * FinalizationRegistry) only once its cache is unreachable, so no live table ever shares entries.
 */
export class PageTableCache implements Cache {
  /** The entries: this table's are `base .. base + pageCount - 1`. */
  readonly table: Int32Array;
  readonly base: number;
  private readonly pageCount: number;
  private resident = 0;

  constructor(pageCount: number) {
    this.pageCount = pageCount;
    if (pageCount <= SHARED_MAX_PAGES) {
      const slice = takeSlice(pageCount);
      this.table = slice.slab;
      this.base = slice.base;
      slices.register(this, slice);
    } else {
      this.table = new Int32Array(pageCount).fill(-1);
      this.base = 0;
    }
  }

  lookup(page: number): number {
    if (!(page >= 0 && page < this.pageCount)) return -1;
    return this.table[this.base + page]!;
  }

  update(page: number, frame: number): void {
    if (!(page >= 0 && page < this.pageCount)) return;
    const i = this.base + page;
    if (this.table[i] === -1) this.resident++;
    this.table[i] = frame;
  }

  invalidate(page: number): void {
    if (!(page >= 0 && page < this.pageCount)) return;
    const i = this.base + page;
    if (this.table[i]! >= 0) this.resident--;
    this.table[i] = -1;
  }

  iterate(visit: (page: number, frame: number) => void): void {
    const t = this.table;
    const b = this.base;
    for (let p = 0; p < this.pageCount; p++) if (t[b + p]! >= 0) visit(p, t[b + p]!);
  }

  get count(): number {
    return this.resident;
  }

  clear(): void {
    this.table.fill(-1, this.base, this.base + this.pageCount);
    this.resident = 0;
  }
}

/** Objects of up to this many pages get a dense page table (at most 4 MiB); larger ones a hash table. */
export const PAGE_TABLE_MAX_PAGES = 1 << 20;

/** Tables of up to this many pages are slices of a shared slab; larger ones have an array of their own. */
const SHARED_MAX_PAGES = 1 << 10;
/** Entries per slab: 256 KiB. */
const SLAB_ENTRIES = 1 << 16;

interface Slice {
  slab: Int32Array;
  base: number;
  /** log2 of the slice's length: slices are powers of two, so a freed one fits the next table of its class. */
  sizeClass: number;
}

/** Freed slices by size class, reused first. */
const freeSlices: Slice[][] = [];
let slab = new Int32Array(SLAB_ENTRIES).fill(-1);
let slabTop = 0;
const slices = new FinalizationRegistry<Slice>((slice) => {
  slice.slab.fill(-1, slice.base, slice.base + (1 << slice.sizeClass));
  (freeSlices[slice.sizeClass] ??= []).push(slice);
});

function takeSlice(pageCount: number): Slice {
  const sizeClass = Math.max(0, Math.ceil(Math.log2(pageCount)));
  const reused = freeSlices[sizeClass]?.pop();
  if (reused) return reused;
  const length = 1 << sizeClass;
  if (slabTop + length > SLAB_ENTRIES) {
    slab = new Int32Array(SLAB_ENTRIES).fill(-1);
    slabTop = 0;
  }
  const slice = { slab, base: slabTop, sizeClass };
  slabTop += length;
  return slice;
}
