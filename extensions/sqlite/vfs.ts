import { checkOptions, checkPositive, InvalidArgumentError, type MaybePromise, type Vm } from '../../vmcore/index.js';
import * as C from './constants.js';
import { SqliteVfsBase } from './vfs-base.js';
import { SqliteFiles, type OutValue } from './files.js';
import { DirectoryStorage, MemoryStorage, type SqlitePagerChoice } from './storage.js';

export interface SqliteVfsOptions {
  /** The name SQLite knows the VFS by (`open_v2`'s last argument). Default 'spinvm'. */
  name?: string;
  /**
   * Keep every named file as a real file in this directory, through the file pager (`mapFile`): the
   * database is an ordinary SQLite file. Default: every file in an anonymous memory object.
   */
  directory?: string;
  /** In-memory files: the most bytes one may hold; a write past it is SQLITE_FULL. Default: no limit but the pager's. */
  capacity?: number;
  /**
   * In-memory files: the pager of their memory objects (one per 4 MiB of a file), as a factory
   * `(file) => Pager` called for each (a pager serves one object) or the name of a pager bound in the
   * container. Default: the instance's default pager.
   */
  pager?: SqlitePagerChoice;
}

const DEFAULT_CAPACITY = Number.MAX_SAFE_INTEGER;
/** Answered by handleAsync when SQLite calls back in to finish a suspended call (see `answer`). */
const REWOUND = (): Promise<number> => Promise.resolve(C.SQLITE_OK);

/**
 * A SQLite VFS whose files are spinvm memory objects, for wa-sqlite's asynchronous (Asyncify) build on this
 * thread: register it with `sqlite3.vfs_register(vfs, true)`, or let `loadSqlite` do it.
 *
 * A call whose pages are resident answers at once, with no promise; a page fault suspends SQLite (wa-sqlite's
 * `handleAsync`) until the page is in. When the promise settles, Asyncify calls the same method again to
 * rewind the stack; that second call must answer through `handleAsync` again and do nothing else, so
 * `resuming` remembers that one call is suspended (there is one at a time: SQLite on one WebAssembly module
 * makes one VFS call at a time, and waits for it). Use one VFS per wa-sqlite module.
 *
 * Locks are SQLite's five levels among the connections of this VFS (several connections to one file work,
 * the others get SQLITE_BUSY as with any VFS); they do not reach other processes or other VFS instances,
 * and there is no shared memory (xShm), so WAL needs `PRAGMA locking_mode = EXCLUSIVE`.
 */
export class SpinVfs extends SqliteVfsBase {
  readonly name: string;
  /** What SQLite would be told of path lengths; wa-sqlite 1.0's build keeps 64 bytes whatever a VFS says. */
  /** The file and lock logic, shared with any other VFS front over the same files. */
  readonly files: SqliteFiles;
  private readonly storage: MemoryStorage | DirectoryStorage;
  private readonly temporary: MemoryStorage;
  private resuming = false;
  private closed = false;

  constructor(vm: Vm, options?: SqliteVfsOptions) {
    super();
    if (typeof vm !== 'object' || vm === null || typeof (vm as Partial<Vm>).createMemoryObject !== 'function') {
      throw new InvalidArgumentError('vm', vm, 'a spinvm instance (createVm())');
    }
    const o = checkOptions<SqliteVfsOptions>('options', options, ['name', 'directory', 'capacity', 'pager']);
    if (o.name !== undefined && (typeof o.name !== 'string' || o.name.length === 0 || o.name.includes('\0'))) {
      throw new InvalidArgumentError('name', o.name, 'a non-empty string without NUL');
    }
    if (o.directory !== undefined && (typeof o.directory !== 'string' || o.directory.length === 0)) {
      throw new InvalidArgumentError('directory', o.directory, 'a directory path');
    }
    if (o.capacity !== undefined) checkPositive('capacity', o.capacity);
    if (o.pager !== undefined && typeof o.pager !== 'string' && typeof o.pager !== 'function') {
      throw new InvalidArgumentError('pager', o.pager, "a pager's name or a function (file) => Pager");
    }
    this.name = o.name ?? 'spinvm';
    this.temporary = new MemoryStorage(vm, o.capacity ?? DEFAULT_CAPACITY, o.pager);
    this.storage = o.directory === undefined ? this.temporary : new DirectoryStorage(vm, o.directory);
    this.files = new SqliteFiles(this.storage, this.temporary);
  }

  /**
   * Replaced by wa-sqlite's asynchronous build when the VFS is registered. Left as it is (the synchronous
   * build), a call that would wait fails with SQLITE_IOERR instead of handing SQLite a promise.
   */
  handleAsync(f: () => Promise<number>): number {
    this.resuming = false; // no second call comes
    void f();
    return C.SQLITE_IOERR;
  }

  /** Gives back every in-memory file's frames and swap. Close every database first. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.storage.close();
    if (this.temporary !== this.storage) await this.temporary.close();
  }

  xOpen(name: string | null, fileId: number, flags: number, outFlags: OutValue): number {
    return this.resuming ? this.resume() : this.answer(this.files.xOpen(name, fileId, flags, outFlags));
  }
  xClose(fileId: number): number {
    return this.resuming ? this.resume() : this.answer(this.files.xClose(fileId));
  }
  xRead(fileId: number, pData: Uint8Array, iOffset: number): number {
    return this.resuming ? this.resume() : this.answer(this.files.xRead(fileId, pData, iOffset));
  }
  xWrite(fileId: number, pData: Uint8Array, iOffset: number): number {
    return this.resuming ? this.resume() : this.answer(this.files.xWrite(fileId, pData, iOffset));
  }
  xTruncate(fileId: number, iSize: number): number {
    return this.resuming ? this.resume() : this.answer(this.files.xTruncate(fileId, iSize));
  }
  xSync(fileId: number, flags: number): number {
    return this.resuming ? this.resume() : this.answer(this.files.xSync(fileId, flags));
  }
  xDelete(name: string, syncDir: number): number {
    return this.resuming ? this.resume() : this.answer(this.files.xDelete(name, syncDir));
  }
  xAccess(name: string, flags: number, pResOut: OutValue): number {
    return this.resuming ? this.resume() : this.answer(this.files.xAccess(name, flags, pResOut));
  }

  /** A result now, or a suspension of SQLite until the promise settles (it never rejects: see SqliteFiles). */
  private answer(result: MaybePromise<number>): number {
    if (typeof result === 'number') return result;
    this.resuming = true;
    return this.handleAsync(() => result);
  }

  /** The second call of a suspended method: handleAsync answers what the promise resolved to. */
  private resume(): number {
    this.resuming = false;
    return this.handleAsync(REWOUND);
  }
}
