// A worker's side of SQLite files shared by the owning thread (`shareSqliteFiles`, shared-files.ts): each
// file is one shared memory object of a fixed capacity, read and written with spinvm/worker's blocking
// calls, with its logical size in a small SharedArrayBuffer beside it. Why a fixed capacity: shared-files.ts.
import { attach, type WorkerMemoryObject } from '../worker/index.js';
import type { SharedMemoryObjectHandle } from '../../vmcore/index.js';
import { SqliteFileFullError } from './errors.js';
import type { SqliteStorage, TemporaryStorage } from './storage.js';
import type { SqliteFileStore } from './store.js';

/** The words of a shared file's state (a Float64Array): written by the worker only, read by the owner when it is quiet. */
export const META_SIZE = 0;
/** The end of the bytes ever written: past it the object holds zeros (it never had a page written there). */
export const META_WRITTEN = 1;
/** 1 while the file exists (SQLite deletes and remakes its journal every transaction in the default mode). */
export const META_EXISTS = 2;
export const META_WORDS = 3;

/** One shared file, as posted: its memory object's handle and its state. */
export interface SharedSqliteFile {
  readonly name: string;
  readonly object: SharedMemoryObjectHandle;
  readonly meta: SharedArrayBuffer;
}

/**
 * What `shareSqliteFiles` answers for one worker: post it with `transfer` as the transfer list
 * (`new Worker(url, { workerData: handle, transferList: handle.transfer })`), and give it to
 * `loadSqliteInWorker` there.
 */
export interface SharedSqliteFilesHandle {
  readonly kind: 'spinvm.sqlite-files';
  readonly files: readonly SharedSqliteFile[];
  /** The files' ports: the transfer list. */
  readonly transfer: readonly SharedMemoryObjectHandle['port'][];
}

const ZEROS = new Uint8Array(64 * 1024);

/**
 * A SQLite file in a shared memory object, in a worker: every call answers synchronously, blocking on the
 * owning thread for a page that is not resident (so `tryRead` and `tryWrite` answer true always, or throw
 * what the fault threw: the owner's pager failed, the object was destroyed, a timeout).
 *
 * Invariants: `size` is SQLite's size, at most `capacity`; `written` is the end of the bytes ever written,
 * past which the object reads zeros (its pages were never written). Bytes at or past `size` and below
 * `written` may hold a longer past (a journal deleted or cut): they are zeroed before the file grows over
 * them, so a write past the end leaves a gap of zeros. `meta` mirrors `size`, `written` and `exists` after
 * every change, so the owner can read the file back.
 */
export class SharedStore implements SqliteFileStore {
  size: number;
  private written: number;
  readonly capacity: number;

  constructor(
    readonly name: string,
    private readonly object: WorkerMemoryObject,
    private readonly meta: Float64Array,
  ) {
    this.size = meta[META_SIZE]!;
    this.written = meta[META_WRITTEN]!;
    this.capacity = object.size;
  }

  get exists(): boolean {
    return this.meta[META_EXISTS] === 1;
  }

  /** Made, or deleted: a deleted file is empty, and its old bytes are zeroed before they are read again. */
  setExists(exists: boolean): void {
    this.meta[META_EXISTS] = exists ? 1 : 0;
    if (!exists) this.setSize(0);
  }

  tryRead(offset: number, dest: Uint8Array): boolean {
    this.object.readIntoSync(offset, dest);
    return true;
  }

  tryWrite(offset: number, bytes: Uint8Array): boolean {
    this.object.writeSync(offset, bytes);
    return true;
  }

  read(offset: number, dest: Uint8Array): void {
    this.object.readIntoSync(offset, dest);
  }

  write(offset: number, bytes: Uint8Array): void {
    const end = offset + bytes.length;
    if (end > this.capacity) throw new SqliteFileFullError(this.name, end, this.capacity);
    if (offset > this.size) this.zero(this.size, Math.min(offset, this.written));
    this.object.writeSync(offset, bytes);
    if (end > this.written) this.meta[META_WRITTEN] = this.written = end;
    if (end > this.size) this.setSize(end);
  }

  truncate(size: number): void {
    if (size > this.capacity) throw new SqliteFileFullError(this.name, size, this.capacity);
    if (size > this.size) this.zero(this.size, Math.min(size, this.written));
    this.setSize(size);
  }

  sync(): void {
    // The pages are the owner's: its pager (swap, a file) writes them back on eviction; nothing to wait for here.
  }

  close(): void {
    // The file lives on in the owner's object until the owner destroys it.
  }

  /** The object's handle in this worker ends (its port closes). */
  detach(): void {
    this.object.close();
  }

  private setSize(size: number): void {
    this.size = size;
    this.meta[META_SIZE] = size;
  }

  private zero(from: number, to: number): void {
    for (let at = from; at < to; at += ZEROS.length) this.object.writeSync(at, ZEROS.subarray(0, Math.min(ZEROS.length, to - at)));
  }
}

/** The shared files by name: only those the owner shared exist; a file SQLite deletes is emptied and marked gone. */
export class SharedStorage implements SqliteStorage {
  private readonly files = new Map<string, SharedStore>();

  constructor(handle: SharedSqliteFilesHandle, timeout: number | undefined) {
    for (const file of handle.files) {
      const object = attach(file.object, timeout === undefined ? undefined : { timeout });
      this.files.set(file.name, new SharedStore(file.name, object, new Float64Array(file.meta)));
    }
  }

  /** The names shared with this worker. */
  get names(): string[] {
    return [...this.files.keys()];
  }

  open(name: string, create: boolean): SharedStore | undefined {
    const file = this.files.get(name);
    if (file === undefined || (!file.exists && !create)) return undefined;
    if (!file.exists) file.setExists(true);
    return file;
  }

  exists(name: string): boolean {
    return this.files.get(name)?.exists === true;
  }

  delete(name: string): boolean {
    const file = this.files.get(name);
    if (file === undefined || !file.exists) return false;
    file.setExists(false);
    return true;
  }

  /** Ends this worker's handles; the files stay the owner's. */
  close(): void {
    for (const file of this.files.values()) file.detach();
    this.files.clear();
  }
}

/**
 * SQLite's nameless files (temporary tables, statement journals) in this worker's own memory: they live and
 * die with one connection, so they need no owner; each grows as an ArrayBuffer does, to at most `capacity`.
 */
export class HeapStorage implements TemporaryStorage {
  private readonly files = new Map<string, HeapStore>();
  private temps = 0;

  constructor(private readonly capacity: number) {}

  open(name: string, create: boolean): HeapStore | undefined {
    let file = this.files.get(name);
    if (file === undefined && create) this.files.set(name, (file = new HeapStore(name, this.capacity)));
    return file;
  }

  temporaryName(): string {
    return `\0temporary ${++this.temps}`;
  }

  exists(name: string): boolean {
    return this.files.has(name);
  }

  delete(name: string): boolean {
    return this.files.delete(name);
  }

  close(): void {
    this.files.clear();
  }
}

/** A file in one growable buffer of this thread. Invariant: bytes past `size` in `bytes` are zeros. */
export class HeapStore implements SqliteFileStore {
  size = 0;
  private bytes = new Uint8Array(0);

  constructor(
    readonly name: string,
    private readonly capacity: number,
  ) {}

  tryRead(offset: number, dest: Uint8Array): boolean {
    dest.set(this.bytes.subarray(offset, offset + dest.length));
    return true;
  }

  tryWrite(offset: number, bytes: Uint8Array): boolean {
    this.bytes.set(bytes, offset);
    return true;
  }

  read(offset: number, dest: Uint8Array): void {
    this.tryRead(offset, dest);
  }

  write(offset: number, bytes: Uint8Array): void {
    const end = offset + bytes.length;
    this.reserve(end);
    this.bytes.set(bytes, offset);
    if (end > this.size) this.size = end;
  }

  truncate(size: number): void {
    this.reserve(size);
    if (size < this.size) this.bytes.fill(0, size, this.size);
    this.size = size;
  }

  sync(): void {}

  close(): void {}

  private reserve(end: number): void {
    if (end > this.capacity) throw new SqliteFileFullError(this.name, end, this.capacity);
    if (end <= this.bytes.length) return;
    const grown = new Uint8Array(Math.min(this.capacity, Math.max(end, 2 * this.bytes.length, 4096)));
    grown.set(this.bytes);
    this.bytes = grown;
  }
}
