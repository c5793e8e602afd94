import { FileSystemError, type Accessor } from '../../fs/index.js';
import { Pager, ResultCode, type Access } from '../../vmcore/index.js';
import { MappedFileTruncatedError } from './errors.js';

/** Read-ahead starts at one page (random access pays for nothing) and doubles on sequential faults up to this. */
export const MAX_READ_AHEAD_PAGES = 64;

/** File system answers that mean the device is full: page-out answers DeviceFull and vmcore keeps the page. */
const FULL = new Set(['ENOSPC', 'EFBIG', 'EDQUOT']);

/**
 * Pages a memory object from a file (departure's pager over a file accessor). All I/O is synchronous: a
 * 4 KiB fs.readSync costs ~2 µs where a promise read costs ~50 µs, so a fault answers its ResultCode at once
 * and costs no promise. Clustering as FreeBSD's getpages/putpages: while faults are sequential the pager
 * asks vmcore for runs (`pageInRunLength`, doubling up to MAX_READ_AHEAD_PAGES) and reads each run straight
 * into its frames, one read per stretch of frames adjacent in the pool (`pageInRun`), so no byte is copied
 * twice; flush joins contiguous dirty pages into one write.
 */
export class FilePager extends Pager {
  private destroyed = false;
  private window = 1;
  private nextExpected = -1;
  private staging: Uint8Array | undefined;
  /**
   * @internal Checks the file's real size and takes on growth (calling `resize`), for a page-in or page-out
   * that reaches past the known end: a file grown by someone else then gives its new bytes to the last page,
   * and takes the bytes mappings wrote there. Set by the file's shared state; absent, the limit is fixed.
   */
  sizeCheck: (() => void) | undefined = undefined;
  /** Read I/Os and the pages they brought, for stats. */
  reads = 0;
  pagesRead = 0;
  writes = 0;
  pagesWritten = 0;

  /**
   * @param accessor  the file's shared accessor (one per file, from the registry)
   * @param limit     the mapped size (the object may end past it): no file read or write goes past it
   * @param fileSize  the file's size as known: pages below it that read short mean the file shrank
   * @param writable  whether dirty pages may be written back
   */
  constructor(
    private readonly accessor: Accessor,
    private limit: number,
    private fileSize: number,
    private readonly writable: () => boolean,
  ) {
    super();
  }

  /** @internal The file changed size (grown or cut through the file's one page set): reads and writes stop at `limit` from now on, and `fileSize` is what the file holds. */
  resize(limit: number, fileSize: number): void {
    this.limit = limit;
    this.fileSize = fileSize;
  }

  /** A clean page is the file's own bytes: it can always be read again. */
  override get refillsCleanPages(): boolean {
    return true;
  }

  /** Every read fills its whole destination, zeros past what the file holds (the accessor does it). */
  override get fillsWholeFrames(): boolean {
    return true;
  }

  override destroy(): void {
    this.destroyed = true;
    this.staging = undefined;
  }

  /** One page alone; the head of a run goes through `pageInRun`. */
  override pageIn(page: number, frame: Uint8Array, _access: Access): ResultCode {
    if (this.destroyed) return ResultCode.PagerDestroyed;
    this.checkFrame(frame);
    this.checkEnd(page, 1);
    this.nextExpected = page + 1;
    this.readRun(page, 1, frame);
    return ResultCode.Success;
  }

  /** Read-ahead starts at one page (random access pays for nothing) and doubles while faults are sequential. */
  override pageInRunLength(page: number, _access: Access): number {
    this.window = page === this.nextExpected ? Math.min(this.window * 2, MAX_READ_AHEAD_PAGES) : 1;
    // The object may grow, and its context keeps the size it was made with: runs stop at the limit instead.
    return Math.max(1, Math.min(this.window, Math.ceil(this.limit / this.context.pageSize) - page));
  }

  /**
   * Reads pages `firstPage ..` into `frames`, one read per stretch of adjacent frames. The faulting page
   * must come whole (else MappedFileTruncatedError, as `pageIn`); a read-ahead page the file no longer
   * holds answers NotImplemented ("not supplied"), and vmcore drops it.
   */
  override pageInRun(firstPage: number, frames: readonly Uint8Array[], _access: Access): ResultCode[] {
    if (this.destroyed) return frames.map(() => ResultCode.PagerDestroyed);
    for (const frame of frames) this.checkFrame(frame);
    this.checkEnd(firstPage, frames.length);
    this.nextExpected = firstPage + frames.length;
    const codes: ResultCode[] = [];
    for (let i = 0; i < frames.length;) {
      const n = Pager.adjacent(frames, i);
      const whole = this.readRun(firstPage + i, n, n === 1 ? frames[i]! : Pager.joined(frames, i, n)!, i === 0);
      for (let j = 0; j < n; j++) codes.push(j < whole ? ResultCode.Success : ResultCode.NotImplemented);
      i += n;
      if (whole < n) {
        while (codes.length < frames.length) codes.push(ResultCode.NotImplemented);
        break;
      }
    }
    return codes;
  }

  override pageOut(page: number, frame: Uint8Array, dirty: boolean): ResultCode {
    if (this.destroyed) return ResultCode.PagerDestroyed;
    this.checkFrame(frame);
    if (!dirty) return ResultCode.Success; // the file has these bytes already
    this.checkEnd(page, 1);
    return this.writeRun(page, 1, frame);
  }

  override pageOutRun(firstPage: number, frames: readonly Uint8Array[]): ResultCode[] {
    if (this.destroyed) return frames.map(() => ResultCode.PagerDestroyed);
    if (frames.length === 1) return [this.pageOut(firstPage, frames[0]!, true)];
    const ps = this.context.pageSize;
    this.checkEnd(firstPage, frames.length); // before the frames are copied: growth may change the last one
    const buf = (this.staging ??= new Uint8Array(MAX_READ_AHEAD_PAGES * ps));
    const codes: ResultCode[] = [];
    // Runs longer than the staging buffer go in several writes of at most MAX_READ_AHEAD_PAGES pages.
    for (let i = 0; i < frames.length; i += MAX_READ_AHEAD_PAGES) {
      const n = Math.min(MAX_READ_AHEAD_PAGES, frames.length - i);
      for (let j = 0; j < n; j++) {
        this.checkFrame(frames[i + j]);
        buf.set(frames[i + j]!, j * ps);
      }
      const code = this.writeRun(firstPage + i, n, buf);
      for (let j = 0; j < n; j++) codes.push(code);
    }
    return codes;
  }

  /**
   * Reads a run; answers how many of its leading pages came whole. Bytes the file had when mapped must
   * still be there (past that, zeros are the mapping's own): if the first page is short and `required` (it
   * is the faulting page) it throws MappedFileTruncatedError; if a later one is, the run ends before it.
   */
  private readRun(page: number, count: number, dest: Uint8Array, required = true): number {
    const ps = this.context.pageSize;
    const got = this.accessor.readPagesSync(page, count, dest, this.limit);
    this.reads++;
    this.pagesRead += count;
    const start = page * ps;
    const expected = Math.max(0, Math.min(start + count * ps, this.fileSize, this.limit) - start);
    if (got >= expected) return count;
    const whole = Math.floor(got / ps);
    if (whole === 0 && required) throw new MappedFileTruncatedError(this.accessor.path, page, this.fileSize, start + got);
    return whole;
  }

  /** A read or write of pages `page .. page + count` that reaches past the known end checks the file's size first. */
  private checkEnd(page: number, count: number): void {
    if (this.sizeCheck !== undefined && (page + count) * this.context.pageSize > this.limit) this.sizeCheck();
  }

  private writeRun(page: number, count: number, src: Uint8Array): ResultCode {
    if (!this.writable()) return ResultCode.NotImplemented; // a read-only mapping keeps dirty pages resident
    try {
      this.accessor.writePagesSync(page, src, count, this.limit);
    } catch (err) {
      if (FileSystemError.is(err) && FULL.has(err.reason)) return ResultCode.DeviceFull;
      throw err;
    }
    this.writes++;
    this.pagesWritten += count;
    return ResultCode.Success;
  }
}
