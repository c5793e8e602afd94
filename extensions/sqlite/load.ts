import type { Vm } from '../../vmcore/index.js';
import { SpinVfs, type SqliteVfsOptions } from './vfs.js';
import { instantiateSqlite, type SqliteApi } from './wasm.js';

export type { SqliteApi } from './wasm.js';

export interface LoadSqliteOptions extends SqliteVfsOptions {
  /** Make the VFS SQLite's default, so `open_v2(name)` uses it without naming it. Default true. */
  makeDefault?: boolean;
}

export interface SpinSqlite {
  /** wa-sqlite's API over a fresh asynchronous SQLite module. */
  sqlite3: SqliteApi;
  /** The VFS registered in it; `vfs.close()` gives its in-memory files back once the databases are closed. */
  vfs: SpinVfs;
}

/**
 * Loads wa-sqlite's asynchronous build (a new SQLite, with its own memory) and registers a `SpinVfs` over
 * `vm` in it, as the default VFS unless `makeDefault: false`. The options are SpinVfs's. Missing wa-sqlite
 * (an optional peer dependency) is a SqliteUnavailableError.
 */
export async function loadSqlite(vm: Vm, options?: LoadSqliteOptions): Promise<SpinSqlite> {
  const { makeDefault, ...rest } = options ?? {};
  if (makeDefault !== undefined && typeof makeDefault !== 'boolean') {
    const { InvalidArgumentError } = await import('../../vmcore/index.js');
    throw new InvalidArgumentError('makeDefault', makeDefault, 'a boolean');
  }
  const vfs = new SpinVfs(vm, options === undefined ? undefined : rest); // checks the options before anything loads
  const sqlite3 = await instantiateSqlite('async');
  sqlite3.vfs_register(vfs as unknown as SQLiteVFS, makeDefault ?? true);
  return { sqlite3, vfs };
}
