/**
 * The levels of a shadow chain (Mach's shadow objects; SerenityOS's AnonymousVMObject and its cow map play
 * the same part): a region points at its top level; below it lie frozen shadows left by forks, and at the
 * bottom a Base (a file or object) or nothing (anonymous memory: the zero page). translate.ts walks a chain.
 *
 * Invariants: only a top shadow (the level a region points at) gains pages, by copy-up; a level below a top
 * is frozen and never changes. `refs` counts the regions and shadows holding a level; the last release
 * destroys a shadow's object and closes a Base's file reference.
 */
import type { MemoryObject } from '../memory-object/memory-object.js';
import type { MappableFile } from './file-mapper.js';

/**
 * The bottom of a chain: a memory object mapped as it is (a file's object, or an object the caller gave).
 * Shared mappings point at it directly; private ones reach it under their shadows. Reference-counted by the
 * regions and shadows that use it; the last release closes the file reference (a caller's object is the
 * caller's: it is never destroyed here).
 */
export class Base {
  refs = 1;
  dead = false;
  /** The first error of a background (`async: true`) sync, reported by the next sync or unmap. */
  asyncError: unknown = undefined;
  constructor(
    readonly object: MemoryObject,
    readonly file: MappableFile | undefined,
    /** Whether shared mappings of it may be given write rights (the file was opened for writing). */
    readonly writable: boolean,
    readonly label: string,
  ) {}

  /**
   * Pages that can be accessed now; the pages from here on fault with BusError. A file's follows its
   * current size (the pages of its last, partial page included), as it grows and shrinks.
   */
  get limit(): number {
    const f = this.file;
    const n = this.object.pageCount;
    if (f === undefined) return n;
    const pages = Math.ceil(f.size / this.object.pageSize);
    return pages < n ? pages : n;
  }

  /**
   * Whether page `idx` lies inside the file once its real size has been checked again (one cheap size
   * call, made only when an access would otherwise be a BusError), so growth by anyone is seen.
   */
  reaches(idx: number): boolean {
    const f = this.file;
    if (f === undefined || this.dead || typeof f.refreshSize !== 'function') return false;
    try {
      f.refreshSize();
    } catch {
      return false; // the size cannot be read now: the file is as large as it was known to be
    }
    return idx < this.limit;
  }
}

/**
 * Mach's shadow object: the pages written (or copied) at this level of a private chain, over a backing
 * level (another shadow, a Base, or nothing: the zero object). A shared anonymous mapping is a shadow
 * with no backing that every mapper writes to. Its memory object is made on the first write, from the
 * instance's default pager, so untouched memory costs no object and no frame.
 */
export class Shadow {
  object: MemoryObject | undefined = undefined;
  /** Pages held by this level (index in this level's page space). */
  readonly owned = new Set<number>();
  /**
   * Pages `advise(..., 'dontneed')` dropped from this (top) level: they read from the bottom of the chain
   * again (the file, or zeros), skipping the frozen levels in between, as a fresh fault would on Linux.
   */
  dropped: Set<number> | undefined = undefined;
  /**
   * Pages from here on were added by `remap` growing this (top) level's mapping: they read from the bottom
   * of the chain (the object or file further on, or zeros), never from the copies the levels below hold for
   * other pieces of the old mapping.
   */
  skipFrom = Infinity;
  /** Copies into this level in flight, so two faults on one page copy it once. */
  copying: Map<number, Promise<void>> | undefined = undefined;
  refs = 1;
  dead = false;
  /** Whether a look-up of page `idx` passes the levels below this one by, straight to the bottom. */
  skips(idx: number): boolean {
    return idx >= this.skipFrom || (this.dropped !== undefined && this.dropped.has(idx));
  }
  constructor(
    /** This level's size in pages (grown by `remap` only while no object is made for it). */
    public pages: number,
    readonly backing: Level | undefined,
    /** Page `i` of this level lies over page `i + backingOffset` of the backing. */
    readonly backingOffset: number,
    readonly label: string,
  ) {}
}

export type Level = Shadow | Base;

/** The bottom of `level`'s chain (undefined for anonymous memory) and the page of it that `level`'s page `page` lies over. */
export function bottom(level: Level, page: number): { base: Base | undefined; page: number } {
  let l: Level | undefined = level;
  while (l instanceof Shadow) {
    page += l.backingOffset;
    l = l.backing;
  }
  return { base: l, page };
}

/**
 * Drops one reference to `level`; a level nobody uses any more is destroyed (its object's frames go back
 * to the pool) and drops its reference to its backing. What must be awaited is pushed on `ends`.
 */
export function release(level: Level | undefined, ends: Array<Promise<unknown>>): void {
  for (let l = level; l !== undefined;) {
    if (--l.refs > 0) return;
    l.dead = true;
    if (l instanceof Base) {
      const file = l.file;
      if (file) ends.push(Promise.resolve().then(() => file.close()));
      return;
    }
    if (l.object) ends.push(l.object.destroy());
    l.copying = undefined;
    l = l.backing;
  }
}
