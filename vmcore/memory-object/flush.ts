import { PagerFailedError, PagerIoError, PagerProtocolError } from '../errors.js';
import { isResultCode, ResultCode } from '../pager/result-code.js';
import type { MemoryObjectRep } from './memory-object-rep.js';
import { pageOutFailed } from './page-out.js';

/**
 * Flush: every dirty page written back and kept resident (msync, fsync), in runs of contiguous pages so
 * a pager can join them into one write (`pageOutRun`). Unlike eviction nothing leaves the cache, so each
 * answer only decides whether the page is clean now or stays dirty.
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
    const result = await flushRun(rep, pages[i]!, run);
    written += result.written;
    failure ??= result.failure;
    i += run.length;
  }
  if (failure) throw failure;
  return written;
}

/** Pages out one run of dirty frames holding `firstPage`, `firstPage + 1`, ... and settles each answer. */
async function flushRun(rep: MemoryObjectRep, firstPage: number, run: number[]): Promise<{ written: number; failure: Error | undefined }> {
  const frames = rep.frames;
  for (const f of run) frames.beginPageOut(f);
  let codes: unknown;
  try {
    codes = await rep.pager.pageOutRun(
      firstPage,
      run.map((f) => rep.pool.view(f)),
    );
  } catch (err) {
    codes = err instanceof Error || !Array.isArray(err) ? { thrown: err } : err;
  }
  let written = 0;
  let failure: Error | undefined;
  run.forEach((frame, i) => {
    const page = firstPage + i;
    frames.endPageOut(frame);
    if (rep.destroyed) return;
    const code: unknown = Array.isArray(codes) ? codes[i] : undefined;
    if (isResultCode(code) && rep.heard) rep.emit('pageOut', { object: rep.self, page, dirty: true, result: code });
    if (code === ResultCode.Success || code === ResultCode.AlreadyPagedOut) {
      rep.pageOuts++;
      written++;
    } else {
      frames.markDirty(frame);
      if (code === ResultCode.DeviceFull) {
        if (rep.heard) rep.emit('deviceFull', { object: rep.self, page });
        failure ??= new PagerFailedError(rep.name, page, 'pageOut', code, 'the page stays resident and dirty');
      } else if (code === ResultCode.NotImplemented || code === ResultCode.PagerDestroyed) {
        rep.pageOutUnsupported = true;
        failure ??= new PagerFailedError(rep.name, page, 'pageOut', code, 'the pager cannot page out; the page stays resident and dirty');
      } else if (!Array.isArray(codes)) {
        failure ??= pageOutFailed(rep, page, new PagerIoError(rep.name, page, 'pageOut', (codes as { thrown: unknown }).thrown));
      } else failure ??= pageOutFailed(rep, page, new PagerProtocolError(rep.name, page, 'pageOut', code));
    }
  });
  if (rep.destroyed) throw rep.destroyedError();
  return { written, failure };
}
