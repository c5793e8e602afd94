import type { MappedFile } from '../../pagers/index.js';
import type { MaybePromise, MemoryObject } from '../../vmcore/index.js';
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
 * A file in anonymous memory: one memory object of `capacity` bytes, paged by whatever pager it was made
 * with (the default pager's swap, the bogopager, any other), made at the first write. `size` is SQLite's
 * size; the object past it may still hold bytes of a longer past (`written`), zeroed again before the file
 * grows over them, so the gap of a write past the end reads zeros. Cutting a file to nothing destroys the
 * object, giving its frames and swap back at once (a journal, every transaction).
 */
export class ObjectStore implements SqliteFileStore {
  size = 0;
  /** The end of the bytes ever written to the object: past it the object reads zeros. */
  private written = 0;
  private object: MemoryObject | undefined;

  constructor(
    readonly name: string,
    readonly capacity: number,
    private readonly make: () => MemoryObject,
  ) {}

  tryRead(offset: number, dest: Uint8Array): boolean {
    const o = this.object!; // size > 0, so it was made
    if (!o.isResident(offset, dest.length)) return false;
    // readSync allocates its result; a read into the caller's buffer from resident pages would save it.
    dest.set(o.readSync(offset, dest.length));
    return true;
  }

  tryWrite(offset: number, bytes: Uint8Array): boolean {
    const o = this.object!;
    if (!o.isResident(offset, bytes.length)) return false;
    o.writeSync(offset, bytes);
    return true;
  }

  read(offset: number, dest: Uint8Array): Promise<void> {
    return this.object!.readInto(offset, dest);
  }

  async write(offset: number, bytes: Uint8Array): Promise<void> {
    const end = offset + bytes.length;
    if (end > this.capacity) throw new SqliteFileFullError(this.name, end, this.capacity);
    this.object ??= this.make();
    if (offset > this.size) await this.zero(this.size, Math.min(offset, this.written));
    await this.object.write(offset, bytes);
    if (end > this.size) this.size = end;
    if (end > this.written) this.written = end;
  }

  async truncate(size: number): Promise<void> {
    if (size > this.capacity) throw new SqliteFileFullError(this.name, size, this.capacity);
    if (size === 0) return this.destroy();
    if (size > this.size) {
      this.object ??= this.make();
      await this.zero(this.size, Math.min(size, this.written));
    }
    this.size = size;
  }

  sync(): void {
    // Anonymous memory has nothing to be durable on.
  }

  close(): void {
    // The file lives on, by name, until it is deleted or the VFS is closed.
  }

  /** Deleted, or cut to nothing: frames and swap go back now. */
  async destroy(): Promise<void> {
    const o = this.object;
    this.object = undefined;
    this.size = this.written = 0;
    if (o) await o.destroy();
  }

  private async zero(from: number, to: number): Promise<void> {
    for (let at = from; at < to; at += ZEROS.length) await this.object!.write(at, ZEROS.subarray(0, Math.min(ZEROS.length, to - at)));
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
    if (!o.isResident(offset, dest.length)) return false;
    dest.set(o.readSync(offset, dest.length));
    return true;
  }

  tryWrite(offset: number, bytes: Uint8Array): boolean {
    const o = this.file.object;
    if (!this.file.writable || !o.isResident(offset, bytes.length)) return false;
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
