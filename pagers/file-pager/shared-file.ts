import type { FileLease } from '../../fs/index.js';
import { TOKENS, type Cache, type CacheFactory, type MemoryObject, type Vm } from '../../vmcore/index.js';
import type { FilePager } from './file-pager.js';

/**
 * What every way into one file shares (departure's PageMapper, Linux's page cache): one memory object, one
 * set of pages, one lease on the file. Mappings (`mapFile`, address spaces) and file handles (`openFile`)
 * all read and write these pages, so each sees the others at once.
 */
export interface SharedFile {
  readonly vm: Vm;
  /**
   * Covers at least `size` rounded up to whole pages (one page for an empty file): the rest of the last
   * page is memory, never written to the file. It grows with the file and never shrinks.
   */
  readonly object: MemoryObject;
  readonly pager: FilePager;
  readonly lease: FileLease;
  /** The file's size in bytes, as the instance knows it: follows every change made through these pages, and growth seen by a size check. */
  size: number;
  /** What `lease.shared` holds for it: only the holder of this may remove it (never a successor's). */
  readonly slot: object;
  /** Open mappings and handles of the file in this instance; the last close destroys the object and releases the lease. */
  mappings: number;
  /** Set once the last mapping closed or the instance shut down: no mapping may join it any more. */
  dead: boolean;
  /** Cancels the instance's shutdown hooks for this file. */
  cancelShutdown: () => void;
  /** Size changes (truncate, a write past the end, a size check) run one at a time, in order. */
  resizing: Promise<void>;
}

const noop = (): void => {};

/** Runs `fn` after every size change issued before it, and before any issued after it. */
export function exclusive<T>(shared: SharedFile, fn: () => Promise<T>): Promise<T> {
  const run = shared.resizing.then(fn);
  shared.resizing = run.then(noop, noop);
  return run;
}

/** Grows the object, if needed, to cover `size` bytes: at least doubling (up to 2^18 pages at a time), so a file written at its end is not re-sized page by page. */
function cover(shared: SharedFile, size: number): void {
  const object = shared.object;
  const ps = object.pageSize;
  const need = Math.max(1, Math.ceil(size / ps));
  if (need <= object.pageCount) return;
  const pages = Math.max(need, Math.min(2 * object.pageCount, object.pageCount + 2 ** 18));
  const cache: Cache = shared.vm.container.get<CacheFactory>(TOKENS.CacheFactory)(pages);
  object.grow(pages * ps, cache);
}

/**
 * The file holds `size` bytes now, more than before: the object covers them, the pager reads and writes up
 * to them, and mappings reach them. `tail` is what the file holds from the old end to the end of the old
 * last page (when that page is resident). Grown through these pages (`own`), it replaces the bytes mappings
 * wrote there while it lay past the end of the file: the file reads zeros there, as POSIX has an extended
 * file. Grown by someone else, at a time no one here knows, the bytes mappings wrote there stay (they may
 * have been written after the growth, as Linux's shared page cache would keep them), and the rest of the
 * page takes the file's bytes.
 */
export function takeGrowth(shared: SharedFile, size: number, tail: Uint8Array | undefined, own: boolean): void {
  const old = shared.size;
  if (size <= old || shared.object.isDestroyed) return;
  cover(shared, size);
  if (tail !== undefined) shared.object.refill(old, tail, !own);
  shared.size = size;
  shared.pager.resize(size, size);
}

/** The page holding the old end of the file, if it is partial and resident: where `tail` bytes go. */
function tailPage(shared: SharedFile, old: number): number {
  const ps = shared.object.pageSize;
  if (old % ps === 0 || shared.object.isDestroyed) return -1;
  const page = Math.floor(old / ps);
  return shared.object.isResident(page * ps, 1) ? page : -1;
}

/**
 * Takes on growth of the file made by anyone: one synchronous size call (no allocation past the check).
 * Answers the size. A size that cannot be read now (an asynchronous truncate or write of the file in
 * flight) leaves the size as known.
 */
export function refreshSizeSync(shared: SharedFile): number {
  if (shared.dead || shared.object.isDestroyed) return shared.size;
  const accessor = shared.lease.accessor;
  try {
    const real = accessor.sizeSync();
    if (real > shared.size) {
      const page = tailPage(shared, shared.size);
      let tail: Uint8Array | undefined;
      if (page >= 0) {
        const ps = shared.object.pageSize;
        const buf = new Uint8Array(ps);
        accessor.readPagesSync(page, 1, buf, real);
        tail = buf.subarray(shared.size - page * ps);
      }
      takeGrowth(shared, real, tail, false);
    }
  } catch {
    // The size stays as known; the next check tries again.
  }
  return shared.size;
}

/** `refreshSizeSync`, ordered with the other size changes and with the file's asynchronous calls. */
export function refreshSize(shared: SharedFile): Promise<number> {
  return exclusive(shared, async () => {
    if (shared.dead || shared.object.isDestroyed) return shared.size;
    const real = await shared.lease.accessor.size();
    if (real > shared.size) takeGrowth(shared, real, await readTail(shared, real), false);
    return shared.size;
  });
}

/** The file's bytes from the known end to the end of its page, if that page is resident (read asynchronously). */
async function readTail(shared: SharedFile, size: number): Promise<Uint8Array | undefined> {
  const old = shared.size;
  const page = tailPage(shared, old);
  if (page < 0) return undefined;
  const ps = shared.object.pageSize;
  const buf = new Uint8Array(ps);
  await shared.lease.accessor.readPages(page, 1, buf, size);
  return buf.subarray(old - page * ps);
}

/**
 * Cuts or extends the file to `size` bytes, through its pages (POSIX ftruncate): growing reads zeros in
 * every mapping; shrinking drops the pages past the end (dirty or not) and zeroes the rest of the last
 * page, so mappings fault with BusError past it.
 */
export function truncateShared(shared: SharedFile, size: number): Promise<void> {
  return exclusive(shared, async () => {
    const accessor = shared.lease.accessor;
    const old = shared.size;
    if (size >= old) {
      await accessor.truncate(size);
      if (size > old) takeGrowth(shared, size, await readTail(shared, size), true);
      return;
    }
    // No page-out may write past the new end while the file is being cut.
    shared.pager.resize(size, size);
    try {
      await accessor.truncate(size);
    } catch (err) {
      shared.pager.resize(shared.size, shared.size);
      throw err;
    }
    shared.size = size;
    shared.object.discardFrom(size);
  });
}

/** Extends the file to `size` bytes if it is shorter (never cuts it): the zeros every mapping then reaches. */
export function extendShared(shared: SharedFile, size: number): Promise<void> {
  return exclusive(shared, async () => {
    if (size <= shared.size) return;
    await shared.lease.accessor.truncate(size);
    takeGrowth(shared, size, await readTail(shared, size), true);
  });
}

/** Writes `bytes` at `offset` into the file's pages (POSIX pwrite); a write past the end extends the file first. */
export async function pwriteShared(shared: SharedFile, offset: number, bytes: Uint8Array): Promise<void> {
  if (bytes.length === 0) return;
  const end = offset + bytes.length;
  if (end > shared.size) await extendShared(shared, end);
  await shared.object.write(offset, bytes);
}

/** Up to `length` bytes at `offset` from the file's pages (POSIX pread): fewer at the end of the file, none past it. */
export async function preadShared(shared: SharedFile, offset: number, length: number): Promise<Uint8Array> {
  if (offset + length > shared.size) await refreshSize(shared);
  const n = Math.max(0, Math.min(length, shared.size - offset));
  return n === 0 ? new Uint8Array(0) : shared.object.read(offset, n);
}
