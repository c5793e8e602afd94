import type { FileLease } from '../../fs/registry.js';
import { DestroyedError, OutOfRangeError } from '../../vmcore/errors.js';
import type { MemoryObject } from '../../vmcore/memory-object/memory-object.js';
import { checkBytes, checkIndex } from '../../vmcore/validate.js';
import { ReadOnlyMappingError } from './errors.js';
import type { FilePager } from './file-pager.js';

/** What every mapping of one file shares: one memory object (one set of pages) and one lease on the file. */
export interface SharedFile {
  /** Covers `size` rounded up to whole pages: the rest of the last page is memory, never written to the file. */
  readonly object: MemoryObject;
  readonly pager: FilePager;
  readonly lease: FileLease;
  /** The mapped size in bytes. */
  readonly size: number;
  /** What `lease.shared` holds for it: only the holder of this may remove it (never a successor's). */
  readonly slot: object;
  /** Open mappings of the file in this instance; the last close destroys the object and releases the lease. */
  mappings: number;
  /** Set once the last mapping closed or the instance shut down: no mapping may join it any more. */
  dead: boolean;
  /** Cancels the instance's shutdown hooks for this file. */
  cancelShutdown: () => void;
}

/**
 * One mapping of a file: a view of the file's shared memory object (departure: every pager of a file shares
 * its page mapper), so two mappings of one file see each other's writes at once. Writes reach the file when
 * pages are evicted, on `flush()`, durably on `sync()`, and on `close()`.
 */
export class MappedFile {
  private closed = false;

  /** @internal Use `mapFile`. */
  constructor(
    private readonly shared: SharedFile,
    /** The canonical path of the file. */
    readonly path: string,
    readonly writable: boolean,
    private readonly release: (shared: SharedFile) => Promise<void>,
  ) {}

  /** The file's memory object, shared by every mapping of the file; address spaces map it. */
  get object(): MemoryObject {
    this.checkOpen();
    return this.shared.object;
  }

  /** The mapped size in bytes (the object may be larger: it ends on a page boundary). */
  get size(): number {
    return this.shared.size;
  }

  get isClosed(): boolean {
    return this.closed;
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

  /** Writes every dirty page back to the file (in runs of contiguous pages); answers how many. */
  async flush(): Promise<number> {
    this.checkOpen();
    return this.shared.object.flush();
  }

  /** `flush()`, then fsync: the file's data is durable when this resolves. */
  async sync(): Promise<void> {
    await this.flush();
    await this.shared.lease.accessor.sync();
  }

  /** Writes dirty pages back and ends this mapping; the last mapping of a file frees its pages. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.release(this.shared);
  }

  stat(): { reads: number; pagesRead: number; writes: number; pagesWritten: number } {
    const p = this.shared.pager;
    return { reads: p.reads, pagesRead: p.pagesRead, writes: p.writes, pagesWritten: p.pagesWritten };
  }

  private checkOpen(): void {
    if (this.closed) throw new DestroyedError(`the mapping of ${this.path}`);
  }

  private checkSpan(offset: number, length: number): void {
    checkIndex('offset', offset);
    checkIndex('length', length);
    if (offset + length > this.size) {
      throw new OutOfRangeError('offset + length', offset + length, this.size, `past the end of the mapping of ${this.path}`);
    }
  }
}
