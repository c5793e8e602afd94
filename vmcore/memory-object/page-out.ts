import { OutOfMemoryError, PagerIoError, PagerProtocolError } from '../errors.js';
import type { PageQueue } from '../page-queue/page-queue.js';
import { isResultCode, ResultCode, type PagerAnswer } from '../pager/result-code.js';
import { isPromise, type MaybePromise } from '../util/maybe-promise.js';
import { launder, launderingPages, launderTarget, pageOutFailed, RunPage, type Laundering } from './launder.js';
import type { MemoryObjectRep } from './memory-object-rep.js';

/**
 * Page-out and reclaim, read top to bottom as FreeBSD's `vm_pageout.c`: where a page-in's frame comes from
 * when the pool has no free one.
 *
 *   allocateFrame ─ a free frame? ─────────────────────────────────────────▶ it
 *                 ─ reclaim: queue.victim (the policy's pick among frames that may go)
 *                            ─▶ clean: pageOut: refillable? drop it
 *                                               else pager.pageOut(dirty=false) ─▶ settleOut ─▶ drop or keep
 *                            ─▶ dirty: launder the dirty run around it (launder.ts), one pageOutRun
 *                                      settled now? the victim goes as a clean one would, or is kept
 *                                      asynchronous? write-behind: it stays resident, the scan moves on
 *                                      laundry full? passed over until the next wait
 *                            ─▶ Freed: the frame, Busy in hand-off   Kept/Again: the next victim
 *                 ─ no victim: wait for a page-in, page-out (laundering) or transient pin to end; or out of memory
 *
 * Invariants:
 * - A page is never dropped unless the pager has it back (Success, AlreadyPagedOut) or can refill it
 *   (clean, `refillsCleanPages`). DeviceFull, NotImplemented and errors keep it resident and dirty: written
 *   data is never lost (SPIN logs DeviceFull and drops the page; we do not). Laundering only cleans pages;
 *   a laundered page is dropped later, as a clean page, by a scan that finds it still clean.
 * - A page written or pinned during its page-out stays (Again): its D bit was cleared when the page-out
 *   began, so a write meanwhile shows.
 * - A faulter never waits for a laundering while a victim can go now; it waits (`frames.changed`) only
 *   while something in flight will end by itself, so the pool never deadlocks. A page whose page-out
 *   failed is not asked again during the same allocation (`Scan.skip`), so reclaim never loops on it; the
 *   allocation fails with the victim's error when its own laundering threw or answered nonsense, and is
 *   out of memory when every frame left is kept or stuck.
 * - If the frame's owner is destroyed during the page-out, whatever the pager answered, the frame is the
 *   reclaimer's unless someone still pins it (a laundered one goes back to the pool); the reclaimer never
 *   sees the other object's DestroyedError.
 * - A frame the reclaimer gets is off the queue, out of its owner's cache and Busy (hand-off) until its
 *   next page-in begins.
 */

export const enum EvictOutcome {
  /** The frame left its owner's cache and the queue; the caller may reuse it. */
  Freed = 0,
  /** The owner kept it because its page-out failed (DeviceFull, NotImplemented): look elsewhere this time. */
  Kept = 1,
  /** The owner kept it because it was written or pinned during its page-out: it may be tried again. */
  Again = 2,
}

/** A frame for a page-in: a free one while the pool has any, else one reclaimed. Synchronous unless a page-out or a wait is needed. */
export function allocateFrame(queue: PageQueue<MemoryObjectRep>): MaybePromise<number> {
  const frame = queue.frames.allocate();
  return frame >= 0 ? frame : reclaim(queue, undefined);
}

/**
 * A frame for read-ahead, only when one comes at once and without I/O: a free frame, or the policy's victim
 * when it is clean and its pager can page it in again; else -1. Read-ahead is a guess, so it never costs a
 * page-out or a wait (FreeBSD's fault path allocates read-ahead pages without sleeping, likewise).
 */
export function allocateFrameNow(queue: PageQueue<MemoryObjectRep>): number {
  const free = queue.frames.allocate();
  if (free >= 0) return free;
  const frame = queue.victim(undefined);
  if (frame < 0) return -1;
  const owner = queue.ownerOf(frame);
  if (!owner.refills || queue.frames.isDirty(frame)) return -1;
  return drop(owner, frame, queue.frames.pageOf(frame), false) === EvictOutcome.Freed ? frame : -1;
}

/**
 * What one allocation's reclaim remembers across its waits; made only once it launders or passes a frame.
 * `skip` holds the frames `victim` passes over: those kept after a failed page-out (for the whole
 * allocation), and dirty ones passed over while the laundry is full (`passed`, until the next wait).
 */
interface Scan {
  skip: Set<number>;
  passed: number[];
  /** Launderings this allocation started and has not yet looked at. */
  mine: Laundering[];
}

function scanOf(scan: Scan | undefined): Scan {
  return scan ?? { skip: new Set(), passed: [], mine: [] };
}

/**
 * Takes victims until one is freed. A clean victim goes at once; a dirty one is laundered with the dirty
 * run around it (launder.ts): if that settles now, the victim goes as a clean one would; if it goes
 * asynchronous, the victim is left to it and the scan moves on. When the laundry is full, dirty victims
 * are passed over. With nothing left that can go now, the allocation waits (noVictim).
 */
function reclaim(queue: PageQueue<MemoryObjectRep>, scan: Scan | undefined): MaybePromise<number> {
  const frames = queue.frames;
  for (;;) {
    const frame = queue.victim(scan?.skip);
    if (frame < 0) return noVictim(queue, scan);
    const owner = queue.ownerOf(frame);
    if (frames.isDirty(frame)) {
      if (launderingPages(frames) >= launderTarget(frames.frames)) {
        scan = scanOf(scan);
        scan.skip.add(frame);
        scan.passed.push(frame);
        continue;
      }
      const laundering = launder(owner, frame);
      if (!laundering.done) {
        (scan = scanOf(scan)).mine.push(laundering); // write-behind: the next victim, without waiting
        continue;
      }
      const outcome = victimLaundered(laundering, frame);
      if (outcome === EvictOutcome.Freed) return frame;
      if (outcome === EvictOutcome.Kept) (scan = scanOf(scan)).skip.add(frame);
      const free = frames.allocate(); // an orphan of an object destroyed meanwhile went back to the pool
      if (free >= 0) return free;
      continue;
    }
    const outcome = pageOut(owner, frame);
    if (isPromise(outcome)) {
      return outcome.then((o) => (o === EvictOutcome.Freed ? frame : afterKept(queue, o === EvictOutcome.Kept ? frame : -1, scan)));
    }
    if (outcome === EvictOutcome.Freed) return frame;
    if (outcome === EvictOutcome.Kept) (scan = scanOf(scan)).skip.add(frame);
  }
}

/** The victim `frame` after its laundering settled synchronously: dropped if the pager has it and it stayed clean. */
function victimLaundered(laundering: Laundering, frame: number): EvictOutcome {
  const { rep, result } = laundering;
  const frames = rep.frames;
  const page = laundering.first + laundering.victim;
  if (rep.destroyed) return EvictOutcome.Again;
  const state = result!.pages[laundering.victim];
  if (state === RunPage.Failed) throw result!.error!;
  if (state !== RunPage.Written) return EvictOutcome.Kept;
  // Written or pinned while the page-out ran: it stays, dirty, and the next scan looks elsewhere.
  if (frames.isDirty(frame) || frames.pinCount(frame) > 0) {
    rep.queue.requeue(frame, rep.keyOf(page));
    return EvictOutcome.Again;
  }
  return drop(rep, frame, page, true);
}

/** After an asynchronous page-out that kept its frame: a frame freed meanwhile, or the next victim. */
function afterKept(queue: PageQueue<MemoryObjectRep>, frame: number, scan: Scan | undefined): MaybePromise<number> {
  if (frame >= 0) (scan = scanOf(scan)).skip.add(frame);
  const free = queue.frames.allocate();
  return free >= 0 ? free : reclaim(queue, scan);
}

/**
 * Nothing may go now: wait if something in flight will end by itself (a laundering among them), then look
 * again; else the pool is out of memory.
 */
function noVictim(queue: PageQueue<MemoryObjectRep>, scan: Scan | undefined): MaybePromise<number> {
  const frames = queue.frames;
  // In-flight page-ins and page-outs, and the short pins of reads and writes, end by themselves: wait.
  if (frames.busyCount > 0 || frames.transientPinCount > 0) {
    return frames.changed().then(() => {
      if (scan !== undefined) review(scan);
      const frame = frames.allocate();
      return frame >= 0 ? frame : reclaim(queue, scan);
    });
  }
  let pinned = 0;
  let stuck = 0;
  for (let f = 0; f < frames.frames; f++) {
    if (frames.pinCount(f) > 0) pinned++;
    else if (queue.stuck(f)) stuck++;
  }
  const kept = scan === undefined ? 0 : scan.skip.size - scan.passed.length;
  throw new OutOfMemoryError(
    frames.frames,
    `${pinned} pinned, ${stuck} dirty with a pager that cannot page them out, ${kept} kept after a failed page-out (device full)`,
  );
}

/**
 * After a wait: dirty victims passed over may be laundered now; the launderings this allocation started
 * that ended are looked at. Their pages that failed are kept (not laundered again by this allocation), and
 * a victim whose page-out threw or answered nonsense fails the allocation, as a page-out it waited for would.
 */
function review(scan: Scan): void {
  for (const f of scan.passed) scan.skip.delete(f);
  scan.passed.length = 0;
  let error: Error | undefined;
  let j = 0;
  for (const laundering of scan.mine) {
    if (!laundering.done) {
      scan.mine[j++] = laundering;
      continue;
    }
    const { rep, run, first, result } = laundering;
    run.forEach((f, i) => {
      if (result!.pages[i] !== RunPage.Written && !rep.destroyed && rep.cache.lookup(first + i) === f) scan.skip.add(f);
    });
    if (result!.pages[laundering.victim] === RunPage.Failed) error ??= result!.error;
  }
  scan.mine.length = j;
  if (error !== undefined) throw error;
}

/**
 * Takes `frame` from its owner, paging it out first unless it is clean and the pager refills clean pages.
 * Reclaim calls it for clean frames only (dirty ones are laundered), so a page-out here is `dirty=false`.
 */
export function pageOut(rep: MemoryObjectRep, frame: number): MaybePromise<EvictOutcome> {
  const frames = rep.frames;
  const page = frames.pageOf(frame);
  const dirty = frames.isDirty(frame);
  if (!dirty && rep.refills) return drop(rep, frame, page, false);
  frames.beginPageOut(frame);
  let answer: PagerAnswer;
  try {
    answer = rep.pager.pageOut(page, rep.pool.view(frame), dirty);
  } catch (err) {
    return pageOutThrew(rep, frame, page, dirty, err);
  }
  if (!isPromise(answer)) return settleOut(rep, frame, page, dirty, answer);
  return Promise.resolve(answer).then(
    (code) => settleOut(rep, frame, page, dirty, code),
    (err: unknown) => pageOutThrew(rep, frame, page, dirty, err),
  );
}

/** What the memory object does with each page-out answer during eviction. Never drops a page it cannot get back. */
function settleOut(rep: MemoryObjectRep, frame: number, page: number, dirty: boolean, code: unknown): EvictOutcome {
  const frames = rep.frames;
  if (frames.isOrphan(frame)) return orphaned(rep, frame);
  if (rep.heard && isResultCode(code)) rep.emit('pageOut', { object: rep.self, page, dirty, result: code });
  switch (code) {
    case ResultCode.Success:
    case ResultCode.AlreadyPagedOut:
      if (dirty) rep.pageOuts++;
      // Written or pinned while the page-out ran: it stays, dirty, and the next scan looks elsewhere.
      if (frames.isDirty(frame) || frames.pinCount(frame) > 0) {
        frames.endPageOut(frame);
        keep(rep, frame, page, false);
        return EvictOutcome.Again;
      }
      return drop(rep, frame, page, dirty);
    case ResultCode.DeviceFull:
      frames.endPageOut(frame);
      if (rep.heard) rep.emit('deviceFull', { object: rep.self, page });
      return keep(rep, frame, page, dirty);
    case ResultCode.NotImplemented:
    case ResultCode.PagerDestroyed:
      rep.pageOutUnsupported = true;
      if (!dirty && rep.refills && !frames.isDirty(frame)) return drop(rep, frame, page, false);
      frames.endPageOut(frame);
      return keep(rep, frame, page, dirty);
    default: {
      frames.endPageOut(frame);
      keep(rep, frame, page, dirty);
      throw pageOutFailed(rep, page, new PagerProtocolError(rep.name, page, 'pageOut', code));
    }
  }
}

/**
 * The owner was destroyed while `frame`'s page-out ran, whatever the pager answered: the page is gone
 * with the object, and the frame is the reclaimer's unless someone still pins it. The reclaimer works for
 * another object, so it never sees this object's DestroyedError.
 */
function orphaned(rep: MemoryObjectRep, frame: number): EvictOutcome {
  const frames = rep.frames;
  if (frames.pinCount(frame) > 0) {
    frames.endPageOut(frame);
    return EvictOutcome.Again;
  }
  frames.handOff(frame);
  return EvictOutcome.Freed;
}

function pageOutThrew(rep: MemoryObjectRep, frame: number, page: number, dirty: boolean, err: unknown): EvictOutcome {
  if (rep.frames.isOrphan(frame)) return orphaned(rep, frame);
  rep.frames.endPageOut(frame);
  keep(rep, frame, page, dirty);
  throw pageOutFailed(rep, page, new PagerIoError(rep.name, page, 'pageOut', err));
}

/** The page stays resident; its dirty bit is restored, and it moves to the queue's tail. */
function keep(rep: MemoryObjectRep, frame: number, page: number, dirty: boolean): EvictOutcome {
  if (dirty) rep.frames.markDirty(frame);
  rep.queue.requeue(frame, rep.keyOf(page));
  return EvictOutcome.Kept;
}

/** The frame leaves its owner; it stays busy until the requester's page-in claims it. */
function drop(rep: MemoryObjectRep, frame: number, page: number, dirty: boolean): EvictOutcome {
  rep.cache.invalidate(page);
  // Shared with workers: the entry is invalid before their pins are checked (vmcore/shared/protocol.ts).
  if (rep.shared !== undefined && !rep.shared.mayDrop(frame)) {
    rep.cache.update(page, frame);
    if (rep.frames.isBusy(frame)) rep.frames.endPageOut(frame);
    keep(rep, frame, page, false);
    return EvictOutcome.Again;
  }
  rep.queue.reserve(frame);
  rep.frames.handOff(frame);
  rep.evictions++;
  if (rep.heard) rep.emit('eviction', { object: rep.self, page, frame, dirty });
  return EvictOutcome.Freed;
}
