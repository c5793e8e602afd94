// A pager that fails now and then: SQLite sees I/O errors, never a thrown error, and the database stays whole.
import { afterEach, expect, it } from 'vitest';
import { createVm, ResultCode, type Access, type PagerAnswer, type Vm } from '../../index.js';
import { loadSqlite } from '../../extensions/sqlite/index.js';
import * as C from '../../extensions/sqlite/constants.js';
import { RecordingPager } from '../helpers/pagers.js';
import { Prng } from '../helpers/prng.js';

let vm: Vm | undefined;
afterEach(async () => {
  await vm?.destroy();
  vm = undefined;
});

/** RecordingPager's store, failing a seeded share of page-ins (a throw) and page-outs (DeviceFull or a throw) while `flaky.on`. */
class SometimesFailingPager extends RecordingPager {
  constructor(
    private readonly rng: Prng,
    private readonly flaky: { on: boolean; failures: number },
  ) {
    super();
  }
  override pageIn(page: number, frame: Uint8Array, access: Access): PagerAnswer {
    if (this.flaky.on && this.rng.chance(0.004)) {
      this.flaky.failures++;
      throw new Error('page-in failed');
    }
    return super.pageIn(page, frame, access);
  }
  override pageOut(page: number, frame: Uint8Array, dirty: boolean): PagerAnswer {
    if (this.flaky.on && this.rng.chance(0.008)) {
      this.flaky.failures++;
      if (this.rng.chance(0.5)) return ResultCode.DeviceFull;
      throw new Error('page-out failed');
    }
    return super.pageOut(page, frame, dirty);
  }
}

it('a pager that fails now and then costs statements, never a committed row or the database', async () => {
  vm = createVm({ pageSize: 512, frames: 24 });
  const rng = new Prng(7);
  const flaky = { on: false, failures: 0 };
  const { sqlite3, vfs } = await loadSqlite(vm, { pager: () => new SometimesFailingPager(rng, flaky) });
  const db = await sqlite3.open_v2('flaky.db');
  const all = async (sql: string): Promise<unknown[][]> => {
    const out: unknown[][] = [];
    await sqlite3.exec(db, sql, (r) => void out.push([...r]));
    return out;
  };
  await all(
    'PRAGMA page_size = 512; PRAGMA cache_size = 8; CREATE TABLE keep (id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE churn (id INTEGER PRIMARY KEY, v TEXT)',
  );
  await all(
    "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) INSERT INTO keep SELECT i, printf('%.100c', char(65 + i % 26)) FROM n; COMMIT",
  );
  const kept = await all("SELECT count(*), sum(length(v)), group_concat(substr(v, 1, 1), '') FROM keep");

  flaky.on = true;
  const codes = new Map<number, number>();
  for (let round = 0; round < 60; round++) {
    try {
      await all(
        `BEGIN; INSERT INTO churn (v) SELECT v || '${round}' FROM keep WHERE id % 7 = ${round % 7}; DELETE FROM churn WHERE id % 5 = ${round % 5}; COMMIT`,
      );
    } catch (err) {
      const code = (err as { code: number }).code;
      codes.set(code, (codes.get(code) ?? 0) + 1);
      await all('ROLLBACK').catch(() => undefined); // SQLite may have rolled back already
    }
    await all('SELECT count(*) FROM keep').catch(() => undefined);
  }
  flaky.on = false;

  expect(flaky.failures).toBeGreaterThan(0);
  expect([...codes.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0); // some statements failed
  expect([...codes.values()].reduce((a, b) => a + b, 0)).toBeLessThan(60); // and some went through
  // Every failure SQLite saw was an I/O error code (or SQLITE_FULL for a page-out refused with DeviceFull when no other frame could be freed).
  for (const code of codes.keys()) expect(code === C.SQLITE_FULL || (code & 0xff) === C.SQLITE_IOERR, `code ${code}`).toBe(true);
  expect(await all('PRAGMA integrity_check')).toEqual([['ok']]);
  expect(await all("SELECT count(*), sum(length(v)), group_concat(substr(v, 1, 1), '') FROM keep")).toEqual(kept);
  await sqlite3.close(db);
  expect(vfs.files.openCount).toBe(0);
  await vfs.close();
});
