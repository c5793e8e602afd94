import { writeRun } from './launder.js';
import type { MemoryObjectRep } from './memory-object-rep.js';

/**
 * Flush: every dirty page written back and kept resident (msync, fsync), in runs of contiguous pages so
 * a pager can join them into one write (`pageOutRun`). Unlike eviction nothing leaves the cache, so each
 * answer only decides whether the page is clean now or stays dirty (launder.ts writes the runs, as it
 * does for the reclaimer's write-behind).
 */

/** Most pages `flush()` hands the pager in one `pageOutRun`. */
export const MAX_FLUSH_RUN = 64;

/**
 * Pages out every dirty page; resolves to the number of pages written. If a page-out fails (DeviceFull,
 * NotImplemented, an I/O error) every other page is still tried, the failed pages stay resident and dirty,
 * and the first error is thrown at the end.
 */
export async function flush(rep: MemoryObjectRep): Promise<number> {
  const frames = rep.frames;
  rep.shared?.fold();
  const pages: number[] = [];
  rep.cache.iterate((page, frame) => {
    if (frames.isDirtyOrPagingOut(frame)) pages.push(page);
  });
  pages.sort((a, b) => a - b);
  let written = 0;
  let failure: Error | undefined;
  for (let i = 0; i < pages.length;) {
    if (rep.destroyed) throw rep.destroyedError();
    const frame = rep.cache.lookup(pages[i]!);
    if (frame >= 0 && frames.isBusy(frame)) {
      await frames.changed(); // an eviction's page-out is in flight: see how it ends, then look again
      continue;
    }
    // The run: this page and the following ones, while they are resident, dirty, idle and contiguous.
    const run: number[] = [];
    for (let j = i; j < pages.length && run.length < MAX_FLUSH_RUN; j++) {
      const f = rep.cache.lookup(pages[j]!);
      const ok = f >= 0 && frames.isFlushable(f);
      if (!ok || (run.length > 0 && pages[j] !== pages[i]! + run.length)) break;
      run.push(f);
    }
    if (run.length === 0) {
      i++;
      continue;
    }
    const result = await writeRun(rep, pages[i]!, run);
    if (rep.destroyed) throw rep.destroyedError();
    written += result.written;
    failure ??= result.failure;
    i += run.length;
  }
  if (failure) throw failure;
  return written;
}
