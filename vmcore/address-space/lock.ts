/**
 * mlock and munlock: pages pinned in their objects so they are never reclaimed. The space keeps one pin per
 * locked page, by the page's address (SpaceState.locked); locks do not nest and are not inherited by a fork.
 */
import { DestroyedError } from '../errors.js';
import { UnmappedRangeError } from './errors.js';
import type { Shadow } from './levels.js';
import { PROT } from './prot.js';
import type { SpaceState } from './state.js';
import { Translation } from './translate.js';
import { copyUp, MAX_ROUNDS } from './trap.js';

/**
 * Faults every page of the checked, mapped range in and pins it. A writable private page is copied up first,
 * as Linux's mlock does, so the pinned page is the one writes go to; the zero page and pages past the end
 * of a file have nothing to pin. On failure the pages this call locked are unlocked again.
 */
export async function lock(s: SpaceState, start: number, end: number): Promise<void> {
  const ps = s.pageSize;
  const t = s.translator;
  const mine: number[] = [];
  try {
    for (let a = start; a < end; a += ps) {
      if (s.locked.has(a)) continue;
      for (let round = 1; ; round++) {
        s.checkAlive();
        const r = s.regions.lookup(a);
        if (r === undefined) throw new UnmappedRangeError(start, end - start, a);
        const idx = r.page + (a - r.start) / ps;
        const st = t.translate(r.level, idx, r.share === 'private' && (r.prot & PROT.WRITE) !== 0);
        if (st === Translation.Zero || st === Translation.BusError) break; // the zero page is always there; past the end there is nothing
        if (st === Translation.CopyNeeded) {
          await copyUp(s, r.level as Shadow, idx, t.object, t.page);
          continue;
        }
        const object = t.object!;
        const page = t.page;
        try {
          await object.lock(page);
        } catch (err) {
          if (err instanceof DestroyedError && round < MAX_ROUNDS) continue;
          throw err;
        }
        if (s.locked.has(a) || s.destroyed)
          object.unlock(page); // locked meanwhile, or the space is gone
        else {
          s.locked.set(a, { object, page });
          mine.push(a);
        }
        break;
      }
    }
  } catch (err) {
    for (const a of mine) unlockPage(s, a);
    throw err;
  }
}

/** Unpins the locked pages of `start .. end`. */
export function unlockRange(s: SpaceState, start: number, end: number): void {
  if (s.locked.size === 0) return;
  for (const a of [...s.locked.keys()]) if (a >= start && a < end) unlockPage(s, a);
}

function unlockPage(s: SpaceState, address: number): void {
  const lock = s.locked.get(address);
  if (lock === undefined) return;
  s.locked.delete(address);
  if (!lock.object.isDestroyed) lock.object.unlock(lock.page);
}

/** Moves the locks of `start .. end` by `delta` bytes, with the pages remap moved. */
export function moveLocks(s: SpaceState, start: number, end: number, delta: number): void {
  for (const [a, lock] of [...s.locked]) {
    if (a >= start && a < end) {
      s.locked.delete(a);
      s.locked.set(a + delta, lock);
    }
  }
}
