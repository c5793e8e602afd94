import { SpinVmError } from '../vmcore/index.js';

/** What a file system call was doing when it failed; the sync and async forms of a call share a name. */
export type FileOperation = 'open' | 'read' | 'write' | 'size' | 'truncate' | 'sync' | 'close' | 'remove' | 'mkdtemp' | 'mkdir' | 'rmdir' | 'realpath';

/** The errno-style reasons spinvm's file systems produce; others from the OS pass through as their code. */
export type FileSystemReason =
  | 'ENOENT'
  | 'EISDIR'
  | 'ENOTDIR'
  | 'EACCES'
  | 'EPERM'
  | 'EEXIST'
  | 'ENOSPC'
  | 'EROFS'
  | 'EFBIG'
  | 'EBADF'
  | 'EBUSY'
  | 'EIO'
  | 'EMFILE'
  | 'ENFILE'
  | 'ENOTEMPTY'
  | 'ELOOP'
  | 'ENAMETOOLONG'
  | 'EDQUOT'
  | 'EINVAL'
  | (string & {});

// Fixed descriptions (glibc's wording) so a message reads the same on every platform and file system.
const DESCRIPTIONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'file already exists',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  EFBIG: 'file too large',
  EBADF: 'bad file descriptor',
  EBUSY: 'resource busy',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in system',
  ENOTEMPTY: 'directory not empty',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EDQUOT: 'disk quota exceeded',
  EINVAL: 'invalid argument',
};

/** The description of an errno reason used in messages ("no such file or directory"), or undefined if unknown. */
export function describeReason(reason: string): string | undefined {
  return DESCRIPTIONS[reason];
}

/**
 * Every failure of a FileSystem, FileHandle, Accessor or FileRegistry call. `reason` is the errno name
 * (and also `errno`, as on every spinvm error, so `err.errno === 'ENOSPC'` works); `cause` keeps the
 * original error when one was wrapped. The message names the operation, the path and the cause:
 * "open /x/y: no such file or directory (ENOENT)".
 */
export class FileSystemError extends SpinVmError {
  override readonly code: string = 'SPINVM_FILE_SYSTEM';
  override readonly errno: string;

  constructor(
    readonly operation: FileOperation,
    readonly path: string,
    readonly reason: FileSystemReason,
    options?: { cause?: unknown; detail?: string },
  ) {
    const detail = options?.detail ?? DESCRIPTIONS[reason] ?? 'failed';
    super(`${operation} ${path}: ${detail} (${reason})`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.errno = reason;
  }

  /** True when `error` is a FileSystemError, and (if given) has this reason. */
  static is(error: unknown, reason?: FileSystemReason): error is FileSystemError {
    return error instanceof FileSystemError && (reason === undefined || error.reason === reason);
  }

  /**
   * Wraps whatever a Node call threw. FileSystemErrors pass through; errno errors keep their code as the
   * reason; anything else (a bug, an allocation failure) becomes EIO with the original as `cause`.
   */
  static from(error: unknown, operation: FileOperation, path: string): FileSystemError {
    if (error instanceof FileSystemError) return error;
    const code = (error as { code?: unknown } | null)?.code;
    const reason = typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : 'EIO';
    const detail = DESCRIPTIONS[reason] ?? (error instanceof Error ? error.message : undefined);
    return new FileSystemError(operation, path, reason, { cause: error, detail });
  }
}

/**
 * An Accessor refused a synchronous call because an async call on an overlapping range is still in flight
 * (running it now could tear that call's data). Nothing was read or written: await `accessor.idle()` or use
 * the async method.
 */
export class AccessorBusyError extends FileSystemError {
  override readonly code = 'SPINVM_ACCESSOR_BUSY';
  constructor(operation: FileOperation, path: string, start: number, end: number) {
    const range = end === Infinity ? `bytes ${start}..end` : `bytes ${start}..${end}`;
    super(operation, path, 'EBUSY', {
      detail: `an async operation on an overlapping range (${range}) is in flight; await idle() or use the async method`,
    });
  }
}
