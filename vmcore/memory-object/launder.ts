import { PagerFailedError, PagerIoError, PagerProtocolError } from '../errors.js';
import type { FrameState } from '../frames/frame-state.js';
import { isResultCode, ResultCode } from '../pager/result-code.js';
import { isPromise, type MaybePromise } from '../util/maybe-promise.js';
import type { MemoryObjectRep } from './memory-object-rep.js';

/**
 * Write-back runs that keep their pages resident, shared by flush (flush.ts) and by the reclaimer's
 * write-behind (page-out.ts), as FreeBSD's page daemon launders: a dirty victim is written back with the
 * dirty pages around it in one `pageOutRun`, and stays resident while that runs; once clean, the next scan
 * drops it without I/O. A reclaimer whose laundering goes asynchronous does not wait for it: it takes the
 * next victim that can go now, and waits only when none can.
 *
 *   launder(victim) ─ gatherRun: dirty, idle, resident pages of its object around it ─▶ writeRun
 *   writeRun ─ beginPageOut each ─▶ pager.pageOutRun ─▶ settleRun: each page clean (written) or dirty again
 *
 * Invariants:
 * - Laundering never drops a page: it only cleans it. Dropping is the reclaimer's (page-out.ts), for a clean
 *   page, after the pager answered Success or AlreadyPagedOut for it; a page the pager does not have back
 *   is never dropped.
 * - A page written during its laundering stays dirty: `beginPageOut` cleared D before the pager read the
 *   bytes, so the write sets it again, and settling never clears it.
 * - A failed laundering (DeviceFull, NotImplemented, PagerDestroyed, a throw or a rejection, a nonsense
 *   answer) leaves every page of the run resident and dirty, reports it (`deviceFull`, `pageOutFailed`) and
 *   moves the pages to the queue's tail; the reclaimer that started it does not launder them again during
 *   the same allocation, so it never loops on them.
 * - Destroyed during a laundering: its frames are orphans (frame-state.ts) and `endPageOut` frees them;
 *   settling touches neither the cache nor the queue of a destroyed object, so no frame is leaked.
 * - A laundering is Busy frames: an allocation waiting for frames waits only while one is in flight, and
 *   it ends by itself when the pager answers. At most `launderTarget` pages of a pool are laundered at once.
 */

/** Most pages one laundering hands the pager in one `pageOutRun` (FreeBSD's page-out cluster is 32). */
export const MAX_LAUNDER_RUN = 32;

/** Pages laundered at once in a pool of `frames` before the reclaimer passes dirty victims over instead. */
export function launderTarget(frames: number): number {
  return Math.max(MAX_LAUNDER_RUN, frames >> 3);
}

/** How one page of a written run ended. */
export const enum RunPage {
  /** The pager has it (Success, AlreadyPagedOut): clean unless written meanwhile. */
  Written = 0,
  /** The pager refused it (DeviceFull, NotImplemented, PagerDestroyed): dirty, resident. */
  Refused = 1,
  /** The pager threw, rejected or answered nonsense: dirty, resident, reported. */
  Failed = 2,
}

export interface RunResult {
  /** Per page of the run. */
  pages: RunPage[];
  written: number;
  /** The first failure of any kind, as flush throws it. */
  failure: Error | undefined;
  /** The first I/O or protocol error (a Failed page), as an eviction throws it. */
  error: Error | undefined;
}

/** One laundering started by a reclaimer: it learns how it ended once it is `done`. */
export interface Laundering {
  readonly rep: MemoryObjectRep;
  /** The frames written, of pages `first ..`. */
  readonly run: readonly number[];
  readonly first: number;
  /** Where the victim is in `run`. */
  readonly victim: number;
  done: boolean;
  result: RunResult | undefined;
  /** The pool's count of pages in laundering. */
  readonly laundry: { pages: number };
}

/**
 * Objects whose pager answered a page-out asynchronously: their launderings take the dirty run around the
 * victim. A synchronous pager gains nothing from writing neighbours early (the faulter waits either way),
 * so its victim is written alone, exactly as one page-out.
 */
const writesBehind = new WeakSet<MemoryObjectRep>();

/** Pages being laundered now, per pool. */
const inLaundry = new WeakMap<FrameState, { pages: number }>();

/** Pages of the pool of `frames` being laundered now. */
export function launderingPages(frames: FrameState): number {
  return inLaundry.get(frames)?.pages ?? 0;
}

/**
 * Launders the dirty victim `frame` and the dirty run around it. The laundering is `done` at once when the
 * pager answered synchronously; else it settles by itself.
 */
export function launder(rep: MemoryObjectRep, frame: number): Laundering {
  const page = rep.frames.pageOf(frame);
  const clusters = writesBehind.has(rep);
  const first = clusters ? runStart(rep, page) : page;
  const run = clusters ? gatherRun(rep, first, frame, page) : [frame];
  let laundry = inLaundry.get(rep.frames);
  if (laundry === undefined) inLaundry.set(rep.frames, (laundry = { pages: 0 }));
  const laundering: Laundering = { rep, run, first, victim: page - first, done: false, result: undefined, laundry };
  laundry.pages += run.length;
  if (isPromise(writeRun(rep, first, run, laundering))) writesBehind.add(rep);
  return laundering;
}

/** The first page of the run around `page`: up to half a run of dirty, idle pages before it. */
function runStart(rep: MemoryObjectRep, page: number): number {
  let first = page;
  while (first > 0 && page - first < MAX_LAUNDER_RUN >> 1 && flushable(rep, first - 1)) first--;
  return first;
}

/** Frames of pages `first ..` through the victim and on while dirty and idle, at most MAX_LAUNDER_RUN. */
function gatherRun(rep: MemoryObjectRep, first: number, frame: number, page: number): number[] {
  const run: number[] = [];
  for (let p = first; p < page; p++) run.push(rep.cache.lookup(p));
  run.push(frame);
  for (let p = page + 1; p < rep.pageCount && run.length < MAX_LAUNDER_RUN && flushable(rep, p); p++) run.push(rep.cache.lookup(p));
  return run;
}

function flushable(rep: MemoryObjectRep, page: number): boolean {
  const f = rep.cache.lookup(page);
  return f >= 0 && rep.frames.isFlushable(f);
}

/**
 * Pages out one run of dirty, idle frames holding `firstPage`, `firstPage + 1`, ... and settles each
 * answer; every page stays resident. Synchronous when the pager answers synchronously.
 */
export function writeRun(rep: MemoryObjectRep, firstPage: number, run: readonly number[], laundering?: Laundering): MaybePromise<RunResult> {
  const frames = rep.frames;
  for (const f of run) frames.beginPageOut(f);
  let answer: ResultCode[] | Promise<ResultCode[]>;
  try {
    answer = rep.pager.pageOutRun(
      firstPage,
      run.map((f) => rep.pool.view(f)),
    );
  } catch (err) {
    return settleRun(rep, firstPage, run, { thrown: err }, laundering);
  }
  if (!isPromise(answer)) return settleRun(rep, firstPage, run, answer, laundering);
  return Promise.resolve(answer).then(
    (codes) => settleRun(rep, firstPage, run, codes, laundering),
    (err: unknown) => settleRun(rep, firstPage, run, err instanceof Error || !Array.isArray(err) ? { thrown: err } : err, laundering),
  );
}

/**
 * What each page's answer makes of it: clean (the pager has it) or dirty again, with its events. For a
 * laundering, in the same step (nobody may see the frames idle before): pages that did not go back to the
 * pager move to the queue's tail, so the next scan looks elsewhere first, and the laundering is done.
 */
function settleRun(rep: MemoryObjectRep, firstPage: number, run: readonly number[], codes: unknown, laundering: Laundering | undefined): RunResult {
  const frames = rep.frames;
  const result: RunResult = { pages: [], written: 0, failure: undefined, error: undefined };
  run.forEach((frame, i) => {
    const page = firstPage + i;
    frames.endPageOut(frame); // an orphan (its object destroyed meanwhile) goes back to the pool here
    const code: unknown = Array.isArray(codes) ? codes[i] : undefined;
    if (code === ResultCode.Success || code === ResultCode.AlreadyPagedOut) result.pages.push(RunPage.Written);
    else
      result.pages.push(
        code === ResultCode.DeviceFull || code === ResultCode.NotImplemented || code === ResultCode.PagerDestroyed ? RunPage.Refused : RunPage.Failed,
      );
    if (rep.destroyed) return;
    if (isResultCode(code) && rep.heard) rep.emit('pageOut', { object: rep.self, page, dirty: true, result: code });
    if (result.pages[i] === RunPage.Written) {
      rep.pageOuts++;
      result.written++;
      return;
    }
    frames.markDirty(frame);
    if (code === ResultCode.DeviceFull) {
      if (rep.heard) rep.emit('deviceFull', { object: rep.self, page });
      result.failure ??= new PagerFailedError(rep.name, page, 'pageOut', code, 'the page stays resident and dirty');
    } else if (code === ResultCode.NotImplemented || code === ResultCode.PagerDestroyed) {
      rep.pageOutUnsupported = true;
      result.failure ??= new PagerFailedError(rep.name, page, 'pageOut', code, 'the pager cannot page out; the page stays resident and dirty');
    } else {
      const thrown = !Array.isArray(codes);
      const error = pageOutFailed(
        rep,
        page,
        thrown ? new PagerIoError(rep.name, page, 'pageOut', (codes as { thrown: unknown }).thrown) : new PagerProtocolError(rep.name, page, 'pageOut', code),
      );
      result.failure ??= error;
      result.error ??= error;
    }
    if (laundering !== undefined && frames.isQueued(frame)) rep.queue.requeue(frame, rep.keyOf(page));
  });
  if (laundering !== undefined) {
    laundering.laundry.pages -= run.length;
    laundering.result = result;
    laundering.done = true;
  }
  return result;
}

/** Reports a page-out that threw or answered nonsense (the page stays resident and dirty); answers the error to throw. */
export function pageOutFailed(rep: MemoryObjectRep, page: number, error: Error): Error {
  if (rep.heard) rep.emit('pageOutFailed', { object: rep.self, page, error });
  return error;
}
