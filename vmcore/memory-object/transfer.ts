import { NotResidentError } from '../errors.js';
import type { Access } from '../pager/access.js';
import { isPromise } from '../util/maybe-promise.js';
import { checkStillAttached } from '../validate.js';
import type { MemoryObjectRep } from './memory-object-rep.js';
import { fault } from './page-in.js';

/**
 * Resident copies: bytes between a caller's buffer and the frames of an object, page by page. `transfer`
 * faults absent pages in (read, write, an address space's readInto); `transferResident` only touches
 * resident pages and checks all of them before it copies a byte (readSync, writeSync).
 */

/** Copies between `buf` and the object at `offset`, page by page, faulting as needed. */
export async function transfer(rep: MemoryObjectRep, offset: number, buf: Uint8Array, write: boolean): Promise<void> {
  const ps = rep.pageSize;
  const access: Access = write ? 'write' : 'read';
  for (let done = 0; done < buf.length;) {
    const pos = offset + done;
    const page = Math.floor(pos / ps);
    const within = pos - page * ps;
    let n = Math.min(ps - within, buf.length - done);
    let frame = rep.cache.lookup(page);
    const pinned = frame < 0;
    if (!pinned) rep.queue.policy.access(frame);
    else {
      const answer = fault(rep, page, access, true);
      frame = isPromise(answer) ? await answer : answer;
    }
    // A fault's transient pin keeps the frame ours until the copy; whatever throws, it is released.
    try {
      if (pinned && rep.destroyed) throw rep.destroyedError();
      if (write)
        checkStillAttached('bytes', buf, done + n); // a fault (this page's or an earlier one's) may have let it go
      else n += adjacentResident(rep, page, frame, buf.length - done - n);
      copy(rep, frame, within, buf, done, n, write);
    } finally {
      if (pinned) rep.frames.unpin(frame, true);
    }
    done += n;
  }
}

/**
 * Bytes (at most `left`) of the pages after `page` that are resident in the frames right after `frame`, in
 * its chunk, each one counted as accessed: a read copies them with `frame`'s in one copy. Runs are read into
 * adjacent frames, so a scan's pages mostly are.
 */
function adjacentResident(rep: MemoryObjectRep, page: number, frame: number, left: number): number {
  let more = 0;
  for (let next = frame + 1; more < left && (next & rep.chunkMask) !== 0 && rep.cache.lookup(page + (next - frame)) === next; next++) {
    rep.queue.policy.access(next);
    more += Math.min(rep.pageSize, left - more);
  }
  return more;
}

/** Same as `transfer` but only over resident pages; checks them all before copying anything. */
export function transferResident(rep: MemoryObjectRep, offset: number, buf: Uint8Array, write: boolean): void {
  const ps = rep.pageSize;
  const length = buf.length;
  if (length === 0) return;
  const first = Math.floor(offset / ps);
  const last = Math.floor((offset + length - 1) / ps);
  if (first === last) {
    const frame = rep.cache.lookup(first);
    if (frame < 0) throw new NotResidentError(rep.name, first);
    rep.queue.policy.access(frame);
    copy(rep, frame, offset - first * ps, buf, 0, length, write);
    return;
  }
  const absent = firstAbsent(rep, first, last);
  if (absent >= 0) throw new NotResidentError(rep.name, absent);
  for (let done = 0; done < length;) {
    const pos = offset + done;
    const page = Math.floor(pos / ps);
    const within = pos - page * ps;
    const n = Math.min(ps - within, length - done);
    const frame = rep.cache.lookup(page);
    rep.queue.policy.access(frame);
    copy(rep, frame, within, buf, done, n, write);
    done += n;
  }
}

/** The first page of `first .. last` that is not resident, or -1. */
export function firstAbsent(rep: MemoryObjectRep, first: number, last: number): number {
  for (let page = first; page <= last; page++) if (rep.cache.lookup(page) < 0) return page;
  return -1;
}

/** Copies `n` bytes between `buf` at `at` and `frame` at `within`; a write makes the page dirty. */
function copy(rep: MemoryObjectRep, frame: number, within: number, buf: Uint8Array, at: number, n: number, write: boolean): void {
  const chunk = rep.pool.chunk(frame);
  const start = rep.pool.offset(frame) + within;
  if (write) {
    chunk.set(n === buf.length ? buf : buf.subarray(at, at + n), start);
    rep.frames.markDirty(frame);
  } else buf.set(chunk.subarray(start, start + n), at);
}
