/**
 * spinvm/sqlite/worker: SQLite in a worker thread, wa-sqlite's synchronous build, over files the owning thread
 * shared with `shareSqliteFiles` (spinvm/sqlite). A resident page is read and written in shared memory; a miss
 * blocks this thread (Atomics.wait) while the owner pages it in with whatever pager it chose, asynchronous
 * ones included. No Asyncify: SQLite's calls never suspend, so they cost what the synchronous build costs.
 *
 *   const { sqlite3, vfs } = await loadSqliteInWorker(workerData);
 *   const db = await sqlite3.open_v2('app.db');
 */
import { InvalidArgumentError, checkOptions, checkPositive, type MaybePromise } from '../../vmcore/index.js';
import * as C from './constants.js';
import { SqliteVfsBase } from './vfs-base.js';
import { SqliteFiles, type OutValue } from './files.js';
import { HeapStorage, SharedStorage, type SharedSqliteFilesHandle } from './shared-store.js';
import { instantiateSqlite, type SqliteApi } from './wasm.js';

export type { SqliteApi } from './wasm.js';
export type { SharedSqliteFilesHandle } from './shared-store.js';
export { SqliteFileFullError, SqliteUnavailableError } from './errors.js';

export interface WorkerSqliteOptions {
  /** The name SQLite knows the VFS by. Default 'spinvm'. */
  name?: string;
  /** Make the VFS SQLite's default. Default true. */
  makeDefault?: boolean;
  /** Milliseconds a page fault may wait for the owning thread; past it the call is SQLITE_IOERR. Default: no limit. */
  timeout?: number;
  /** The most bytes one of SQLite's temporary files (kept in this worker's memory) may hold. Default: no limit. */
  temporaryCapacity?: number;
}

export interface WorkerSqlite {
  /** wa-sqlite's API over a fresh synchronous SQLite module. */
  sqlite3: SqliteApi;
  /** The VFS registered in it; `vfs.close()` ends this worker's handles once its databases are closed. */
  vfs: WorkerVfs;
}

/**
 * A SQLite VFS for wa-sqlite's synchronous build whose named files are the shared files of `handle`
 * (`shareSqliteFiles` on the owning thread), and whose nameless files are in this worker's memory. The file
 * and lock logic is SqliteFiles's, the same as the main thread's SpinVfs; here every store answers at once.
 * A name that was not shared cannot be opened (SQLITE_CANTOPEN): share a database with its journal.
 */
export class WorkerVfs extends SqliteVfsBase {
  readonly name: string;
  readonly files: SqliteFiles;
  private readonly storage: SharedStorage;
  private readonly temporary: HeapStorage;

  constructor(handle: SharedSqliteFilesHandle, options?: Omit<WorkerSqliteOptions, 'makeDefault'>) {
    super();
    if (typeof handle !== 'object' || handle === null || handle.kind !== 'spinvm.sqlite-files') {
      throw new InvalidArgumentError('handle', handle, 'a handle made by shareSqliteFiles');
    }
    const o = checkOptions<Omit<WorkerSqliteOptions, 'makeDefault'>>('options', options, ['name', 'timeout', 'temporaryCapacity']);
    if (o.name !== undefined && (typeof o.name !== 'string' || o.name.length === 0 || o.name.includes('\0'))) {
      throw new InvalidArgumentError('name', o.name, 'a non-empty string without NUL');
    }
    if (o.timeout !== undefined) checkPositive('timeout', o.timeout);
    if (o.temporaryCapacity !== undefined) checkPositive('temporaryCapacity', o.temporaryCapacity);
    this.name = o.name ?? 'spinvm';
    this.storage = new SharedStorage(handle, o.timeout);
    this.temporary = new HeapStorage(o.temporaryCapacity ?? Number.MAX_SAFE_INTEGER);
    this.files = new SqliteFiles(this.storage, this.temporary);
  }

  /** The names of the files the owner shared. */
  get fileNames(): string[] {
    return this.storage.names;
  }

  /** Ends this worker's handles on the shared files (the files stay the owner's). Close every database first. */
  close(): void {
    this.storage.close();
    this.temporary.close();
  }

  xOpen(name: string | null, fileId: number, flags: number, outFlags: OutValue): number {
    return now(this.files.xOpen(name, fileId, flags, outFlags));
  }
  xClose(fileId: number): number {
    return now(this.files.xClose(fileId));
  }
  xRead(fileId: number, pData: Uint8Array, iOffset: number): number {
    return now(this.files.xRead(fileId, pData, iOffset));
  }
  xWrite(fileId: number, pData: Uint8Array, iOffset: number): number {
    return now(this.files.xWrite(fileId, pData, iOffset));
  }
  xTruncate(fileId: number, iSize: number): number {
    return now(this.files.xTruncate(fileId, iSize));
  }
  xSync(fileId: number, flags: number): number {
    return now(this.files.xSync(fileId, flags));
  }
  xDelete(name: string, syncDir: number): number {
    return now(this.files.xDelete(name, syncDir));
  }
  xAccess(name: string, flags: number, pResOut: OutValue): number {
    return now(this.files.xAccess(name, flags, pResOut));
  }
}

/** Every store of a WorkerVfs answers synchronously, so a promise here is a bug: SQLite is told of an I/O error. */
function now(result: MaybePromise<number>): number {
  if (typeof result === 'number') return result;
  result.catch(() => undefined);
  return C.SQLITE_IOERR;
}

/**
 * In a worker: loads wa-sqlite's synchronous build (a new SQLite, with its own memory) and registers a
 * `WorkerVfs` over the shared files of `handle` in it, as the default VFS unless `makeDefault: false`.
 * Missing wa-sqlite is a SqliteUnavailableError; a bad handle or option an InvalidArgumentError.
 */
export async function loadSqliteInWorker(handle: SharedSqliteFilesHandle, options?: WorkerSqliteOptions): Promise<WorkerSqlite> {
  const { makeDefault, ...rest } = checkOptions<WorkerSqliteOptions>('options', options, ['name', 'makeDefault', 'timeout', 'temporaryCapacity']);
  if (makeDefault !== undefined && typeof makeDefault !== 'boolean') throw new InvalidArgumentError('makeDefault', makeDefault, 'a boolean');
  const vfs = new WorkerVfs(handle, options === undefined ? undefined : rest);
  let sqlite3: SqliteApi;
  try {
    sqlite3 = await instantiateSqlite('sync');
  } catch (err) {
    vfs.close();
    throw err;
  }
  sqlite3.vfs_register(vfs as unknown as SQLiteVFS, makeDefault ?? true);
  return { sqlite3, vfs };
}
