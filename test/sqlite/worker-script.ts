// The worker side of SQLite in a worker thread (worker.test.ts): transpiled by test/helpers/transpiled.ts, it
// runs the seeded workload on wa-sqlite's synchronous build over the files the owning thread shared, and
// answers every statement's outcome, for the parent to compare with native SQLite's.
import { parentPort, workerData } from 'node:worker_threads';
import { loadSqliteInWorker, type SharedSqliteFilesHandle } from '../../extensions/sqlite/worker.js';
import { waRunner, workload, type Outcome } from './workload.js';

export interface WorkloadJob {
  handle: SharedSqliteFilesHandle;
  file: string;
  seed: number;
  rows: number;
  noteBytes: number;
  pageSize: number;
  journal?: string;
}

export interface WorkloadAnswer {
  outcomes: Outcome[];
  /** The database's bytes as SQLite counts them (page_count * page_size), after the workload. */
  bytes: number;
  openCount: number;
  lastError?: { name: string; code?: string; message: string };
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
  const err = vfs.files.lastError as (Error & { code?: string }) | undefined;
  vfs.close();
  return {
    outcomes,
    bytes: size === 'error' ? -1 : (size[0]![0] as number),
    openCount,
    lastError: err === undefined ? undefined : { name: err.name, code: err.code, message: err.message },
  };
}

run(workerData as WorkloadJob).then(
  (answer) => parentPort!.postMessage({ answer }),
  (err: Error) => parentPort!.postMessage({ error: { name: err.name, message: err.message, stack: err.stack } }),
);
