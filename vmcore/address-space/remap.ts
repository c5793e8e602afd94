/** mremap: a mapping shrunk, grown in place, or moved with its pages, contents and locks. */
import { InvalidArgumentError } from '../errors.js';
import { RemapError } from './errors.js';
import { Shadow } from './levels.js';
import { moveLocks } from './lock.js';
import type { Region } from './regions.js';
import type { SpaceState } from './state.js';
import { retire } from './sync.js';

export interface RemapOptions {
  /** Let the range move to another address when it cannot grow where it is (MREMAP_MAYMOVE). Default false. */
  move?: boolean;
  /** Move it exactly here, replacing whatever was mapped there (MREMAP_FIXED; needs `move`). */
  address?: number;
}

/**
 * Resizes the checked, mapped range `start .. end` (it must lie within one mapping) to `length` bytes, at
 * `target` if given (then `move` is true). Resolves to the mapping's address.
 */
export async function remap(s: SpaceState, start: number, end: number, length: number, move: boolean, target: number | undefined): Promise<number> {
  const r = s.regions.lookup(start)!;
  if (r.end < end) throw new InvalidArgumentError('address', start, 'a range within one mapping (EFAULT)');
  if (r.share === 'shared' && r.level instanceof Shadow && length > end - start && r.level.object !== undefined) {
    throw new RemapError(start, 'shared anonymous memory that has been written cannot grow');
  }
  if (target === undefined && length <= end - start) {
    if (length < end - start) await retire(s, s.regions.cut(start + length, end));
    return start;
  }
  const grow = length - (end - start);
  if (target === undefined && end === r.end && s.regions.free(end, end + grow)) {
    s.regions.splitAt(start);
    growRegion(s, s.regions.lookup(start)!, end + grow);
    return start;
  }
  if (!move) throw new RemapError(start, `the ${grow} bytes after it are not free, and move is not allowed`);
  const to = target ?? s.regions.findFree(undefined, length);
  // Take the range out without releasing its levels, then put the same pieces back at `to`.
  const moving = s.regions.cut(start, end);
  const removed = target !== undefined ? s.regions.cut(to, to + length) : [];
  for (const piece of moving) {
    piece.start += to - start;
    piece.end += to - start;
    s.regions.insert(piece);
  }
  growRegion(s, moving[moving.length - 1]!, to + length);
  const retiring = retire(s, removed); // unlocks what it replaced at once, before the moved locks land there
  moveLocks(s, start, end, to - start);
  await retiring;
  return to;
}

/** Extends `r` (the last piece of a mapping) to end at `end`; a private chain gets a larger top shadow over the old one. */
function growRegion(s: SpaceState, r: Region, end: number): void {
  const ps = s.pageSize;
  const need = r.page + (end - r.start) / ps;
  const l = r.level;
  if (l instanceof Shadow && r.share === 'shared') {
    // Shared anonymous memory is one object for every piece and every sharer: it grows while unwritten.
    if (need > l.pages) l.pages = need;
  } else if (l instanceof Shadow) {
    // A new top over the old one, whose grown pages read the bottom of the chain: the old top may hold
    // other pieces' private copies at those indices. It takes over r's reference to the old top.
    const top = new Shadow(Math.max(need, l.pages), l, 0, s.label('private'));
    top.skipFrom = r.page + (r.end - r.start) / ps;
    r.level = top;
  }
  r.end = end;
  s.changed();
}
