import { OutOfMemoryError, PagerFailedError, ResultCode, type MaybePromise } from '../../vmcore/index.js';
import * as C from './constants.js';
import { SqliteFileFullError } from './errors.js';
import { FileLocks, type LockHolder } from './locks.js';
import type { SqliteStorage, TemporaryStorage } from './storage.js';
import type { SqliteFileStore } from './store.js';

/** What SQLite hands a VFS to answer through: a little-endian view of 4 or 8 bytes of its memory. */
export interface OutValue {
  setInt32(offset: number, value: number, littleEndian: boolean): void;
  setBigInt64(offset: number, value: bigint, littleEndian: boolean): void;
}

/** One file, by name, while any connection has it open: its store and the locks its connections share. */
interface OpenEntry {
  /** The file's name in `storage` (SQLite's temporary files get one from the temporary storage). */
  readonly name: string;
  readonly storage: SqliteStorage;
  readonly store: SqliteFileStore;
  readonly locks: FileLocks;
  refs: number;
  /** SQLITE_OPEN_DELETEONCLOSE: deleted when the last connection closes it. */
  deleteOnClose: boolean;
}

/** One xOpen: a connection's handle on a file. */
interface Handle extends LockHolder {
  readonly entry: OpenEntry;
  readonly writable: boolean;
}

/**
 * The VFS's files and locks, for SQLite's xOpen .. xAccess, whatever runs them: each method answers SQLite's
 * result code, or a promise of it when the store had to wait (a page fault on this thread). The wa-sqlite
 * adapter of this thread (vfs.ts) turns those promises into Asyncify suspensions; a worker's synchronous
 * build can run the same logic over stores that never answer a promise.
 *
 * Invariants: `entries` holds exactly the names some handle has open (refs > 0), so two connections of one
 * file share one store and one FileLocks; an error thrown by a store never reaches SQLite (it would abort
 * the WebAssembly call): it becomes an SQLITE_IOERR_* code and is kept in `lastError`.
 */
export class SqliteFiles {
  private readonly handles = new Map<number, Handle>();
  private readonly entries = new Map<string, OpenEntry>();
  /** The last error a store threw, turned into a result code for SQLite; for diagnostics. */
  lastError: unknown = undefined;

  constructor(
    private readonly storage: SqliteStorage,
    private readonly temporary: TemporaryStorage,
  ) {}

  /** How many files connections have open (by handle). */
  get openCount(): number {
    return this.handles.size;
  }

  xOpen(name: string | null, fileId: number, flags: number, outFlags: OutValue): MaybePromise<number> {
    if (this.handles.has(fileId)) return C.SQLITE_CANTOPEN;
    outFlags.setInt32(0, flags, true);
    const writable = (flags & C.SQLITE_OPEN_READWRITE) !== 0;
    const open = name ? this.entries.get(name) : undefined;
    if (open) return this.attach(open, fileId, flags, writable);
    // A nameless file of SQLite's (a temporary table, a statement journal) is made in the temporary storage,
    // under a name no real file has, and deleted when closed.
    const storage = name ? this.storage : this.temporary;
    const key = name || this.temporary.temporaryName();
    return this.settle(
      C.SQLITE_CANTOPEN,
      () => storage.open(key, !name || (flags & C.SQLITE_OPEN_CREATE) !== 0, writable),
      (store) => {
        if (!store) return C.SQLITE_CANTOPEN;
        const entry: OpenEntry = { name: key, storage, store, locks: new FileLocks(), refs: 0, deleteOnClose: !name };
        if (name) this.entries.set(name, entry);
        return this.attach(entry, fileId, flags, writable);
      },
    );
  }

  xClose(fileId: number): MaybePromise<number> {
    const handle = this.handles.get(fileId);
    if (!handle) return C.SQLITE_OK; // SQLite closes a file whose open failed
    this.handles.delete(fileId);
    const entry = handle.entry;
    entry.locks.unlock(handle, C.SQLITE_LOCK_NONE);
    if (--entry.refs > 0) return C.SQLITE_OK;
    if (this.entries.get(entry.name) === entry) this.entries.delete(entry.name);
    return this.settle(
      C.SQLITE_IOERR_CLOSE,
      () => entry.store.close(),
      () => (entry.deleteOnClose ? this.settle(C.SQLITE_IOERR_DELETE, () => entry.storage.delete(entry.name), ok) : C.SQLITE_OK),
    );
  }

  xRead(fileId: number, dest: Uint8Array, offset: number): MaybePromise<number> {
    const handle = this.handles.get(fileId);
    if (!handle) return C.SQLITE_IOERR_READ;
    const store = handle.entry.store;
    // SQLite reads past the end (a new database's header): the bytes there read zeros, and it is told so.
    const have = Math.max(0, Math.min(dest.length, store.size - offset));
    const within = have === dest.length ? dest : dest.subarray(0, have);
    if (have < dest.length) dest.fill(0, have);
    const code = have < dest.length ? C.SQLITE_IOERR_SHORT_READ : C.SQLITE_OK;
    try {
      if (have === 0 || store.tryRead(offset, within)) return code;
    } catch (err) {
      return this.failed(err, C.SQLITE_IOERR_READ);
    }
    return this.settle(
      C.SQLITE_IOERR_READ,
      () => store.read(offset, within),
      () => code,
    );
  }

  xWrite(fileId: number, bytes: Uint8Array, offset: number): MaybePromise<number> {
    const handle = this.handles.get(fileId);
    if (!handle || !handle.writable) return C.SQLITE_IOERR_WRITE;
    const store = handle.entry.store;
    try {
      if (offset + bytes.length <= store.size && store.tryWrite(offset, bytes)) return C.SQLITE_OK;
    } catch (err) {
      return this.failed(err, C.SQLITE_IOERR_WRITE);
    }
    return this.settle(C.SQLITE_IOERR_WRITE, () => store.write(offset, bytes), ok);
  }

  xTruncate(fileId: number, size: number): MaybePromise<number> {
    const handle = this.handles.get(fileId);
    if (!handle || !handle.writable) return C.SQLITE_IOERR_TRUNCATE;
    const store = handle.entry.store;
    if (size === store.size) return C.SQLITE_OK;
    return this.settle(C.SQLITE_IOERR_TRUNCATE, () => store.truncate(size), ok);
  }

  xSync(fileId: number, _flags: number): MaybePromise<number> {
    const handle = this.handles.get(fileId);
    if (!handle) return C.SQLITE_IOERR_FSYNC;
    if (!handle.writable) return C.SQLITE_OK;
    return this.settle(C.SQLITE_IOERR_FSYNC, () => handle.entry.store.sync(), ok);
  }

  xFileSize(fileId: number, out: OutValue): number {
    const handle = this.handles.get(fileId);
    if (!handle) return C.SQLITE_IOERR_FSTAT;
    out.setBigInt64(0, BigInt(handle.entry.store.size), true);
    return C.SQLITE_OK;
  }

  xLock(fileId: number, level: number): number {
    const handle = this.handles.get(fileId);
    return handle ? handle.entry.locks.lock(handle, level) : C.SQLITE_IOERR_LOCK;
  }

  xUnlock(fileId: number, level: number): number {
    const handle = this.handles.get(fileId);
    return handle ? handle.entry.locks.unlock(handle, level) : C.SQLITE_IOERR_UNLOCK;
  }

  xCheckReservedLock(fileId: number, out: OutValue): number {
    const handle = this.handles.get(fileId);
    if (!handle) return C.SQLITE_IOERR_CHECKRESERVEDLOCK;
    out.setInt32(0, handle.entry.locks.isReserved ? 1 : 0, true);
    return C.SQLITE_OK;
  }

  xDelete(name: string, _syncDir: number): MaybePromise<number> {
    const open = this.entries.get(name);
    if (open) {
      // POSIX unlink of an open file: it goes when its last connection closes it.
      open.deleteOnClose = true;
      return C.SQLITE_OK;
    }
    return this.settle(
      C.SQLITE_IOERR_DELETE,
      () => this.storage.delete(name),
      (existed) => (existed ? C.SQLITE_OK : C.SQLITE_IOERR_DELETE_NOENT),
    );
  }

  xAccess(name: string, _flags: number, out: OutValue): MaybePromise<number> {
    if (this.entries.has(name)) {
      out.setInt32(0, 1, true);
      return C.SQLITE_OK;
    }
    return this.settle(
      C.SQLITE_IOERR_ACCESS,
      () => this.storage.exists(name),
      (exists) => {
        out.setInt32(0, exists ? 1 : 0, true);
        return C.SQLITE_OK;
      },
    );
  }

  private attach(entry: OpenEntry, fileId: number, flags: number, writable: boolean): number {
    entry.refs++;
    if (flags & C.SQLITE_OPEN_DELETEONCLOSE) entry.deleteOnClose = true;
    this.handles.set(fileId, { entry, writable, lock: C.SQLITE_LOCK_NONE });
    return C.SQLITE_OK;
  }

  /**
   * Runs `step` and then `then` on its result, synchronously when `step` answered synchronously; a throw or
   * a rejection becomes the result code `code` for the failure (SQLITE_FULL for a full file or pool).
   */
  private settle<T>(code: number, step: () => MaybePromise<T>, then: (value: T) => MaybePromise<number>): MaybePromise<number> {
    let value: MaybePromise<T>;
    try {
      value = step();
    } catch (err) {
      return this.failed(err, code);
    }
    if (!(value instanceof Promise)) return then(value);
    return value.then(then, (err: unknown) => this.failed(err, code));
  }

  private failed(err: unknown, code: number): number {
    this.lastError = err;
    if (err instanceof SqliteFileFullError || err instanceof OutOfMemoryError) return C.SQLITE_FULL;
    if (err instanceof PagerFailedError && err.result === ResultCode.DeviceFull) return C.SQLITE_FULL;
    return code;
  }
}

function ok(): number {
  return C.SQLITE_OK;
}
