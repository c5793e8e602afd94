/**
 * The default pager's per-page state, after SPIN's {never written, in memory, swapped out}, split where
 * telling the cases apart saves I/O.
 */
export enum PageState {
  /** Never paged in: reads as zeros. Holds no slot. */
  NeverWritten = 0,
  /** In memory, zero-filled and (as far as the pager knows) unchanged: a clean eviction needs no write. */
  ZeroFilled = 1,
  /** In memory, and the frame is the only good copy (a slot, if held, is stale and will be overwritten). */
  InMemory = 2,
  /** In memory, and its slot holds the same bytes (it came in from there): a clean eviction needs no write. */
  InMemoryBacked = 3,
  /** Out: the slot holds the page. */
  SwappedOut = 4,
}

/**
 * One number per page: (slot + 1) * 8 + state, 0 for a never-written page. Slots are below 2^32, so an
 * entry stays an exact double; no object per page.
 */
export function entry(state: PageState, slot: number): number {
  return (slot + 1) * 8 + state;
}

export function stateOf(entry: number): PageState {
  return entry % 8;
}

/** The entry's slot, or -1. */
export function slotOf(entry: number): number {
  return Math.floor(entry / 8) - 1;
}

/** Page number → entry. Dense for small objects, sparse for big ones (objects may reach 2^53 bytes). */
export interface PageTable {
  get(page: number): number;
  set(page: number, entry: number): void;
  /** Calls `visit` for every page whose entry is not 0 (it may `set` the page it is given). */
  forEach(visit: (page: number, entry: number) => void): void;
  clear(): void;
}

/** Objects of up to this many pages get a dense table (8 bytes a page, so at most 512 KiB). */
export const DENSE_TABLE_PAGES = 1 << 16;

export function makePageTable(pageCount: number): PageTable {
  return pageCount <= DENSE_TABLE_PAGES ? new DenseTable(pageCount) : new SparseTable();
}

class DenseTable implements PageTable {
  private entries: Float64Array;
  constructor(pageCount: number) {
    this.entries = new Float64Array(pageCount);
  }
  get(page: number): number {
    return this.entries[page] ?? 0;
  }
  set(page: number, value: number): void {
    this.entries[page] = value;
  }
  forEach(visit: (page: number, entry: number) => void): void {
    const e = this.entries;
    for (let page = 0; page < e.length; page++) if (e[page] !== 0) visit(page, e[page]!);
  }
  clear(): void {
    this.entries = new Float64Array(0);
  }
}

class SparseTable implements PageTable {
  private readonly entries = new Map<number, number>();
  get(page: number): number {
    return this.entries.get(page) ?? 0;
  }
  set(page: number, value: number): void {
    if (value === 0) this.entries.delete(page);
    else this.entries.set(page, value);
  }
  forEach(visit: (page: number, entry: number) => void): void {
    for (const [page, value] of this.entries) visit(page, value);
  }
  clear(): void {
    this.entries.clear();
  }
}
