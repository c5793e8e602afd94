import type { MappedFile } from '../../pagers/index.js';
import type { Access, MaybePromise, MemoryObject } from '../../vmcore/index.js';
import { SqliteFileFullError } from './errors.js';

/**
 * Where the bytes of one SQLite file come from. The VFS's file and lock logic (files.ts) sees a file only
 * through this, so a store may be a memory object on this thread (below) or, later, a shared memory object
 * attached in a worker whose misses block until the owning thread has paged them in.
 *
 * Contract: calls on one store never overlap (SQLite runs one VFS call at a time); `tryRead` and `tryWrite`
 * are only asked for bytes within `size`. A store whose misses block (a worker's) answers true from them
 * always; one on this thread answers false on a miss, having copied nothing, and the caller awaits
 * `read`/`write`, which may fault pages in.
 */
export interface SqliteFileStore {
  /** The file's size in bytes (SQLite's idea of it: what was written, cut by `truncate`). */
  readonly size: number;
  /** Copies `dest.length` bytes at `offset` if every page is resident; false (nothing copied) on a miss. */
  tryRead(offset: number, dest: Uint8Array): boolean;
  /** Writes `bytes` at `offset` if every page is resident; false (nothing written) on a miss. */
  tryWrite(offset: number, bytes: Uint8Array): boolean;
  /** Copies `dest.length` bytes at `offset` (within `size`), faulting pages in. */
  read(offset: number, dest: Uint8Array): MaybePromise<void>;
  /** Writes `bytes` at `offset`, anywhere: past the end the file grows, the gap reading zeros. */
  write(offset: number, bytes: Uint8Array): MaybePromise<void>;
  /** Makes the file `size` bytes long: cut, or grown with zeros. */
  truncate(size: number): MaybePromise<void>;
  /** Makes what was written durable, where the store has durability. */
  sync(): MaybePromise<void>;
  /** The last connection closed the file: release what it holds (the bytes stay, unless the file is deleted). */
  close(): MaybePromise<void>;
}

const ZEROS = new Uint8Array(64 * 1024);

/**
 * Whether `offset .. offset + length` of `o` is resident, after faulting in what is not where the pager
 * answers at once (the default pager's swap and the file pager read synchronously): then SQLite needs no
 * suspension at all. A page-in that would wait is left running (the caller's `read` or `write` joins it:
 * one page-in per page, however many wait for it) and the answer is false.
 */
function residentNow(o: MemoryObject, offset: number, length: number, access: Access): boolean {
  if (o.isResident(offset, length)) return true;
  const ps = o.pageSize;
  for (let page = Math.floor(offset / ps), last = Math.floor((offset + length - 1) / ps); page <= last; page++) {
    const pending = o.request(page, access);
    if (pending !== undefined) {
      pending.catch(() => undefined); // its failure reaches the caller's read or write
      return false;
    }
  }
  return o.isResident(offset, length); // a small pool may have taken the first page back for the last
}

/**
 * A file in anonymous memory: a row of memory objects of `chunkBytes` each (chunk k holds the file's bytes
 * from k * chunkBytes), made as writes reach them and paged by whatever pager they were made with (the
 * default pager's swap, the bogopager, any other). Chunks, not one object as large as the file may ever be:
 * an object's page table costs in proportion to its size when it is made and destroyed, and SQLite makes and
 * deletes a journal every transaction.
 *
 * Invariants: `size` is SQLite's size, at most `capacity`. A chunk never made reads zeros. Bytes of a longer
 * past may remain in made chunks below `written` and past `size`; they are zeroed again before the file
 * grows over them, so the gap of a write past the end reads zeros. Cutting the file destroys the chunks
 * wholly past the cut, giving their frames and swap back at once (to nothing: a journal, every transaction).
 */
export class ObjectStore implements SqliteFileStore {
  size = 0;
  /** The end of the bytes ever written and not given back: past it every chunk reads zeros. */
  private written = 0;
  private readonly chunks: Array<MemoryObject | undefined> = [];

  constructor(
    readonly name: string,
    readonly capacity: number,
    private readonly chunkBytes: number,
    private readonly make: (chunk: number) => MemoryObject,
  ) {}

  tryRead(offset: number, dest: Uint8Array): boolean {
    const cb = this.chunkBytes;
    const k = Math.floor(offset / cb);
    const within = offset - k * cb;
    if (within + dest.length > cb) return false; // across two chunks: the general path
    const o = this.chunks[k];
    if (o === undefined) {
      dest.fill(0);
      return true;
    }
    if (!residentNow(o, within, dest.length, 'read')) return false;
    o.readSyncInto(within, dest);
    return true;
  }

  tryWrite(offset: number, bytes: Uint8Array): boolean {
    const cb = this.chunkBytes;
    const k = Math.floor(offset / cb);
    const within = offset - k * cb;
    const o = this.chunks[k];
    if (o === undefined || within + bytes.length > cb || !residentNow(o, within, bytes.length, 'write')) return false;
    o.writeSync(within, bytes);
    return true;
  }

  async read(offset: number, dest: Uint8Array): Promise<void> {
    for (let at = 0; at < dest.length;) {
      const k = Math.floor((offset + at) / this.chunkBytes);
      const within = offset + at - k * this.chunkBytes;
      const n = Math.min(dest.length - at, this.chunkBytes - within);
      const o = this.chunks[k];
      if (o === undefined) dest.fill(0, at, at + n);
      else await o.readInto(within, dest.subarray(at, at + n));
      at += n;
    }
  }

  async write(offset: number, bytes: Uint8Array): Promise<void> {
    const end = offset + bytes.length;
    if (end > this.capacity) throw new SqliteFileFullError(this.name, end, this.capacity);
    if (offset > this.size) await this.zero(this.size, Math.min(offset, this.written));
    await this.put(offset, bytes);
    if (end > this.size) this.size = end;
    if (end > this.written) this.written = end;
  }

  async truncate(size: number): Promise<void> {
    if (size > this.capacity) throw new SqliteFileFullError(this.name, size, this.capacity);
    if (size > this.size) await this.zero(this.size, Math.min(size, this.written));
    else {
      const keep = Math.ceil(size / this.chunkBytes);
      await this.destroyFrom(keep);
      this.written = Math.min(this.written, keep * this.chunkBytes);
    }
    this.size = size;
  }

  sync(): void {
    // Anonymous memory has nothing to be durable on.
  }

  close(): void {
    // The file lives on, by name, until it is deleted or the VFS is closed.
  }

  /** Deleted: frames and swap go back now. */
  async destroy(): Promise<void> {
    this.size = this.written = 0;
    await this.destroyFrom(0);
  }

  private async destroyFrom(chunk: number): Promise<void> {
    const gone = this.chunks.splice(chunk);
    for (const o of gone) if (o) await o.destroy();
  }

  /** Writes `bytes` at `offset`, chunk by chunk, making the chunks it reaches. */
  private async put(offset: number, bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length;) {
      const k = Math.floor((offset + at) / this.chunkBytes);
      const within = offset + at - k * this.chunkBytes;
      const n = Math.min(bytes.length - at, this.chunkBytes - within);
      const o = (this.chunks[k] ??= this.make(k));
      await o.write(within, n === bytes.length ? bytes : bytes.subarray(at, at + n));
      at += n;
    }
  }

  private async zero(from: number, to: number): Promise<void> {
    for (let at = from; at < to; at += ZEROS.length) {
      const k = Math.floor(at / this.chunkBytes);
      if (this.chunks[k] === undefined) continue; // reads zeros already
      await this.put(at, ZEROS.subarray(0, Math.min(ZEROS.length, to - at, (k + 1) * this.chunkBytes - at)));
    }
  }
}

/**
 * A real file through the file pager (`mapFile`): its pages are the file's one memory object, shared with
 * every other mapping and handle of the file in the instance, and written back on eviction, `sync` and close.
 */
export class MappedStore implements SqliteFileStore {
  constructor(private readonly file: MappedFile) {}

  get size(): number {
    return this.file.size;
  }

  tryRead(offset: number, dest: Uint8Array): boolean {
    const o = this.file.object;
    if (!residentNow(o, offset, dest.length, 'read')) return false;
    o.readSyncInto(offset, dest);
    return true;
  }

  tryWrite(offset: number, bytes: Uint8Array): boolean {
    const o = this.file.object;
    if (!this.file.writable || !residentNow(o, offset, bytes.length, 'write')) return false;
    o.writeSync(offset, bytes);
    return true;
  }

  read(offset: number, dest: Uint8Array): Promise<void> {
    return this.file.object.readInto(offset, dest);
  }

  async write(offset: number, bytes: Uint8Array): Promise<void> {
    // Within the file, through its pages; past its end, pwrite extends the file first (one ftruncate).
    if (offset + bytes.length <= this.file.size && this.file.writable) await this.file.object.write(offset, bytes);
    else await this.file.pwrite(offset, bytes);
  }

  truncate(size: number): Promise<void> {
    return this.file.truncate(size);
  }

  sync(): Promise<void> {
    return this.file.sync();
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
