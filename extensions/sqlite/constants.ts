// The few numbers of SQLite's C interface a VFS answers with (sqlite3.h). They are part of SQLite's stable
// ABI, so the VFS needs no import of wa-sqlite to speak it (wa-sqlite stays an optional peer dependency).

export const SQLITE_OK = 0;
export const SQLITE_BUSY = 5;
export const SQLITE_IOERR = 10;
export const SQLITE_NOTFOUND = 12;
export const SQLITE_FULL = 13;
export const SQLITE_CANTOPEN = 14;
export const SQLITE_IOERR_READ = 266;
export const SQLITE_IOERR_SHORT_READ = 522;
export const SQLITE_IOERR_WRITE = 778;
export const SQLITE_IOERR_FSYNC = 1034;
export const SQLITE_IOERR_TRUNCATE = 1546;
export const SQLITE_IOERR_FSTAT = 1802;
export const SQLITE_IOERR_DELETE = 2570;
export const SQLITE_IOERR_NOMEM = 3082;
export const SQLITE_IOERR_ACCESS = 3338;
export const SQLITE_IOERR_UNLOCK = 2058;
export const SQLITE_IOERR_CHECKRESERVEDLOCK = 3594;
export const SQLITE_IOERR_LOCK = 3850;
export const SQLITE_IOERR_CLOSE = 4106;
export const SQLITE_IOERR_DELETE_NOENT = 5898;

export const SQLITE_OPEN_READONLY = 0x1;
export const SQLITE_OPEN_READWRITE = 0x2;
export const SQLITE_OPEN_CREATE = 0x4;
export const SQLITE_OPEN_DELETEONCLOSE = 0x8;
export const SQLITE_OPEN_EXCLUSIVE = 0x10;
export const SQLITE_OPEN_MAIN_DB = 0x100;
export const SQLITE_OPEN_TEMP_DB = 0x200;
export const SQLITE_OPEN_TRANSIENT_DB = 0x400;
export const SQLITE_OPEN_MAIN_JOURNAL = 0x800;
export const SQLITE_OPEN_TEMP_JOURNAL = 0x1000;
export const SQLITE_OPEN_SUBJOURNAL = 0x2000;
export const SQLITE_OPEN_SUPER_JOURNAL = 0x4000;
export const SQLITE_OPEN_WAL = 0x80000;

export const SQLITE_LOCK_NONE = 0;
export const SQLITE_LOCK_SHARED = 1;
export const SQLITE_LOCK_RESERVED = 2;
export const SQLITE_LOCK_PENDING = 3;
export const SQLITE_LOCK_EXCLUSIVE = 4;

export const SQLITE_IOCAP_SAFE_APPEND = 0x200;
export const SQLITE_IOCAP_POWERSAFE_OVERWRITE = 0x1000;

export const SQLITE_ACCESS_EXISTS = 0;
export const SQLITE_ACCESS_READWRITE = 1;
