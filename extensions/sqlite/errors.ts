import { SpinVmError } from '../../vmcore/index.js';

/** `loadSqlite` could not load wa-sqlite (the optional peer dependency is not installed, or its build failed to start). */
export class SqliteUnavailableError extends SpinVmError {
  override readonly code = 'SPINVM_SQLITE_UNAVAILABLE';
  constructor(cause: unknown) {
    super(`wa-sqlite could not be loaded (npm install wa-sqlite): ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/**
 * A write would take an in-memory SQLite file past its `capacity` (SpinVfs's option). SQLite sees
 * SQLITE_FULL, as on a full disk; the write changes nothing.
 */
export class SqliteFileFullError extends SpinVmError {
  override readonly code = 'SPINVM_SQLITE_FILE_FULL';
  override readonly errno = 'EFBIG';
  constructor(
    readonly file: string,
    readonly end: number,
    readonly capacity: number,
  ) {
    super(`SQLite file ${file}: a write ending at byte ${end} is past its capacity of ${capacity} bytes`);
  }
}
