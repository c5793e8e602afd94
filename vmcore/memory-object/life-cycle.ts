import type { Cache } from '../cache/cache.js';
import { InvalidArgumentError, PagerIoError } from '../errors.js';
import { checkIndex, checkSpan } from '../validate.js';
import type { MemoryObjectRep } from './memory-object-rep.js';

/**
 * The life cycle of a memory object past its creation: it grows with the file under it (`grow`), loses
 * its tail when that file is cut (`discardFrom`), takes bytes written to the file behind its back
 * (`refill`), and ends (`destroyWith`): its frames go back to the pool, waiters are rejected, and the
 * pager is destroyed.
 */

const noop = (): void => {};

/**
 * Destroys the object, `cause` being the pager's catastrophic answer if one did it. Frames in use (in a
 * page-out, or pinned by a read in flight) become orphans, freed when that use ends, never under it.
 */
export function destroyWith(rep: MemoryObjectRep, cause: Error | undefined): Promise<void> {
  rep.destroyed = true;
  rep.destroyCause = cause;
  rep.shared?.beforeDestroy(); // workers stop using frames before they go back to the pool
  const frames = rep.frames;
  // Lasting pins die with the object; pins held by reads and writes in flight end with them.
  for (const holder of [rep.userPins, rep.lockPins]) {
    for (const [page, pins] of holder) {
      const frame = rep.cache.lookup(page);
      if (frame >= 0) frames.dropLastingPins(frame, pins);
    }
  }
  rep.cache.iterate((_page, frame) => {
    rep.queue.reserve(frame);
    if (frames.inUse(frame)) frames.orphan(frame);
    else frames.free(frame);
  });
  rep.cache.clear();
  rep.userPins.clear();
  rep.lockPins.clear();
  const err = rep.destroyedError(); // carries `cause`
  for (const pending of rep.inflight.values()) pending.deferred?.reject(err);
  rep.inflight.clear();
  rep.queue.unregister(rep.id);
  rep.onDestroyed(rep.self);
  if (rep.heard) rep.emit('destroyed', { object: rep.self, cause });
  let ending: void | Promise<void>;
  try {
    ending = rep.pager.destroy();
  } catch (e) {
    ending = Promise.reject(e);
  }
  rep.destroying = Promise.resolve(ending).catch((e: unknown) => {
    throw new PagerIoError(rep.name, 0, 'destroy', e);
  });
  return rep.destroying;
}

/** `destroy()`: the first call reports a pager whose destroy failed; later calls resolve. */
export function destroy(rep: MemoryObjectRep): Promise<void> {
  return rep.destroying ? rep.destroying.catch(noop) : destroyWith(rep, undefined);
}

/**
 * Makes the object `size` bytes long (at least its size now): the file under it grew. The pages it holds
 * stay where they are; `cache` (made for the new page count) takes them over.
 */
export function grow(rep: MemoryObjectRep, size: number, cache: Cache): void {
  rep.checkAlive();
  checkIndex('size', size);
  if (size <= rep.size) return;
  if (cache !== rep.cache) {
    rep.shared?.revoke(); // workers read the old page table: it must not outlive this
    rep.cache.iterate((page, frame) => cache.update(page, frame));
    rep.cache = cache;
  }
  rep.size = size;
  rep.pageCount = Math.ceil(size / rep.pageSize);
}

/**
 * Forgets every byte from `offset` on, without paging anything out (POSIX truncate). Pages wholly past it
 * leave the cache, dirty or not, and their frames go back to the pool; the rest of the page `offset` falls
 * in reads zeros. A frame still in use here (pinned, or in a page-out) cannot be taken away: it is zeroed,
 * made clean and stays resident. A frame only workers pin (shared objects) leaves the object as an orphan,
 * freed once they let go (vmcore/shared/protocol.ts, rule 7).
 */
export function discardFrom(rep: MemoryObjectRep, offset: number): void {
  if (rep.destroyed) return;
  checkIndex('offset', offset);
  const ps = rep.pageSize;
  const frames = rep.frames;
  const first = Math.ceil(offset / ps);
  const gone: number[] = [];
  rep.cache.iterate((page) => {
    if (page >= first) gone.push(page);
  });
  const shared = rep.shared;
  for (const page of gone) {
    const frame = rep.cache.lookup(page);
    // In use here: in a page-out, or pinned by this thread (pins held for workers are theirs, see below).
    const inUse = frames.isBusy(frame) || frames.pinCount(frame) > (shared?.heldPins(frame) ?? 0);
    // Shared: the entry is invalid before the workers' pins are looked at, as in the reclaimer's `drop`.
    if (shared !== undefined) {
      rep.cache.invalidate(page);
      shared.discarding(frame);
    }
    if (inUse) {
      rep.pool.zero(frame);
      frames.markClean(frame);
      if (shared !== undefined) rep.cache.update(page, frame);
      continue;
    }
    rep.cache.invalidate(page);
    rep.queue.reserve(frame);
    // Still pinned only for workers' copies: it leaves as an orphan, freed when they let go.
    if (frames.inUse(frame)) frames.orphan(frame);
    else frames.free(frame);
  }
  const within = offset % ps;
  if (within !== 0) {
    const frame = rep.cache.lookup(first - 1);
    if (frame >= 0) rep.pool.zero(frame, within);
  }
}

/**
 * The backing store changed under a resident page from `offset` on: `bytes` are its bytes there now.
 * Copies them into the page if it is resident, without changing whether it is dirty; an absent page is
 * left alone (its next page-in reads them). With `keepWritten`, a byte the page holds that is not zero
 * stays (it was written in memory: a file grown by someone else keeps what mappings wrote past its old end).
 */
export function refill(rep: MemoryObjectRep, offset: number, bytes: Uint8Array, keepWritten: boolean): void {
  if (rep.destroyed || bytes.length === 0) return;
  checkSpan(offset, bytes.length, rep.size);
  const ps = rep.pageSize;
  const page = Math.floor(offset / ps);
  if (Math.floor((offset + bytes.length - 1) / ps) !== page) throw new InvalidArgumentError('bytes', bytes, 'bytes within one page');
  const frame = rep.cache.lookup(page);
  if (frame < 0) return;
  const chunk = rep.pool.chunk(frame);
  const at = rep.pool.offset(frame) + offset - page * ps;
  if (!keepWritten) chunk.set(bytes, at);
  else for (let i = 0; i < bytes.length; i++) if (chunk[at + i] === 0) chunk[at + i] = bytes[i]!;
}
