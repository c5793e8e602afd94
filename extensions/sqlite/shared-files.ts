/**
 * The owning thread's side of SQLite in a worker: `shareSqliteFiles` makes a memory object for each database
 * and its rollback journal, paged by the pager of your choice on this thread, and answers a handle that a
 * worker gives to `loadSqliteInWorker` (spinvm/sqlite/worker). The worker's page faults come here through the
 * shared-memory protocol (vmcore/shared/protocol.ts) and are served from this thread's event loop.
 *
 * Growth. A shared object cannot change size while shared (its page table is in the workers' hands: `grow`
 * revokes their handles), so each file is one object of a fixed `capacity`, made up front, and the file's
 * logical size lives beside it in a small SharedArrayBuffer the worker keeps. The alternative, the owner
 * making chunk objects when the worker asks, would need a second blocking request whose answer carries a
 * MessagePort, and per-chunk handles in the worker, for little gain: what a fixed capacity costs up front is
 * the page table, 4 bytes per page of capacity (64 KiB for the default 64 MiB at 4 KiB pages), and nothing
 * else — a page never written has no frame and no swap, and reads zeros. The price is a ceiling: a write past
 * it is SQLITE_FULL (as on a full disk), at most 2^20 pages per file (the shared page table's limit).
 *
 * A deleted file (SQLite deletes its journal after every transaction in the default mode) keeps its object;
 * it is emptied, and the worker zeroes old bytes before the file grows over them, so the journal's pages are
 * reused in place by the next transaction rather than made and destroyed each time.
 */
import { InvalidArgumentError, checkOptions, checkPositive, shareMemoryObject, type MemoryObject, type Vm } from '../../vmcore/index.js';
import { SqliteFileFullError } from './errors.js';
import { META_EXISTS, META_SIZE, META_WORDS, META_WRITTEN, type SharedSqliteFile, type SharedSqliteFilesHandle } from './shared-store.js';
import type { SqlitePagerChoice } from './storage.js';

export interface ShareSqliteOptions {
  /** The databases' names, as the worker opens them; each is shared with its rollback journal (`name-journal`). */
  databases: readonly string[];
  /** The most bytes each file may hold, rounded up to whole pages. Default 64 MiB (at most 2^20 pages). */
  capacity?: number;
  /**
   * The files' pager, on this thread: a factory `(file) => Pager` called for each file, or the name of a pager
   * bound in the container. Default: the instance's default pager (swap, once `useDefaultPager` ran).
   */
  pager?: SqlitePagerChoice;
}

const DEFAULT_CAPACITY = 64 << 20;
const MAX_PAGES = 2 ** 20;

/** One database's files, shared with one worker. */
interface OwnedFile {
  readonly object: MemoryObject;
  readonly meta: Float64Array;
}

/**
 * Files shared with one worker (SQLite's locks live in that worker's VFS, so two workers on one database
 * would not see each other's: one handle only). Keep it until the worker is done, then `destroy` it.
 */
export class SharedSqliteFiles {
  /** Post it to the worker with `handle.transfer` as the transfer list. */
  readonly handle: SharedSqliteFilesHandle;
  private readonly files = new Map<string, OwnedFile>();
  private destroyed = false;

  /** @internal Use `shareSqliteFiles`. */
  constructor(vm: Vm, names: readonly string[], capacity: number, pager: SqlitePagerChoice | undefined) {
    const shared: SharedSqliteFile[] = [];
    try {
      for (const name of names) {
        const object = vm.createMemoryObject({ size: capacity, pager: typeof pager === 'function' ? pager(name) : pager, name: `sqlite ${name}` });
        const meta = new Float64Array(new SharedArrayBuffer(META_WORDS * 8));
        this.files.set(name, { object, meta });
        shared.push({ name, object: shareMemoryObject(object), meta: meta.buffer as SharedArrayBuffer });
      }
    } catch (err) {
      for (const file of shared) file.object.port.close();
      for (const { object } of this.files.values()) void object.destroy();
      throw err;
    }
    this.handle = { kind: 'spinvm.sqlite-files', files: shared, transfer: shared.map((f) => f.object.port) };
  }

  /** The names shared: each database and its journal. */
  get names(): string[] {
    return [...this.files.keys()];
  }

  /** Whether the worker's SQLite has made `name` (and not deleted it). Read it while the worker is quiet. */
  exists(name: string): boolean {
    return this.file(name).meta[META_EXISTS] === 1;
  }

  /** The file's size as the worker's SQLite left it. Read it while the worker is quiet (after it told you so). */
  size(name: string): number {
    return this.file(name).meta[META_SIZE]!;
  }

  /** A copy of the file's bytes, paged in here (a database to save, or to hand to native SQLite). */
  async read(name: string): Promise<Uint8Array> {
    const file = this.file(name);
    return file.object.read(0, file.meta[META_SIZE]!);
  }

  /**
   * Makes `name` hold `bytes`, a whole file (a database made elsewhere, native SQLite's included), paged
   * through its object like any other. Call it before the worker loads SQLite: the worker reads the size then.
   */
  async write(name: string, bytes: Uint8Array): Promise<void> {
    const file = this.file(name);
    if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('bytes', bytes, 'a Uint8Array');
    if (bytes.length > file.object.size) throw new SqliteFileFullError(name, bytes.length, file.object.size);
    await file.object.write(0, bytes);
    const meta = file.meta;
    // Older bytes past the new end stay below WRITTEN: the worker zeroes them before the file grows over them.
    meta[META_WRITTEN] = Math.max(meta[META_WRITTEN]!, bytes.length);
    meta[META_SIZE] = bytes.length;
    meta[META_EXISTS] = 1;
  }

  /** Destroys the files' objects: a worker still using them gets DestroyedError (SQLITE_IOERR in SQLite). */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const { object } of this.files.values()) await object.destroy();
  }

  private file(name: string): OwnedFile {
    const file = this.files.get(name);
    if (file === undefined) throw new InvalidArgumentError('name', name, `a shared file (${this.names.join(', ')})`);
    return file;
  }
}

/**
 * Makes the memory objects of `options.databases` and their journals in `vm` (made with
 * `createVm({ shared: true })`), and shares them with one worker: post `shared.handle` to it, with
 * `shared.handle.transfer` as the transfer list, and call `loadSqliteInWorker(handle)` there.
 */
export function shareSqliteFiles(vm: Vm, options: ShareSqliteOptions): SharedSqliteFiles {
  if (typeof vm !== 'object' || vm === null || typeof (vm as Partial<Vm>).createMemoryObject !== 'function') {
    throw new InvalidArgumentError('vm', vm, 'a spinvm instance (createVm({ shared: true }))');
  }
  const o = checkOptions<ShareSqliteOptions>('options', options, ['databases', 'capacity', 'pager']);
  const databases = o.databases;
  if (!Array.isArray(databases) || databases.length === 0) throw new InvalidArgumentError('databases', databases, 'a non-empty array of names');
  const names: string[] = [];
  for (const db of databases as unknown[]) {
    if (typeof db !== 'string' || db.length === 0 || db.includes('\0')) throw new InvalidArgumentError('databases', db, 'names: non-empty strings without NUL');
    names.push(db, `${db}-journal`);
  }
  if (new Set(names).size !== names.length) throw new InvalidArgumentError('databases', databases, 'names that differ from each other and their journals');
  if (o.capacity !== undefined) checkPositive('capacity', o.capacity);
  if (o.pager !== undefined && typeof o.pager !== 'string' && typeof o.pager !== 'function') {
    throw new InvalidArgumentError('pager', o.pager, "a pager's name or a function (file) => Pager");
  }
  const maxBytes = MAX_PAGES * vm.pageSize;
  const capacity = Math.ceil((o.capacity ?? Math.min(DEFAULT_CAPACITY, maxBytes)) / vm.pageSize) * vm.pageSize;
  if (capacity > maxBytes) throw new InvalidArgumentError('capacity', o.capacity, `at most ${maxBytes} bytes (2^20 pages)`);
  return new SharedSqliteFiles(vm, names, capacity, o.pager);
}
