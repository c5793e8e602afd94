// SQLite in a worker thread (issue 14): wa-sqlite's synchronous build in a real worker, its files shared
// memory objects whose pager (the default pager's swap, or an asynchronous one) runs on this thread. The same
// seeded workload runs on native SQLite here: every result identical, and PRAGMA integrity_check ok.
import Database from 'better-sqlite3';
import { Worker } from 'node:worker_threads';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createVm, InvalidArgumentError, useDefaultPager, type Vm } from '../../index.js';
import { shareSqliteFiles, type SharedSqliteFiles } from '../../extensions/sqlite/index.js';
import { loadSqliteInWorker } from '../../extensions/sqlite/worker.js';
import { RecordingPager, ScriptedPager } from '../helpers/pagers.js';
import { tempFiles } from '../helpers/temp-files.js';
import { FOLDERS, transpiled } from '../helpers/transpiled.js';
import { compare, nativeRunner, workload, type Outcome, type Runner } from './workload.js';
import type { StatementsAnswer, StatementsJob, WorkloadAnswer, WorkloadJob } from './worker-script.js';

const js = transpiled([...FOLDERS, 'extensions/sqlite', 'test/sqlite', 'test/helpers']);
afterAll(() => js.remove());
const files = tempFiles('spinvm-sqlite-worker-');

const PAGE = 512;
const POOL_FRAMES = 24;
const POOL_BYTES = PAGE * POOL_FRAMES;

let vm: Vm | undefined;
afterEach(async () => {
  await vm?.destroy();
  vm = undefined;
});

/** Runs `job` in a worker thread; answers what it posted. `paused`: called when it pauses, with a function that resumes it. */
function inWorker(job: WorkloadJob): Promise<WorkloadAnswer>;
function inWorker(job: StatementsJob, paused: (resume: () => void) => void): Promise<StatementsAnswer>;
function inWorker(job: WorkloadJob | StatementsJob, paused?: (resume: () => void) => void): Promise<WorkloadAnswer | StatementsAnswer> {
  const worker = new Worker(js.file('test/sqlite/worker-script.ts'), { workerData: job, transferList: [...job.handle.transfer] });
  return new Promise((resolve, reject) => {
    worker.on('message', (m: { answer?: WorkloadAnswer; paused?: true; error?: { name: string; message: string; stack?: string } }) => {
      if (m.paused) paused!(() => worker.postMessage('go'));
      else if (m.answer) resolve(m.answer);
      else reject(new Error(`worker failed: ${m.error?.stack ?? m.error?.message}`));
    });
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`worker exited (${code}) before answering`)));
  });
}

/** Answers the outcomes a worker recorded, one per statement, in order. */
function replay(outcomes: readonly Outcome[]): Runner {
  let next = 0;
  return { run: () => Promise.resolve(outcomes[next++] ?? 'error') };
}

/** Runs workload `seed` in a worker over `shared` and on native SQLite at `nativePath`; compares them. */
async function runBoth(shared: SharedSqliteFiles, seed: number, nativePath: string, rows: number, journal?: string) {
  const job: WorkloadJob = { mode: 'workload', handle: shared.handle, file: 'w.db', seed, rows, noteBytes: 160, pageSize: PAGE, journal };
  const answer = await inWorker(job);
  const statements = workload(seed, rows, 160, PAGE);
  if (journal) statements.splice(2, 0, `PRAGMA journal_mode = ${journal}`);
  expect(answer.outcomes.length).toBe(statements.length);
  const native = new Database(nativePath);
  const result = await compare(statements, replay(answer.outcomes), nativeRunner(native));
  native.close();
  return { answer, result, statements };
}

describe('SQLite in a worker thread over shared memory objects', () => {
  it("answers as native SQLite does, the database 8 times the pool, paged to the default pager's swap on this thread", async () => {
    vm = createVm({ shared: true, pageSize: PAGE, frames: POOL_FRAMES });
    await useDefaultPager(vm);
    const seen = { pageIn: 0, pageOut: 0 };
    vm.on('pageIn', () => seen.pageIn++);
    vm.on('pageOut', () => seen.pageOut++);
    const shared = shareSqliteFiles(vm, { databases: ['w.db'] });
    expect(shared.names).toEqual(['w.db', 'w.db-journal']);
    const { answer, result, statements } = await runBoth(shared, 1, files.path('native.db'), 700);
    expect(result.mismatch).toBeUndefined();
    expect(result.last).toEqual([['ok']]); // PRAGMA integrity_check
    expect(result.errors).toBeGreaterThan(0); // the duplicate keys failed on both sides
    expect(statements.length).toBeGreaterThan(100);
    expect(answer.bytes).toBeGreaterThanOrEqual(8 * POOL_BYTES);
    expect(answer.openCount).toBe(0);
    expect(answer.lastError).toBeUndefined();
    expect(seen.pageOut).toBeGreaterThan(200); // to swap and back, again and again
    expect(seen.pageIn).toBeGreaterThan(200);
    expect(vm.stat().residentFrames).toBeLessThanOrEqual(POOL_FRAMES);
    // The worker is gone; the database is the owner's: its bytes are a SQLite file native SQLite reads whole.
    expect(shared.size('w.db')).toBe(answer.bytes);
    expect(shared.exists('w.db-journal')).toBe(false); // deleted after the last transaction
    const path = files.path('copy.db');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path, await shared.read('w.db'));
    const mine = new Database(path, { readonly: true });
    const theirs = new Database(files.path('native.db'), { readonly: true });
    const dump = (d: Database.Database) => d.prepare('SELECT id, cat, name, qty, note FROM items ORDER BY id').raw().all();
    expect(mine.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(dump(mine)).toEqual(dump(theirs));
    mine.close();
    theirs.close();
    await shared.destroy();
  });

  it('answers as native SQLite does when every page-in and page-out is answered a turn of the event loop later', async () => {
    vm = createVm({ shared: true, pageSize: PAGE, frames: POOL_FRAMES });
    const pagers: RecordingPager[] = [];
    const shared = shareSqliteFiles(vm, {
      databases: ['w.db'],
      capacity: 4 << 20,
      pager: () => {
        const pager = new RecordingPager({ async: true });
        pagers.push(pager);
        return pager;
      },
    });
    const { answer, result } = await runBoth(shared, 4, files.path('native-async.db'), 1000, 'PERSIST');
    expect(result.mismatch).toBeUndefined();
    expect(result.last).toEqual([['ok']]);
    expect(answer.lastError).toBeUndefined();
    expect(answer.bytes).toBeGreaterThanOrEqual(8 * POOL_BYTES);
    expect(pagers.length).toBe(2); // the database and its journal
    expect(pagers[0]!.pageIns).toBeGreaterThan(100);
    await shared.destroy();
  });

  it("a write past a file's capacity is SQLITE_FULL and changes nothing; the database stays whole", async () => {
    vm = createVm({ shared: true, pageSize: PAGE, frames: POOL_FRAMES });
    await useDefaultPager(vm);
    const shared = shareSqliteFiles(vm, { databases: ['w.db'], capacity: 40_000 });
    const answer = await inWorker(
      {
        mode: 'statements',
        handle: shared.handle,
        file: 'w.db',
        before: ['PRAGMA page_size = 512', 'CREATE TABLE t (x)', "INSERT INTO t VALUES (zeroblob(10000)), ('kept')"],
        after: ['INSERT INTO t VALUES (zeroblob(50000))', 'SELECT count(*), sum(length(x)) FROM t', 'PRAGMA integrity_check'],
      },
      (resume) => resume(),
    );
    expect(answer.outcomes).toEqual([[], [], [], 'error 13', [[2, 10004]], [['ok']]]);
    expect(answer.lastError).toMatchObject({ name: 'SqliteFileFullError', code: 'SPINVM_SQLITE_FILE_FULL' });
    expect(shared.size('w.db')).toBeLessThanOrEqual(40_000);
    await shared.destroy();
  });

  it("the owner's pager failing is SQLITE_IOERR in the worker, with the RemoteFaultError behind it", async () => {
    vm = createVm({ shared: true, pageSize: PAGE, frames: POOL_FRAMES });
    const pager = new ScriptedPager();
    pager.inDefault = 'throw';
    const shared = shareSqliteFiles(vm, { databases: ['w.db'], pager: (file) => (file === 'w.db' ? pager : new RecordingPager()) });
    const answer = await inWorker({ mode: 'statements', handle: shared.handle, file: 'w.db', before: ['CREATE TABLE t (x)'], after: [] }, (resume) => resume());
    expect(answer.outcomes).toEqual(['error 10']);
    expect(answer.lastError).toMatchObject({ name: 'RemoteFaultError', code: 'SPINVM_REMOTE_FAULT' });
    expect(pager.pageIns).toBeGreaterThan(0);
    await shared.destroy();
  });

  it('destroying the files while the worker has the database open is SQLITE_IOERR there, not a hang', async () => {
    vm = createVm({ shared: true, pageSize: PAGE, frames: POOL_FRAMES });
    await useDefaultPager(vm);
    const shared = shareSqliteFiles(vm, { databases: ['w.db'] });
    const answer = await inWorker(
      {
        mode: 'statements',
        handle: shared.handle,
        file: 'w.db',
        before: ['CREATE TABLE t (x)', 'INSERT INTO t VALUES (1)'],
        after: ['INSERT INTO t VALUES (2)', 'SELECT count(*) FROM t'],
      },
      (resume) => void shared.destroy().then(resume),
    );
    expect(answer.outcomes.slice(0, 2)).toEqual([[], []]);
    expect(answer.outcomes.slice(2).every((o) => typeof o === 'string' && o.startsWith('error '))).toBe(true);
    expect(answer.lastError).toMatchObject({ name: 'DestroyedError', code: 'SPINVM_DESTROYED' });
  });

  it("opens a database native SQLite made, written in by the owner, and the owner reads the worker's changes back", async () => {
    const native = new Database(files.path('made.db'));
    native.exec(
      "PRAGMA page_size = 512; CREATE TABLE t (x INTEGER, y TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) INSERT INTO t SELECT i, printf('%.300c', 'y') FROM n",
    );
    native.close();
    const { readFileSync, writeFileSync } = await import('node:fs');
    vm = createVm({ shared: true, pageSize: PAGE, frames: POOL_FRAMES });
    await useDefaultPager(vm);
    const shared = shareSqliteFiles(vm, { databases: ['w.db'] });
    const made = readFileSync(files.path('made.db'));
    expect(made.length).toBeGreaterThan(8 * POOL_BYTES);
    await shared.write('w.db', made);
    await expect(shared.write('w.db', new Uint8Array(65 << 20))).rejects.toThrow(/capacity/);
    const answer = await inWorker(
      {
        mode: 'statements',
        handle: shared.handle,
        file: 'w.db',
        before: ['SELECT count(*), sum(x), sum(length(y)) FROM t', 'DELETE FROM t WHERE x > 100', 'VACUUM'],
        after: ['PRAGMA integrity_check'],
      },
      (resume) => resume(),
    );
    expect(answer.outcomes).toEqual([[[500, 125250, 150000]], [], [], [['ok']]]);
    writeFileSync(files.path('back.db'), await shared.read('w.db'));
    const back = new Database(files.path('back.db'), { readonly: true });
    expect(back.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 100 });
    back.close();
    expect(shared.size('w.db')).toBeLessThan(made.length); // VACUUM cut the file
    await shared.destroy();
  });

  it('refuses bad arguments with InvalidArgumentError and makes nothing', async () => {
    vm = createVm({ shared: true, pageSize: PAGE, frames: POOL_FRAMES });
    expect(() => shareSqliteFiles(vm!, { databases: [] })).toThrow(InvalidArgumentError);
    expect(() => shareSqliteFiles(vm!, { databases: ['a', 'a'] })).toThrow(/differ/);
    expect(() => shareSqliteFiles(vm!, { databases: ['a'], capacity: 2 ** 20 * PAGE + 1 })).toThrow(/2\^20 pages/);
    expect(() => shareSqliteFiles(vm!, { databases: ['a'], extra: 1 } as never)).toThrow(InvalidArgumentError);
    expect(() => shareSqliteFiles({} as never, { databases: ['a'] })).toThrow(InvalidArgumentError);
    expect(vm.stat().objects).toBe(0);
    const plain = createVm({ frames: 4 });
    expect(() => shareSqliteFiles(plain, { databases: ['a'] })).toThrow(/createVm\(\{ shared: true \}\)/);
    await new Promise((resolve) => setImmediate(resolve));
    expect(plain.stat().objects).toBe(0); // the object made before the refusal is gone again
    await plain.destroy();
    const shared = shareSqliteFiles(vm, { databases: ['a'] });
    expect(() => shared.size('b')).toThrow(InvalidArgumentError);
    await expect(shared.write('a', 'bytes' as never)).rejects.toThrow(InvalidArgumentError);
    await expect(loadSqliteInWorker({} as never)).rejects.toThrow(InvalidArgumentError);
    await expect(loadSqliteInWorker(shared.handle, { timeout: -1 })).rejects.toThrow(InvalidArgumentError);
    for (const port of shared.handle.transfer) port.close();
    await shared.destroy();
  });
});
