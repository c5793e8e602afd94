// The worker side of SQLite in a worker thread (worker.test.ts): transpiled by test/helpers/transpiled.ts, it
// runs the seeded workload on wa-sqlite's synchronous build over the files the owning thread shared, and
// answers every statement's outcome, for the parent to compare with native SQLite's.
import { parentPort, workerData } from 'node:worker_threads';
import { loadSqliteInWorker, type SharedSqliteFilesHandle } from '../../extensions/sqlite/worker.js';
import { waRunner, workload, type Outcome } from './workload.js';

export interface WorkloadJob {
  mode: 'workload';
  handle: SharedSqliteFilesHandle;
  file: string;
  seed: number;
  rows: number;
  noteBytes: number;
  pageSize: number;
  journal?: string;
}

/**
 * Runs `before`, tells the parent `{ paused: true }` and waits for its next message, then runs `after`;
 * each statement's outcome is its rows or `error <code>` (SQLite's result code).
 */
export interface StatementsJob {
  mode: 'statements';
  handle: SharedSqliteFilesHandle;
  file: string;
  before: string[];
  after: string[];
}

export interface StatementsAnswer {
  outcomes: Array<unknown[][] | string>;
  lastError?: { name: string; code?: string; message: string };
}

export interface WorkloadAnswer {
  outcomes: Outcome[];
  /** The database's bytes as SQLite counts them (page_count * page_size), after the workload. */
  bytes: number;
  openCount: number;
  lastError?: { name: string; code?: string; message: string };
}

function described(err: unknown): { name: string; code?: string; message: string } | undefined {
  if (err === undefined) return undefined;
  const e = err as Error & { code?: string };
  return { name: e.name, code: e.code, message: e.message };
}

async function statements(job: StatementsJob): Promise<StatementsAnswer> {
  const { sqlite3, vfs } = await loadSqliteInWorker(job.handle);
  const db = await sqlite3.open_v2(job.file);
  const outcomes: StatementsAnswer['outcomes'] = [];
  const run = async (sql: string): Promise<void> => {
    const rows: unknown[][] = [];
    try {
      await sqlite3.exec(db, sql, (row) => void rows.push([...row]));
      outcomes.push(rows);
    } catch (err) {
      outcomes.push(`error ${(err as { code?: number }).code}`);
    }
  };
  for (const sql of job.before) await run(sql);
  await new Promise((resolve) => {
    parentPort!.once('message', resolve);
    parentPort!.postMessage({ paused: true });
  });
  for (const sql of job.after) await run(sql);
  const lastError = described(vfs.files.lastError);
  await sqlite3.close(db).catch(() => undefined);
  vfs.close();
  return { outcomes, lastError };
}

async function run(job: WorkloadJob): Promise<WorkloadAnswer> {
  const { sqlite3, vfs } = await loadSqliteInWorker(job.handle);
  const db = await sqlite3.open_v2(job.file);
  const runner = waRunner(sqlite3, db);
  const statements = workload(job.seed, job.rows, job.noteBytes, job.pageSize);
  if (job.journal) statements.splice(2, 0, `PRAGMA journal_mode = ${job.journal}`);
  const outcomes: Outcome[] = [];
  for (const sql of statements) outcomes.push(await runner.run(sql));
  const size = await runner.run('SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()');
  await sqlite3.close(db);
  const openCount = vfs.files.openCount;
  const lastError = described(vfs.files.lastError);
  vfs.close();
  return {
    outcomes,
    bytes: size === 'error' ? -1 : (size[0]![0] as number),
    openCount,
    lastError,
  };
}

const job = workerData as WorkloadJob | StatementsJob;
(job.mode === 'statements' ? statements(job) : run(job)).then(
  (answer) => parentPort!.postMessage({ answer }),
  (err: Error) => parentPort!.postMessage({ error: { name: err.name, message: err.message, stack: err.stack } }),
);
