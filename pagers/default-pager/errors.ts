import { SpinVmError } from '../../vmcore/index.js';

/**
 * A page read back from swap is not the page that was written (checksum mismatch, or the swap file is
 * shorter than the slot). The pager keeps the page swapped out and answers this on every fault: a page
 * that cannot be trusted is never handed out. vmcore reports it as a PagerIoError whose `cause` is this.
 */
export class SwapIntegrityError extends SpinVmError {
  override readonly code = 'SPINVM_SWAP_INTEGRITY';
  override readonly errno = 'EIO';
  constructor(
    /** The swap file. */
    readonly path: string,
    readonly slot: number,
    /** Byte position of the slot in the swap file. */
    readonly position: number,
    /** The memory object and page the slot held ('' and -1 when read without one). */
    readonly object: string,
    readonly page: number,
    detail: string,
  ) {
    const owner = page >= 0 ? `page ${page} of ${object || 'an object'}` : 'a page';
    super(`swap slot ${slot} (${path} at byte ${position}), holding ${owner}, failed its integrity check: ${detail}`);
  }
}

/** The swap directory or its files could not be made (not a directory, read-only, no permission...). */
export class SwapSetupError extends SpinVmError {
  override readonly code = 'SPINVM_SWAP_SETUP';
  /** The errno of what failed (ENOTDIR, EACCES, EROFS...), when it had one. */
  override readonly errno: string | undefined;
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    // A FileSystemError carries its errno in `errno`; Node's own errors in `code`.
    const { errno, code } = (cause ?? {}) as { errno?: unknown; code?: unknown };
    const reason = typeof errno === 'string' ? errno : code;
    super(`cannot set up swap files under ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.errno = typeof reason === 'string' && /^E[A-Z0-9]+$/.test(reason) ? reason : undefined;
  }
}
