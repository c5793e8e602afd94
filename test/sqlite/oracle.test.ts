// SQLite over spinvm against native SQLite: the same seeded workload, every result identical, on databases
// many times the pool, through the default pager's swap and through the file pager onto a real file.
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createVm, useDefaultPager, type Vm } from '../../index.js';
import { loadSqlite, type SpinSqlite } from '../../extensions/sqlite/index.js';
import { RecordingPager } from '../helpers/pagers.js';
import { tempFiles } from '../helpers/temp-files.js';
import { compare, nativeRunner, waRunner, workload } from './workload.js';

const files = tempFiles('spinvm-sqlite-');
const POOL_FRAMES = 24;
const PAGE = 512;
const POOL_BYTES = POOL_FRAMES * PAGE; // 12 KiB: the database grows to many times that

let vm: Vm | undefined;
afterEach(async () => {
  await vm?.destroy();
  vm = undefined;
});

/** Runs workload `seed` on spinvm-backed wa-sqlite (file `name` of `sqlite`) and on native SQLite at `nativePath`. */
async function runBoth(sqlite: SpinSqlite, name: string, nativePath: string, seed: number, journal?: string, rows = 700) {
  const db = await sqlite.sqlite3.open_v2(name);
  const native = new Database(nativePath);
  const statements = workload(seed, rows, 160, PAGE);
  if (journal) statements.splice(2, 0, `PRAGMA journal_mode = ${journal}`);
  const result = await compare(statements, waRunner(sqlite.sqlite3, db), nativeRunner(native));
  native.close();
  await sqlite.sqlite3.close(db);
  return { result, statements };
}

describe('SQLite over spinvm answers as native SQLite does', () => {
  it('in memory objects paged to swap by the default pager, the database 8 times the pool and more', async () => {
    vm = createVm({ pageSize: PAGE, frames: POOL_FRAMES });
    await useDefaultPager(vm);
    const seen = { pageIn: 0, pageOut: 0 };
    vm.on('pageIn', () => seen.pageIn++);
    vm.on('pageOut', () => seen.pageOut++);
    const sqlite = await loadSqlite(vm);
    const { result, statements } = await runBoth(sqlite, 'swap.db', files.path('native.db'), 1);
    expect(seen.pageOut).toBeGreaterThan(200); // to swap and back, again and again
    expect(seen.pageIn).toBeGreaterThan(200);
    expect(result.mismatch).toBeUndefined();
    expect(result.last).toEqual([['ok']]); // PRAGMA integrity_check
    expect(result.errors).toBeGreaterThan(0); // the duplicate keys failed on both sides
    expect(statements.length).toBeGreaterThan(100);
    // The database outgrew the pool many times over, so its pages went to swap and came back.
    const db = await sqlite.sqlite3.open_v2('swap.db');
    const size: number[] = [];
    await sqlite.sqlite3.exec(db, 'SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()', (r) => void size.push(r[0] as number));
    await sqlite.sqlite3.close(db);
    expect(size[0]).toBeGreaterThanOrEqual(8 * POOL_BYTES);
    expect(vm.stat().residentFrames).toBeLessThanOrEqual(POOL_FRAMES);
    expect(sqlite.vfs.files.openCount).toBe(0);
    expect(sqlite.vfs.files.lastError).toBeUndefined();
    await sqlite.vfs.close();
  });

  it.each(['TRUNCATE', 'PERSIST', 'MEMORY'])('with journal_mode = %s', async (mode) => {
    vm = createVm({ pageSize: PAGE, frames: POOL_FRAMES });
    await useDefaultPager(vm);
    const sqlite = await loadSqlite(vm);
    const { result } = await runBoth(sqlite, 'j.db', files.path('native.db'), 2, mode);
    expect(result.mismatch).toBeUndefined();
    expect(result.last).toEqual([['ok']]);
    await sqlite.vfs.close();
  });

  it('in memory objects whose pager answers every page-in and page-out a turn of the event loop later', async () => {
    vm = createVm({ pageSize: PAGE, frames: POOL_FRAMES });
    const pagers: RecordingPager[] = [];
    const sqlite = await loadSqlite(vm, {
      pager: () => {
        const pager = new RecordingPager({ async: true });
        pagers.push(pager);
        return pager;
      },
    });
    const { result } = await runBoth(sqlite, 'async.db', files.path('native.db'), 4, undefined, 400);
    expect(result.mismatch).toBeUndefined();
    expect(result.last).toEqual([['ok']]);
    expect(pagers.length).toBeGreaterThan(1); // the database and its journals, each with a pager of its own
    expect(pagers.reduce((n, p) => n + p.pageIns, 0)).toBeGreaterThan(100);
    await sqlite.vfs.close();
  });

  it('through the file pager onto a real file, which native SQLite then opens', async () => {
    vm = createVm({ pageSize: PAGE, frames: POOL_FRAMES });
    const sqlite = await loadSqlite(vm, { directory: files.dir });
    const { result } = await runBoth(sqlite, 'real.db', files.path('native.db'), 3);
    expect(result.mismatch).toBeUndefined();
    expect(result.last).toEqual([['ok']]);
    await sqlite.vfs.close();
    // Closed: the file holds every committed row; native SQLite reads it and finds it whole.
    const mine = new Database(files.path('real.db'), { readonly: true });
    const theirs = new Database(files.path('native.db'), { readonly: true });
    const dump = (d: Database.Database) => d.prepare('SELECT id, cat, name, qty, note FROM items ORDER BY id').raw().all();
    expect(mine.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(dump(mine)).toEqual(dump(theirs));
    expect(dump(mine).length).toBeGreaterThan(100);
    mine.close();
    theirs.close();
  });
});
