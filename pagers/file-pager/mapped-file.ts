import { checkBytes, checkIndex, DestroyedError, OutOfRangeError, type MemoryObject } from '../../vmcore/index.js';
import { ReadOnlyFileError, ReadOnlyMappingError } from './errors.js';
import { preadShared, pwriteShared, refreshSize, refreshSizeSync, truncateShared, type SharedFile } from './shared-file.js';

export type { SharedFile } from './shared-file.js';

/**
 * What a mapping and a file handle have in common: a reference to the file's one set of pages, and the file
 * calls that go through them (pread, pwrite, truncate), so every way into the file sees every other at once.
 */
abstract class FileView {
  private closed = false;

  constructor(
    /** @internal */
    protected readonly shared: SharedFile,
    /** The canonical path of the file. */
    readonly path: string,
    /** Whether this reference may write the file. */
    readonly writable: boolean,
    private readonly release: (shared: SharedFile) => Promise<void>,
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Up to `length` bytes at `offset`, through the file's pages (POSIX pread): fewer at the end of the file,
   * none past it. A read past the known end checks the file's size first, so growth by others is seen.
   */
  async pread(offset: number, length: number): Promise<Uint8Array> {
    this.checkOpen();
    checkIndex('offset', offset);
    checkIndex('length', length);
    return preadShared(this.shared, offset, length);
  }

  /**
   * Writes `bytes` at `offset` into the file's pages (POSIX pwrite): every mapping sees them at once, and they
   * reach the file with the other dirty pages (flush, sync, eviction, close). A write past the end extends
   * the file first (the gap reads zeros). Answers the number of bytes written.
   */
  async pwrite(offset: number, bytes: Uint8Array): Promise<number> {
    this.checkOpen();
    checkBytes('bytes', bytes);
    checkIndex('offset', offset);
    checkIndex('offset + length', offset + bytes.length);
    if (!this.writable) throw this.readOnly();
    await pwriteShared(this.shared, offset, bytes);
    return bytes.length;
  }

  /**
   * Cuts or extends the file to `size` bytes (POSIX ftruncate). Growing: the new bytes read zeros, and every
   * mapping reaches the new pages. Shrinking: the pages past the end are dropped (their writes with them),
   * the rest of the last page reads zeros, and mappings fault with BusError past it, as on Linux.
   */
  async truncate(size: number): Promise<void> {
    this.checkOpen();
    checkIndex('size', size);
    if (!this.writable) throw this.readOnly();
    await truncateShared(this.shared, size);
  }

  /** Writes every dirty page of the file back (in runs of contiguous pages); answers how many. */
  async flush(): Promise<number> {
    this.checkOpen();
    return this.shared.object.flush();
  }

  /** `flush()`, then fsync: the file's data is durable when this resolves (nothing to do for a file open read-only). */
  async sync(): Promise<void> {
    await this.flush();
    if (this.shared.lease.accessor.writable) await this.shared.lease.accessor.sync();
  }

  /** Writes dirty pages back and ends this reference; the last one of a file frees its pages. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.release(this.shared);
  }

  stat(): { reads: number; pagesRead: number; writes: number; pagesWritten: number } {
    const p = this.shared.pager;
    return { reads: p.reads, pagesRead: p.pagesRead, writes: p.writes, pagesWritten: p.pagesWritten };
  }

  protected abstract readOnly(): Error;

  protected checkOpen(): void {
    if (this.closed) throw new DestroyedError(`the ${this instanceof MappedFile ? 'mapping' : 'open file'} of ${this.path}`);
  }
}

/**
 * One mapping of a file: a view of the file's shared memory object (departure: every pager of a file shares
 * its page mapper), so two mappings of one file see each other's writes at once, and so do file handles
 * (`openFile`) and address spaces. Writes reach the file when pages are evicted, on `flush()`, durably on
 * `sync()`, and on `close()`. Its size is the file's, and follows it as it grows or shrinks.
 */
export class MappedFile extends FileView {
  /** @internal Use `mapFile`. */
  constructor(shared: SharedFile, path: string, writable: boolean, release: (shared: SharedFile) => Promise<void>) {
    super(shared, path, writable, release);
  }

  /** The file's memory object, shared by every mapping of the file; address spaces map it. */
  get object(): MemoryObject {
    this.checkOpen();
    return this.shared.object;
  }

  /** The file's size in bytes (the object may be larger: it covers whole pages, and room to grow). */
  get size(): number {
    return this.shared.size;
  }

  /** Checks the file's real size now (one cheap call) and takes on growth made by anyone; answers the size. Address spaces call it before a BusError. */
  refreshSize(): number {
    return refreshSizeSync(this.shared);
  }

  /** A copy of `length` bytes at `offset`. */
  async read(offset: number, length: number): Promise<Uint8Array> {
    this.checkOpen();
    this.checkSpan(offset, length);
    return this.shared.object.read(offset, length);
  }

  async write(offset: number, bytes: Uint8Array): Promise<void> {
    this.checkOpen();
    checkBytes('bytes', bytes);
    this.checkSpan(offset, bytes.length);
    if (!this.writable) throw new ReadOnlyMappingError(this.path);
    return this.shared.object.write(offset, bytes);
  }

  /** Resident bytes with no promise (throws NotResidentError for an absent page). */
  readSync(offset: number, length: number): Uint8Array {
    this.checkOpen();
    this.checkSpan(offset, length);
    return this.shared.object.readSync(offset, length);
  }

  writeSync(offset: number, bytes: Uint8Array): void {
    this.checkOpen();
    checkBytes('bytes', bytes);
    this.checkSpan(offset, bytes.length);
    if (!this.writable) throw new ReadOnlyMappingError(this.path);
    this.shared.object.writeSync(offset, bytes);
  }

  protected readOnly(): Error {
    return new ReadOnlyMappingError(this.path);
  }

  private checkSpan(offset: number, length: number): void {
    checkIndex('offset', offset);
    checkIndex('length', length);
    if (offset + length > this.size) {
      throw new OutOfRangeError('offset + length', offset + length, this.size, `past the end of the mapping of ${this.path}`);
    }
  }
}

/**
 * A file handle whose reads, writes and truncates go through the file's one set of pages, the pages every
 * mapping of the file in the instance uses (Linux's page cache shared by read/write and mmap): a byte it
 * writes is seen at once by every mapping, and a byte a mapping writes is what it reads.
 */
export class OpenFile extends FileView {
  /** @internal Use `openFile`. */
  constructor(shared: SharedFile, path: string, writable: boolean, release: (shared: SharedFile) => Promise<void>) {
    super(shared, path, writable, release);
  }

  /** The file's size in bytes; checks the file, so growth by others is seen (POSIX fstat's st_size). */
  async size(): Promise<number> {
    this.checkOpen();
    return refreshSize(this.shared);
  }

  protected readOnly(): Error {
    return new ReadOnlyFileError(this.path);
  }
}
