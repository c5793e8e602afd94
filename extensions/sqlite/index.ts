/**
 * SQLite over spinvm: a VFS whose files are memory objects, for wa-sqlite's asynchronous build on this
 * thread (`spinvm/sqlite`; wa-sqlite is an optional peer dependency). In-memory files are paged by any
 * pager (the default pager's swap once `useDefaultPager` ran); with `directory`, files are real files
 * through the file pager, so native SQLite opens the database once it is closed here.
 *
 *   const { sqlite3, vfs } = await loadSqlite(vm);
 *   const db = await sqlite3.open_v2('app.db');
 *
 * For SQLite in a worker thread (wa-sqlite's synchronous build, spinvm/sqlite/worker), `shareSqliteFiles`
 * makes and shares its files here, where their pager runs.
 */
export { loadSqlite, type LoadSqliteOptions, type SpinSqlite, type SqliteApi } from './load.js';
export { SpinVfs, type SqliteVfsOptions } from './vfs.js';
export { SqliteFiles, type OutValue } from './files.js';
export { MappedStore, ObjectStore, type SqliteFileStore } from './store.js';
export { DirectoryStorage, MemoryStorage, type SqlitePagerChoice, type SqliteStorage, type TemporaryStorage } from './storage.js';
export { SqliteFileFullError, SqliteUnavailableError } from './errors.js';
export { SharedSqliteFiles, shareSqliteFiles, type ShareSqliteOptions } from './shared-files.js';
export type { SharedSqliteFilesHandle } from './shared-store.js';
