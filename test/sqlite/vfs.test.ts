// The VFS itself: its options refused with typed errors, locks among connections, a file that fills up,
// temporary files, and the calls SQLite could make with a handle it never opened.
import { afterEach, describe, expect, it } from 'vitest';
import { createVm, InvalidArgumentError, OutOfMemoryError, useDefaultPager, type Vm } from '../../index.js';
import { loadSqlite, SpinVfs, SqliteFileFullError } from '../../extensions/sqlite/index.js';
import * as C from '../../extensions/sqlite/constants.js';

let vm: Vm | undefined;
afterEach(async () => {
  await vm?.destroy();
  vm = undefined;
});

function newVm(): Vm {
  vm = createVm({ pageSize: 512, frames: 32 });
  return vm;
}

/** All rows of `sql`. */
async function rows(sqlite3: Awaited<ReturnType<typeof loadSqlite>>['sqlite3'], db: number, sql: string): Promise<unknown[][]> {
  const out: unknown[][] = [];
  await sqlite3.exec(db, sql, (r) => void out.push([...r]));
  return out;
}

/** The result code an SQLite call failed with. */
async function failure(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (err) {
    return (err as { code: number }).code;
  }
  throw new Error('it did not fail');
}

describe('SpinVfs', () => {
  it.each([
    ['no instance', undefined, undefined, 'vm'],
    ['an options value that is not an object', {}, 'fast', 'options'],
    ['an unknown option', {}, { pageSize: 4096 }, 'options.pageSize'],
    ['an empty name', {}, { name: '' }, 'name'],
    ['a capacity of 0', {}, { capacity: 0 }, 'capacity'],
    ['a fractional capacity', {}, { capacity: 1.5 }, 'capacity'],
    ['a pager that is neither a name nor a function', {}, { pager: 3 }, 'pager'],
    ['an empty directory', {}, { directory: '' }, 'directory'],
  ])('refuses %s with InvalidArgumentError, changing nothing', (_what, vmArg, options, argument) => {
    const v = vmArg === undefined ? undefined : newVm();
    const before = v?.stat();
    const make = () => new SpinVfs(v as Vm, options as never);
    expect(make).toThrow(InvalidArgumentError);
    try {
      make();
    } catch (err) {
      expect((err as InvalidArgumentError).argument).toBe(argument);
      expect((err as InvalidArgumentError).code).toBe('SPINVM_INVALID_ARGUMENT');
    }
    if (v) expect(v.stat()).toEqual(before);
  });

  it('loadSqlite checks its options before it loads anything', async () => {
    const v = newVm();
    await expect(loadSqlite(v, { makeDefault: 'yes' as never })).rejects.toThrow(InvalidArgumentError);
    await expect(loadSqlite(v, { capacity: -1 })).rejects.toMatchObject({ argument: 'capacity' });
  });

  it('answers an error code, never a throw, for a file it never opened', () => {
    const vfs = new SpinVfs(newVm());
    const out = new DataView(new ArrayBuffer(8));
    expect(vfs.xRead(7, new Uint8Array(4), 0)).toBe(C.SQLITE_IOERR_READ);
    expect(vfs.xWrite(7, new Uint8Array(4), 0)).toBe(C.SQLITE_IOERR_WRITE);
    expect(vfs.xTruncate(7, 0)).toBe(C.SQLITE_IOERR_TRUNCATE);
    expect(vfs.xSync(7, 0)).toBe(C.SQLITE_IOERR_FSYNC);
    expect(vfs.xFileSize(7, out)).toBe(C.SQLITE_IOERR_FSTAT);
    expect(vfs.xLock(7, C.SQLITE_LOCK_SHARED)).toBe(C.SQLITE_IOERR_LOCK);
    expect(vfs.xUnlock(7, C.SQLITE_LOCK_NONE)).toBe(C.SQLITE_IOERR_UNLOCK);
    expect(vfs.xCheckReservedLock(7, out)).toBe(C.SQLITE_IOERR_CHECKRESERVEDLOCK);
    expect(vfs.xClose(7)).toBe(C.SQLITE_OK);
  });

  it('a call that must wait fails with SQLITE_IOERR under the synchronous build (no handleAsync given), and the next call is served', async () => {
    const v = newVm();
    await useDefaultPager(v);
    const vfs = new SpinVfs(v);
    const flags = C.SQLITE_OPEN_CREATE | C.SQLITE_OPEN_READWRITE | C.SQLITE_OPEN_MAIN_DB;
    const out = new DataView(new ArrayBuffer(8));
    expect(vfs.xOpen('a', 1, flags, out)).toBe(C.SQLITE_OK);
    expect(vfs.xWrite(1, new Uint8Array(512).fill(7), 0)).toBe(C.SQLITE_IOERR); // the first write makes the object: a promise
    expect(vfs.xFileSize(1, out)).toBe(C.SQLITE_OK);
  });

  it('opens no missing file without SQLITE_OPEN_CREATE', async () => {
    const { sqlite3, vfs } = await loadSqlite(newVm());
    expect(await failure(sqlite3.open_v2('missing.db', C.SQLITE_OPEN_READWRITE))).toBe(C.SQLITE_CANTOPEN);
    await vfs.close();
  });

  it("locks as SQLite's other VFSs do: one writer, readers kept out of a commit, SQLITE_BUSY for the loser", async () => {
    const v = newVm();
    await useDefaultPager(v);
    const { sqlite3, vfs } = await loadSqlite(v);
    const a = await sqlite3.open_v2('shared.db');
    const b = await sqlite3.open_v2('shared.db');
    await sqlite3.exec(a, 'CREATE TABLE t (x INTEGER)');
    await sqlite3.exec(a, 'BEGIN IMMEDIATE'); // RESERVED
    expect(await failure(sqlite3.exec(b, 'BEGIN IMMEDIATE'))).toBe(C.SQLITE_BUSY);
    await sqlite3.exec(a, 'INSERT INTO t VALUES (1)');
    expect(await rows(sqlite3, b, 'SELECT count(*) FROM t')).toEqual([[0]]); // b reads the last commit
    await sqlite3.exec(a, 'COMMIT');
    expect(await rows(sqlite3, b, 'SELECT count(*) FROM t')).toEqual([[1]]);
    // b holds SHARED in an open read transaction: a may write, but not commit past it.
    await sqlite3.exec(b, 'BEGIN');
    expect(await rows(sqlite3, b, 'SELECT count(*) FROM t')).toEqual([[1]]);
    await sqlite3.exec(a, 'BEGIN');
    await sqlite3.exec(a, 'INSERT INTO t VALUES (2)');
    expect(await failure(sqlite3.exec(a, 'COMMIT'))).toBe(C.SQLITE_BUSY);
    await sqlite3.exec(b, 'COMMIT'); // b leaves
    await sqlite3.exec(a, 'COMMIT'); // and a's commit goes through
    expect(await rows(sqlite3, b, 'SELECT x FROM t ORDER BY x')).toEqual([[1], [2]]);
    await sqlite3.close(a);
    await sqlite3.close(b);
    expect(vfs.files.openCount).toBe(0);
    await vfs.close();
  });

  it('a file that reaches its capacity is SQLITE_FULL, and keeps every committed row', async () => {
    const v = newVm();
    await useDefaultPager(v);
    const { sqlite3, vfs } = await loadSqlite(v, { capacity: 64 * 1024 });
    const db = await sqlite3.open_v2('full.db');
    await sqlite3.exec(db, 'PRAGMA page_size = 512; CREATE TABLE t (x INTEGER, pad TEXT)');
    let committed = 0;
    let code = 0;
    for (let i = 0; i < 400 && code === 0; i++) {
      code = await failure(sqlite3.exec(db, `INSERT INTO t VALUES (${i}, '${'p'.repeat(400)}')`)).catch(() => 0);
      if (code === 0) committed++;
    }
    expect(code).toBe(C.SQLITE_FULL);
    expect(vfs.files.lastError).toBeInstanceOf(SqliteFileFullError);
    expect(vfs.files.lastError).toMatchObject({ code: 'SPINVM_SQLITE_FILE_FULL', capacity: 64 * 1024 });
    expect(await rows(sqlite3, db, 'SELECT count(*) FROM t')).toEqual([[committed]]);
    expect(await rows(sqlite3, db, 'PRAGMA integrity_check')).toEqual([['ok']]);
    await sqlite3.close(db);
    await vfs.close();
  });

  it('under the bogopager, which cannot page a written page out, a database past the pool is SQLITE_FULL, not a lost write', async () => {
    const { sqlite3, vfs } = await loadSqlite(newVm()); // no default pager: the bogopager
    const db = await sqlite3.open_v2('held.db');
    await sqlite3.exec(db, 'PRAGMA page_size = 512; CREATE TABLE t (x INTEGER, pad TEXT)');
    let code = 0;
    for (let i = 0; i < 100 && code === 0; i++) code = await failure(sqlite3.exec(db, `INSERT INTO t VALUES (${i}, '${'p'.repeat(400)}')`)).catch(() => 0);
    expect(code).toBe(C.SQLITE_FULL);
    expect(vfs.files.lastError).toBeInstanceOf(OutOfMemoryError);
    expect(await rows(sqlite3, db, 'PRAGMA integrity_check')).toEqual([['ok']]);
    await sqlite3.close(db);
    await vfs.close();
  });

  it('serves temporary tables and files from memory and gives every frame back on close', async () => {
    const v = newVm();
    await useDefaultPager(v);
    const { sqlite3, vfs } = await loadSqlite(v);
    const db = await sqlite3.open_v2('t.db');
    await sqlite3.exec(
      db,
      'PRAGMA temp_store = FILE; CREATE TEMP TABLE scratch (x); WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000) INSERT INTO scratch SELECT x FROM n',
    );
    expect(await rows(sqlite3, db, 'SELECT count(*), sum(x) FROM scratch')).toEqual([[2000, 2001000]]);
    await sqlite3.close(db);
    await vfs.close();
    expect(v.stat().objects).toBe(0);
    expect(v.stat().freeFrames).toBe(32);
  });
});
