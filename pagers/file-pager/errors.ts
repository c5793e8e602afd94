import { SpinVmError } from '../../vmcore/index.js';

/** A write through a mapping opened read-only. */
export class ReadOnlyMappingError extends SpinVmError {
  override readonly code = 'SPINVM_READ_ONLY_MAPPING';
  override readonly errno = 'EROFS';
  constructor(readonly path: string) {
    super(`${path} is mapped read-only: map it with { writable: true } to write`);
  }
}

/** The file became shorter than the part of it that was mapped: the page is gone from under the mapping. */
export class MappedFileTruncatedError extends SpinVmError {
  override readonly code = 'SPINVM_FILE_SHRUNK';
  constructor(
    readonly path: string,
    readonly page: number,
    readonly mappedSize: number,
    readonly fileSize: number,
  ) {
    super(`${path} shrank under its mapping: page ${page} lies past its end (mapped ${mappedSize} bytes, the file now has ${fileSize})`);
  }
}

/** pwrite or truncate through a file opened read-only (POSIX EBADF: the descriptor is not open for writing). */
export class ReadOnlyFileError extends SpinVmError {
  override readonly code = 'SPINVM_READ_ONLY_FILE';
  override readonly errno = 'EBADF';
  constructor(readonly path: string) {
    super(`${path} is open read-only: open it with { writable: true } to write or truncate it`);
  }
}
