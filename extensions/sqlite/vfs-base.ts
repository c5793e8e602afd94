import * as C from './constants.js';
import type { OutValue, SqliteFiles } from './files.js';

/**
 * What the main thread's VFS (vfs.ts, wa-sqlite's asynchronous build) and a worker's (worker.ts, the synchronous
 * build) answer alike: the calls that never wait, handed to the files and locks as they are.
 */
export abstract class SqliteVfsBase {
  readonly mxPathName = 64;
  abstract readonly name: string;
  abstract readonly files: SqliteFiles;

  xFileSize(fileId: number, pSize64: OutValue): number {
    return this.files.xFileSize(fileId, pSize64);
  }
  xLock(fileId: number, flags: number): number {
    return this.files.xLock(fileId, flags);
  }
  xUnlock(fileId: number, flags: number): number {
    return this.files.xUnlock(fileId, flags);
  }
  xCheckReservedLock(fileId: number, pResOut: OutValue): number {
    return this.files.xCheckReservedLock(fileId, pResOut);
  }
  xFileControl(_fileId: number, _op: number, _pArg: DataView): number {
    return C.SQLITE_NOTFOUND;
  }
  xSectorSize(_fileId: number): number {
    return 512;
  }
  xDeviceCharacteristics(_fileId: number): number {
    // A write never damages bytes around it (memory, or whole pages written back).
    return C.SQLITE_IOCAP_POWERSAFE_OVERWRITE;
  }
}
