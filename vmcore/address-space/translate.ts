import type { MemoryObject } from '../memory-object/memory-object.js';
import { Shadow, type Level } from './levels.js';

/** What one walk of a shadow chain found for a page (see Translator.translate). */
export const enum Translation {
  /** Reads see the zero page: no level holds the page and nothing is below. Nothing is allocated. */
  Zero,
  /** Accesses go to page `page` of `object`, as they are. */
  Page,
  /** Past the end of the mapped file or object (SIGBUS). */
  BusError,
  /**
   * A write to a page the top shadow does not hold: it must first be copied up into the top from `object`'s
   * page `page` (or from the zero page when `object` is undefined), then written there.
   */
  CopyNeeded,
}

/**
 * The one translate of a page through a shadow chain, and its result record.
 *
 * The answer is the named Translation; where it leads (`object`, `page`) is left in this record, which the
 * address space owns and reuses: no object is allocated per access, there are no out-parameters to thread
 * through, and a packed number could not carry the object. The rule that makes sharing one record safe:
 * read `object` and `page` right after `translate`, before anything else translates, and never across an
 * await (every caller does, synchronously).
 *
 * Each page is walked once per fault: the trap, the fault handler and the copy all act on this one answer
 * (CopyNeeded carries the copy's source, so the copy does not walk the chain again).
 */
export class Translator {
  /** Page: the object accessed. CopyNeeded: the copy's source, undefined for the zero page. Otherwise undefined. */
  object: MemoryObject | undefined = undefined;
  /** The page of `object`. */
  page = 0;

  /**
   * Where an access to page `idx` of `level` (a region's level: its top shadow or its Base) goes: for a read,
   * the first level of the chain holding the page, else the base, else the zero page; for a write, the top
   * when it holds the page (or is the base), else CopyNeeded from where a read would go. A page that
   * `advise(..., 'dontneed')` dropped, or that `remap` grew, passes the lower shadows by, straight to the
   * bottom. Past the base's end is a BusError, unless `recheck` and the file grew meanwhile (one size check:
   * inspection passes `recheck` false so that it never asks).
   */
  translate(level: Level, idx: number, write: boolean, recheck = true): Translation {
    this.object = undefined;
    let l: Level = level;
    let skip = false;
    for (;;) {
      if (l instanceof Shadow) {
        if (!skip) {
          if (l.owned.has(idx)) return this.found(l.object, idx, write && l !== level);
          if (l.skips(idx)) skip = true;
        }
        const below = l.backing;
        if (below === undefined) return write ? Translation.CopyNeeded : Translation.Zero;
        idx += l.backingOffset;
        l = below;
      } else {
        if (idx >= l.limit && !(recheck && l.reaches(idx))) return Translation.BusError;
        return this.found(l.object, idx, write && l !== level);
      }
    }
  }

  private found(object: MemoryObject | undefined, page: number, copy: boolean): Translation {
    this.object = object;
    this.page = page;
    return copy ? Translation.CopyNeeded : Translation.Page;
  }
}
