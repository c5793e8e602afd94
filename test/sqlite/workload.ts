// The seeded SQLite workload that spinvm-backed wa-sqlite and native SQLite (better-sqlite3) must answer
// identically: schema, inserts, updates, deletes, indexed and full-table queries, aggregates, transactions
// committed and rolled back, and statements that fail. One statement per step, literals only (no binding),
// integers only, and every query ordered, so two SQLite versions agree on every row.
import type { Database } from 'better-sqlite3';
import type { SqliteApi } from '../../extensions/sqlite/index.js';
import { Prng } from '../helpers/prng.js';

/** A step's outcome: its rows (none for a statement that returns none), or that it failed. */
export type Outcome = unknown[][] | 'error';

export interface Runner {
  run(sql: string): Promise<Outcome>;
}

/** Runs statements on wa-sqlite; `db` from `sqlite3.open_v2`. */
export function waRunner(sqlite3: SqliteApi, db: number): Runner {
  return {
    async run(sql) {
      const rows: unknown[][] = [];
      try {
        await sqlite3.exec(db, sql, (row) => void rows.push([...row]));
      } catch {
        return 'error';
      }
      return rows;
    },
  };
}

/** Runs statements on native SQLite. */
export function nativeRunner(db: Database): Runner {
  return {
    async run(sql) {
      try {
        const stmt = db.prepare(sql);
        if (stmt.reader) return stmt.raw().all() as unknown[][];
        stmt.run();
        return [];
      } catch {
        return 'error';
      }
    },
  };
}

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];

/** The statements of workload `seed`: about `rows` items inserted, of `noteBytes` bytes of text each. */
export function workload(seed: number, rows: number, noteBytes: number, pageSize = 512): string[] {
  const rng = new Prng(seed);
  const out: string[] = [
    `PRAGMA page_size = ${pageSize}`,
    'PRAGMA cache_size = 8', // SQLite's own cache holds almost nothing: the VFS serves nearly every page
    'CREATE TABLE items (id INTEGER PRIMARY KEY, cat INTEGER NOT NULL, name TEXT NOT NULL, qty INTEGER NOT NULL, note TEXT)',
    'CREATE INDEX items_cat ON items (cat)',
    'CREATE TABLE moves (id INTEGER PRIMARY KEY, item INTEGER NOT NULL, delta INTEGER NOT NULL)',
    'CREATE INDEX moves_item ON moves (item, delta)',
  ];
  let nextId = 1;
  const note = (): string => {
    let s = '';
    while (s.length < noteBytes) s += `${rng.pick(WORDS)}-${rng.int(1e6)} `;
    return s.slice(0, noteBytes - rng.int(noteBytes >> 2));
  };
  const item = (): string => `(${nextId++}, ${rng.int(40)}, '${rng.pick(WORDS)}${rng.int(1000)}', ${rng.range(-50, 500)}, '${note()}')`;
  const insertBatch = (n: number): string => `INSERT INTO items (id, cat, name, qty, note) VALUES ${Array.from({ length: n }, item).join(', ')}`;
  const anyId = (): number => rng.range(1, Math.max(1, nextId - 1));
  const queries = [
    (): string => `SELECT id, name, qty FROM items WHERE cat = ${rng.int(40)} ORDER BY id`, // the index
    (): string => `SELECT count(*), sum(qty), min(qty), max(qty) FROM items WHERE note LIKE '%${rng.pick(WORDS)}-${rng.int(10)}%'`, // full scan
    (): string => 'SELECT cat, count(*), sum(qty), round(avg(qty), 6) FROM items GROUP BY cat ORDER BY cat',
    (): string => `SELECT id, length(note) FROM items WHERE id BETWEEN ${anyId()} AND ${anyId() + 20} ORDER BY id`,
    (): string => 'SELECT i.cat, count(m.id), coalesce(sum(m.delta), 0) FROM items i LEFT JOIN moves m ON m.item = i.id GROUP BY i.cat ORDER BY i.cat',
    (): string => `SELECT name, qty FROM items ORDER BY qty DESC, id LIMIT ${rng.range(1, 30)}`,
    (): string => 'SELECT count(*), sum(length(note)) FROM items',
  ];

  while (nextId <= rows) {
    out.push('BEGIN');
    for (let b = rng.range(1, 4); b > 0 && nextId <= rows; b--) out.push(insertBatch(Math.min(rng.range(5, 40), rows - nextId + 1)));
    for (let k = rng.range(0, 6); k > 0; k--) {
      switch (rng.weighted({ update: 4, move: 4, delete: 2, fail: 1 })) {
        case 'update':
          out.push(`UPDATE items SET qty = qty + ${rng.range(-20, 20)}, note = substr(note, 1, ${rng.range(10, noteBytes)}) WHERE cat = ${rng.int(40)}`);
          break;
        case 'move':
          out.push(`INSERT INTO moves (item, delta) SELECT id, qty % 7 FROM items WHERE id % ${rng.range(20, 90)} = ${rng.int(20)}`);
          break;
        case 'delete':
          out.push(`DELETE FROM items WHERE id % ${rng.range(30, 120)} = ${rng.int(30)}`);
          break;
        case 'fail':
          out.push(`INSERT INTO items (id, cat, name, qty) VALUES (${anyId()}, 1, 'dup', 1)`); // a duplicate key: an error
          break;
      }
    }
    out.push(rng.chance(0.25) ? 'ROLLBACK' : 'COMMIT');
    for (let q = rng.range(1, 3); q > 0; q--) out.push(rng.pick(queries)());
  }
  // A last rolled-back transaction that touches every page, then the checks.
  out.push('BEGIN', "UPDATE items SET note = note || 'x'", 'DELETE FROM moves', 'ROLLBACK');
  for (const q of queries) out.push(q());
  out.push('PRAGMA integrity_check');
  return out;
}

/** Runs `statements` on both; answers the first step whose outcomes differ (or undefined) and how many failed. */
export async function compare(
  statements: readonly string[],
  a: Runner,
  b: Runner,
): Promise<{ mismatch?: { sql: string; a: Outcome; b: Outcome }; errors: number; last: Outcome }> {
  let errors = 0;
  let last: Outcome = [];
  for (const sql of statements) {
    const [x, y] = [await a.run(sql), await b.run(sql)];
    if (x === 'error') errors++;
    if (JSON.stringify(x) !== JSON.stringify(y)) return { mismatch: { sql: sql.slice(0, 200), a: x, b: y }, errors, last: x };
    last = x;
  }
  return { errors, last };
}
