import type { Cache } from '../cache/cache.js';

/**
 * The dense page table of an object of a shared instance (createVm({ shared: true })): one Int32 frame
 * number per page, -1 when absent, in a SharedArrayBuffer that workers read (protocol.ts). Only the
 * instance's thread writes it, and every write is an Atomics.store: an entry invalidated before the
 * reclaimer looks at the workers' pins must be seen by a worker that pins afterwards (sequentially
 * consistent stores and loads on both sides, Dekker's argument). The owner's lookups are plain loads:
 * it is the only writer.
 */
export class SharedPageTable implements Cache {
  /** Shared with workers through the object's handle. */
  readonly table: Int32Array;
  private resident = 0;

  constructor(pageCount: number) {
    this.table = new Int32Array(new SharedArrayBuffer(Math.max(1, pageCount) * 4)).fill(-1);
  }

  lookup(page: number): number {
    const frame = this.table[page];
    return frame === undefined ? -1 : frame;
  }

  update(page: number, frame: number): void {
    if (this.table[page] === -1) this.resident++;
    Atomics.store(this.table, page, frame);
  }

  invalidate(page: number): void {
    if (this.table[page]! >= 0) this.resident--;
    Atomics.store(this.table, page, -1);
  }

  iterate(visit: (page: number, frame: number) => void): void {
    const t = this.table;
    for (let p = 0; p < t.length; p++) if (t[p]! >= 0) visit(p, t[p]!);
  }

  get count(): number {
    return this.resident;
  }

  clear(): void {
    const t = this.table;
    for (let p = 0; p < t.length; p++) if (t[p]! >= 0) Atomics.store(t, p, -1);
    this.resident = 0;
  }
}
