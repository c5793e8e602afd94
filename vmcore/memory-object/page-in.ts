import { PagerFailedError, PagerIoError, PagerProtocolError } from '../errors.js';
import type { Access } from '../pager/access.js';
import { ResultCode, type PagerAnswer } from '../pager/result-code.js';
import { Deferred, isPromise, type MaybePromise } from '../util/maybe-promise.js';
import { destroyWith } from './life-cycle.js';
import type { Inflight, MemoryObjectRep } from './memory-object-rep.js';
import { allocateFrame } from './page-out.js';

/**
 * The fault path (page-in), read top to bottom as FreeBSD's `vm_fault.c`: one walk per fault.
 *
 *   fault ─ resident? ──────────────────────────────▶ the frame (a hit)
 *         ─ in flight? ─────────────────────────────▶ wait for that page-in
 *         ─ pageInFresh: allocateFrame ─▶ fill: pager.pageIn ─▶ settleIn ─▶ the frame
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
 */

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

/** A page neither resident nor in flight: a frame, then the pager. */
function pageInFresh(rep: MemoryObjectRep, page: number, access: Access, pin: boolean): MaybePromise<number> {
  rep.faults++;
  if (rep.heard) rep.emit('fault', { object: rep.self, page, access });
  const pending: Inflight = { deferred: undefined, pins: pin ? 1 : 0 };
  let result: MaybePromise<number>;
  const frame = allocateFrame(rep.queue);
  if (isPromise(frame)) result = frame.then((f) => fill(rep, page, f, access, 0, pending));
  else {
    result = fill(rep, page, frame, access, 0, pending);
    if (!isPromise(result)) return result; // a synchronous fault: settleIn granted the pins
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

/** Asks the pager to fill `frame` with `page`; `pending` holds the pins to grant when it lands. */
function fill(rep: MemoryObjectRep, page: number, frame: number, access: Access, attempt: number, pending: Inflight): MaybePromise<number> {
  const frames = rep.frames;
  // A destroyed pager is never asked again (a retry after AlreadyPagedIn may find the object gone).
  if (rep.destroyed) {
    if (frames.isBusy(frame)) frames.abortPageIn(frame);
    else frames.free(frame);
    throw rep.destroyedError();
  }
  if (attempt === 0 && frames.beginPageIn(frame, rep.id, page)) rep.pool.zero(frame);
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
