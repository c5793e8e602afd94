import { PagerFailedError, PagerIoError, PagerProtocolError } from '../errors.js';
import type { Access } from '../pager/access.js';
import { RUN_STRETCHES } from '../pager/pager.js';
import { ResultCode, type PagerAnswer } from '../pager/result-code.js';
import { Deferred, isPromise, type MaybePromise } from '../util/maybe-promise.js';
import { destroyWith } from './life-cycle.js';
import type { Inflight, MemoryObjectRep } from './memory-object-rep.js';
import { allocateFrame, allocateFrameNow } from './page-out.js';

/**
 * The fault path (page-in), read top to bottom as FreeBSD's `vm_fault.c`: one walk per fault.
 *
 *   fault ─ resident? ──────────────────────────────▶ the frame (a hit)
 *         ─ in flight? ─────────────────────────────▶ wait for that page-in
 *         ─ pageInFresh: allocateFrame ─▶ a run? ─ no ─▶ fill: pager.pageIn ─▶ settleIn ─▶ the frame
 *                                                 ─ yes ─▶ fillRun: frames for the pages after it that come
 *                                                          at once (allocateFrameNow) ─▶ pager.pageInRun
 *                                                          ─▶ settleRun: read-ahead pages in, then settleIn
 *
 * Invariants:
 * - The pager is asked for a page only when it is neither resident nor in flight, and never once the
 *   object is destroyed. A page is in `inflight` only after its page-in went asynchronous: a pager that
 *   answers synchronously costs no promise and no map entry.
 * - The frame being filled is Busy (frame-state.ts) from `beginPageIn` until `endPageIn` or
 *   `abortPageIn`: nobody reclaims it, and it enters the cache only when the pager answered Success.
 * - A faulter that will copy (`pin`) holds exactly one transient pin once the page is resident: taken on a
 *   hit, granted from `pending.pins` the moment the page-in lands (before anyone can reclaim the frame),
 *   and released by the caller after its copy. A waiter whose object was destroyed meanwhile has its pin
 *   released here and is rejected.
 * - AlreadyPagedIn (someone else supplied the page): look again, ask again on a later turn, at most
 *   MAX_PAGE_IN_RETRIES times. PagerDestroyed, DeviceFull and NotImplemented are catastrophic (SPIN): the
 *   fault fails with the pager's code and the object is destroyed; this page's waiters get that error.
 * - A run (FreeBSD's getpages) reads the faulting page and up to `pageInRunLength - 1` pages after it in one
 *   `pageInRun`. Read-ahead pages are those neither resident nor in flight, within the object, for which a
 *   frame comes without I/O or waiting; the run stops at the first that is not. While an asynchronous run is
 *   out, each read-ahead page is in `inflight` like any other. Only the faulting page's answer decides the
 *   fault: a read-ahead page answering anything but Success is dropped, and its waiters, if any, fault it
 *   again on their own. Read-ahead pages join the queue unreferenced, and count as page-ins, not faults.
 */

/** Most pages one run page-in brings, whatever the pager asks: a guess must not sweep the pool. */
export const MAX_PAGE_IN_RUN = 256;

/** How many times a page-in answering AlreadyPagedIn is asked again before the fault fails. */
export const MAX_PAGE_IN_RETRIES = 8;

const noop = (): void => {};

/**
 * The frame holding `page`, paging it in if needed. With `pin`, one transient pin is held for the caller,
 * who must `frames.unpin(frame, true)` after use, so the frame cannot be reclaimed between the fault's end
 * and the caller's copy.
 */
export function fault(rep: MemoryObjectRep, page: number, access: Access, pin: boolean): MaybePromise<number> {
  const frame = rep.cache.lookup(page);
  if (frame >= 0) {
    rep.queue.policy.access(frame);
    if (pin) rep.frames.pin(frame, 1, true);
    return frame;
  }
  if (rep.destroyed) throw rep.destroyedError();
  const pending = rep.inflight.get(page);
  if (pending) {
    if (pin) pending.pins++;
    pending.deferred ??= new Deferred();
    return pending.deferred.promise;
  }
  return pageInFresh(rep, page, access, pin);
}

/** `fault` for a caller that wants only to know when the page is resident: undefined when it already is. */
export function request(rep: MemoryObjectRep, page: number, access: Access): Promise<void> | undefined {
  const frame = fault(rep, page, access, false);
  return isPromise(frame) ? frame.then(noop) : undefined;
}

/**
 * A page neither resident nor in flight: a frame, then the pager. `pending` is given when waiters of a
 * read-ahead page that did not come fault it again: it carries their pins and their deferred.
 */
function pageInFresh(rep: MemoryObjectRep, page: number, access: Access, pin: boolean, pending?: Inflight): MaybePromise<number> {
  rep.faults++;
  if (rep.heard) rep.emit('fault', { object: rep.self, page, access });
  pending ??= { deferred: undefined, pins: pin ? 1 : 0 };
  let result: MaybePromise<number>;
  const frame = allocateFrame(rep.queue);
  if (isPromise(frame)) result = frame.then((f) => start(rep, page, f, access, pending));
  else {
    result = start(rep, page, frame, access, pending);
    if (!isPromise(result)) {
      pending.deferred?.resolve(result); // waiters of a read-ahead page faulting it again
      return result; // a synchronous fault: settleIn granted the pins
    }
  }
  // The fault goes asynchronous: from now on later faulters of the page wait on this one.
  rep.inflight.set(page, pending);
  const deferred = (pending.deferred ??= new Deferred());
  result.then(
    (frame) => {
      if (rep.inflight.get(page) === pending) rep.inflight.delete(page);
      if (rep.destroyed) {
        for (let i = 0; i < pending.pins; i++) rep.frames.unpin(frame, true);
        return deferred.reject(rep.destroyedError());
      }
      deferred.resolve(frame);
    },
    (err: unknown) => {
      if (rep.inflight.get(page) === pending) rep.inflight.delete(page);
      deferred.reject(err);
    },
  );
  return deferred.promise;
}

/** Fills the faulting page's frame: alone, or at the head of a run when the pager reads runs. */
function start(rep: MemoryObjectRep, page: number, frame: number, access: Access, pending: Inflight): MaybePromise<number> {
  if (rep.readsRuns && !rep.destroyed) {
    const want = rep.pager.pageInRunLength(page, access);
    if (want > 1) {
      const run = gatherRun(rep, page, frame, want);
      if (run.length > 1) return fillRun(rep, page, run, access, pending);
    }
  }
  return fill(rep, page, frame, access, 0, pending);
}

/** `frame` and a frame for each following page that can join its run, each taken now or not at all. */
function gatherRun(rep: MemoryObjectRep, page: number, frame: number, want: number): number[] {
  const run = [frame];
  const end = Math.min(page + Math.min(want, MAX_PAGE_IN_RUN, Math.max(1, rep.frames.frames >> 2)), rep.pageCount);
  for (let p = page + 1; p < end; p++) {
    if (rep.cache.lookup(p) >= 0 || (rep.inflight.size !== 0 && rep.inflight.has(p))) break;
    const f = allocateFrameNow(rep.queue);
    if (f < 0) break;
    run.push(f);
  }
  return run;
}

/** Asks the pager to fill the frames of `run` (pages `page ..`) in one call. */
function fillRun(rep: MemoryObjectRep, page: number, run: number[], access: Access, pending: Inflight): MaybePromise<number> {
  const frames = rep.frames;
  const views: Uint8Array[] = [];
  // Stretches of adjacent frames (consecutive numbers in one chunk), counted back from the run's end.
  const stretches = new Uint16Array(run.length);
  for (let i = run.length - 1; i >= 0; i--) {
    const f = run[i]!;
    stretches[i] = i + 1 < run.length && run[i + 1] === f + 1 && ((f + 1) & rep.chunkMask) !== 0 ? stretches[i + 1]! + 1 : 1;
  }
  for (let i = 0; i < run.length; i++) {
    if (frames.beginPageIn(run[i]!, rep.id, page + i) && !rep.fillsWhole) rep.pool.zero(run[i]!);
    views.push(rep.pool.view(run[i]!));
  }
  RUN_STRETCHES.set(views, stretches);
  let answer: ResultCode[] | Promise<ResultCode[]>;
  try {
    answer = rep.pager.pageInRun(page, views, access);
  } catch (err) {
    for (const f of run) frames.abortPageIn(f);
    throw new PagerIoError(rep.name, page, 'pageIn', err);
  }
  if (!isPromise(answer)) return settleRun(rep, page, run, access, answer, pending, undefined);
  // The run goes asynchronous: its read-ahead pages are in flight, so their faulters wait on it.
  const ahead: Inflight[] = [];
  for (let i = 1; i < run.length; i++) {
    const entry: Inflight = { deferred: undefined, pins: 0 };
    rep.inflight.set(page + i, entry);
    ahead.push(entry);
  }
  return Promise.resolve(answer).then(
    (codes) => settleRun(rep, page, run, access, codes, pending, ahead),
    (err: unknown) => {
      for (const f of run) frames.abortPageIn(f);
      if (!rep.destroyed) for (let i = 1; i < run.length; i++) aheadMissed(rep, page + i, access, ahead[i - 1]!);
      throw rep.destroyed ? rep.destroyedError() : new PagerIoError(rep.name, page, 'pageIn', err);
    },
  );
}

/** The run's answers: its read-ahead pages go in or are dropped, then the faulting page settles as alone. */
function settleRun(
  rep: MemoryObjectRep,
  page: number,
  run: number[],
  access: Access,
  codes: unknown,
  pending: Inflight,
  ahead: Inflight[] | undefined,
): MaybePromise<number> {
  const frames = rep.frames;
  const answers = Array.isArray(codes) && codes.length === run.length ? (codes as unknown[]) : undefined;
  for (let i = 1; i < run.length; i++) {
    const frame = run[i]!;
    const entry = ahead?.[i - 1];
    if (entry !== undefined && rep.inflight.get(page + i) === entry) rep.inflight.delete(page + i);
    if (rep.destroyed || answers?.[i] !== ResultCode.Success) {
      frames.abortPageIn(frame);
      if (entry !== undefined && !rep.destroyed) aheadMissed(rep, page + i, access, entry);
      continue;
    }
    frames.endPageIn(frame);
    rep.cache.update(page + i, frame);
    rep.queue.issue(frame, rep.keyOf(page + i));
    rep.pageIns++;
    if (rep.heard) rep.emit('pageIn', { object: rep.self, page: page + i, frame });
    if (entry?.deferred !== undefined) {
      if (entry.pins > 0) frames.pin(frame, entry.pins, true);
      entry.deferred.resolve(frame);
    }
  }
  return settleIn(rep, page, run[0]!, access, 0, answers === undefined ? codes : answers[0], pending);
}

/** A read-ahead page that did not come in: whoever waits for it faults it on their own. */
function aheadMissed(rep: MemoryObjectRep, page: number, access: Access, entry: Inflight): void {
  if (rep.inflight.get(page) === entry) rep.inflight.delete(page);
  if (entry.deferred === undefined) return;
  const deferred = entry.deferred;
  try {
    const again = pageInFresh(rep, page, access, false, entry);
    if (isPromise(again)) again.catch(noop); // its deferred, the waiters' promise, carries the outcome
  } catch (err) {
    deferred.reject(err);
  }
}

/** Asks the pager to fill `frame` with `page`; `pending` holds the pins to grant when it lands. */
function fill(rep: MemoryObjectRep, page: number, frame: number, access: Access, attempt: number, pending: Inflight): MaybePromise<number> {
  const frames = rep.frames;
  // A destroyed pager is never asked again (a retry after AlreadyPagedIn may find the object gone).
  if (rep.destroyed) {
    if (frames.isBusy(frame)) frames.abortPageIn(frame);
    else frames.free(frame);
    throw rep.destroyedError();
  }
  if (rep.zeroFills) {
    // The bogopager's page-in is a zeroed frame: done here, without a view or a call (a zero-fill fault's cost).
    if (frames.beginPageIn(frame, rep.id, page)) rep.pool.zero(frame);
    return settleIn(rep, page, frame, access, attempt, ResultCode.Success, pending);
  }
  if (attempt === 0 && frames.beginPageIn(frame, rep.id, page) && !rep.fillsWhole) rep.pool.zero(frame);
  let answer: PagerAnswer;
  try {
    answer = rep.pager.pageIn(page, rep.pool.view(frame), access);
  } catch (err) {
    frames.abortPageIn(frame);
    throw new PagerIoError(rep.name, page, 'pageIn', err);
  }
  if (!isPromise(answer)) return settleIn(rep, page, frame, access, attempt, answer, pending);
  return Promise.resolve(answer).then(
    (code) => settleIn(rep, page, frame, access, attempt, code, pending),
    (err: unknown) => {
      frames.abortPageIn(frame);
      throw rep.destroyed ? rep.destroyedError() : new PagerIoError(rep.name, page, 'pageIn', err);
    },
  );
}

/** What the memory object does with each page-in answer (the README's table). */
function settleIn(rep: MemoryObjectRep, page: number, frame: number, access: Access, attempt: number, code: unknown, pending: Inflight): MaybePromise<number> {
  const frames = rep.frames;
  if (rep.destroyed) {
    frames.abortPageIn(frame);
    throw rep.destroyedError();
  }
  switch (code) {
    case ResultCode.Success:
      frames.endPageIn(frame);
      rep.cache.update(page, frame);
      rep.queue.issue(frame, rep.keyOf(page));
      // Pinned the moment it is reclaimable, so no one evicts it before its faulters have used it.
      if (pending.pins > 0) frames.pin(frame, pending.pins, true);
      rep.pageIns++;
      if (rep.heard) rep.emit('pageIn', { object: rep.self, page, frame });
      return frame;
    case ResultCode.AlreadyPagedIn: {
      // Another party supplied the page: look again, and ask again a bounded number of times.
      const existing = rep.cache.lookup(page);
      if (existing >= 0) {
        frames.abortPageIn(frame);
        if (pending.pins > 0) frames.pin(existing, pending.pins, true);
        return existing;
      }
      if (attempt + 1 >= MAX_PAGE_IN_RETRIES) {
        frames.abortPageIn(frame);
        throw new PagerFailedError(
          rep.name,
          page,
          'pageIn',
          ResultCode.AlreadyPagedIn,
          `answered AlreadyPagedIn ${MAX_PAGE_IN_RETRIES} times but the page never appeared`,
        );
      }
      return new Promise<void>((resolve) => setImmediate(resolve)).then(() => fill(rep, page, frame, access, attempt + 1, pending));
    }
    case ResultCode.PagerDestroyed:
    case ResultCode.DeviceFull:
    case ResultCode.NotImplemented: {
      // SPIN's "catastrophic event": this fault fails with the code, the object is destroyed.
      frames.abortPageIn(frame);
      const err = new PagerFailedError(rep.name, page, 'pageIn', code, 'the memory object is destroyed');
      rep.inflight.delete(page); // this page's faulters get `err` itself, not DestroyedError
      void destroyWith(rep, err).catch(noop);
      throw err;
    }
    default:
      frames.abortPageIn(frame);
      throw new PagerProtocolError(rep.name, page, 'pageIn', code);
  }
}
