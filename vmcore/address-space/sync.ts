/**
 * Write-back of mappings: msync, and the end of mappings (munmap, destroy, a MAP_FIXED replacing them),
 * which writes a shared file mapping's pages back before it lets the file go.
 */
import { Base, release } from './levels.js';
import { unlockRange } from './lock.js';
import type { Region } from './regions.js';
import type { SpaceState } from './state.js';

export interface SyncOptions {
  /** Drop private copies in the range, so the file (or object) shows again (MS_INVALIDATE). */
  invalidate?: boolean;
  /** Start the write-back and resolve at once (MS_ASYNC); an error is reported by the next sync or unmap. */
  async?: boolean;
}

/**
 * msync of the checked, mapped range `start .. end`: every Base the range maps is synced (a file's pages are
 * one set, whichever mapping dirtied them). Each base is held while its sync runs, so an unmap meanwhile does
 * not close it under the sync. With `async`, resolves at once and leaves a failure for the next sync or unmap.
 */
export async function syncRange(s: SpaceState, start: number, end: number, async: boolean): Promise<void> {
  const bases = new Set<Base>();
  s.regions.each(start, end, (r) => {
    if (r.level instanceof Base) bases.add(r.level);
  });
  const list = [...bases];
  for (const b of list) b.refs++;
  const work = list.map((b) =>
    syncBase(b).finally(() => {
      const ends: Array<Promise<unknown>> = [];
      release(b, ends);
      return Promise.allSettled(ends);
    }),
  );
  if (async) {
    work.forEach((w, i) => w.catch((err: unknown) => void (list[i]!.asyncError ??= err)));
    return;
  }
  const failed = (await Promise.allSettled(work)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * Ends regions taken out of the map: unlocks their pages, syncs shared file mappings (whichever mapping
 * dirtied the pages), then drops their references. Rejects with the first failure, after doing all of it.
 */
export async function retire(s: SpaceState, removed: Region[]): Promise<void> {
  if (removed.length === 0) return;
  for (const r of removed) unlockRange(s, r.start, r.end);
  const bases = new Set<Base>();
  for (const r of removed) if (r.level instanceof Base && r.level.file !== undefined) bases.add(r.level);
  const failures: unknown[] = [];
  for (const result of await Promise.allSettled([...bases].map((b) => syncBase(b)))) if (result.status === 'rejected') failures.push(result.reason);
  const ends: Array<Promise<unknown>> = [];
  for (const r of removed) release(r.level, ends);
  for (const result of await Promise.allSettled(ends)) if (result.status === 'rejected') failures.push(result.reason);
  if (failures.length > 0) throw failures[0];
}

/** Writes a base's dirty pages back (a file: durably), then reports an earlier background sync's failure, once. */
async function syncBase(b: Base): Promise<void> {
  if (b.file) await b.file.sync();
  else await b.object.flush();
  const earlier = b.asyncError;
  if (earlier !== undefined) {
    b.asyncError = undefined;
    throw earlier;
  }
}
