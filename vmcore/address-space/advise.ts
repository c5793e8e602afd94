/** madvise, and MAP_POPULATE's faulting in of a range. */
import { InvalidArgumentError } from '../errors.js';
import type { MemoryObject } from '../memory-object/memory-object.js';
import { bottom, Shadow } from './levels.js';
import type { SpaceState } from './state.js';
import { Translation } from './translate.js';

/**
 * madvise's advice: `'dontneed'` drops a private mapping's pages (they read from the file, or as zeros,
 * again); `'willneed'` faults the range in; `'sequential'`, `'random'` and `'normal'` tell the pager how
 * the range will be read (a pager with `advise` uses it for its read-ahead).
 */
export type Advice = 'normal' | 'random' | 'sequential' | 'willneed' | 'dontneed';
export const ADVICES: readonly Advice[] = ['normal', 'random', 'sequential', 'willneed', 'dontneed'];

/** madvise over the checked, mapped, non-empty range `start .. end`. */
export function advise(s: SpaceState, start: number, end: number, advice: Advice): Promise<void> | undefined {
  if (advice === 'willneed') return populate(s, start, end);
  if (advice === 'dontneed') return dontNeed(s, start, end);
  const ps = s.pageSize;
  const seen = new Set<MemoryObject>();
  s.regions.each(start, end, (r, from, to) => {
    const { base, page } = bottom(r.level, r.page + (from - r.start) / ps);
    if (base !== undefined && !seen.has(base.object)) {
      seen.add(base.object);
      base.object.advise(page, (to - from) / ps, advice);
    }
  });
  return undefined;
}

/**
 * Drops the private pages of the range: the top shadow forgets them, and a page over frozen levels is marked
 * to read from the bottom of the chain again (the file, or zeros), as a fresh fault would on Linux. Shared
 * mappings keep their data. Refused (EINVAL) over locked pages.
 */
function dontNeed(s: SpaceState, start: number, end: number): undefined {
  const ps = s.pageSize;
  for (let a = start; a < end; a += ps) {
    if (s.locked.has(a)) throw new InvalidArgumentError('address', a, 'a page that is not locked: dontneed over locked pages is refused (EINVAL)');
  }
  s.regions.each(start, end, (r, from, to) => {
    if (r.share !== 'private') return;
    const top = r.level as Shadow;
    for (let idx = r.page + (from - r.start) / ps, last = r.page + (to - r.start) / ps; idx < last; idx++) {
      top.owned.delete(idx);
      if (top.backing instanceof Shadow) (top.dropped ??= new Set()).add(idx);
    }
  });
  s.changed();
  return undefined;
}

/** Faults the pages of `start .. end` in for reading, as MAP_POPULATE and willneed do; failures are only advice's. */
export async function populate(s: SpaceState, start: number, end: number): Promise<void> {
  const ps = s.pageSize;
  const t = s.translator;
  for (let a = start; a < end; a += ps) {
    const r = s.regions.lookup(a);
    if (r === undefined || s.destroyed) return; // unmapped meanwhile
    if (t.translate(r.level, r.page + (a - r.start) / ps, false, false) !== Translation.Page) continue;
    try {
      await t.object!.request(t.page, 'read');
    } catch {
      // A page that cannot come in now faults again when touched, and reports its error then.
    }
  }
}
