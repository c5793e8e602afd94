/**
 * The generic file system pagers sit on (SPIN's default pager pages out "to a generic file system"; departure's
 * accessors read and write a file resource). Two implementations ship: NodeFileSystem (real files) and
 * MemoryFileSystem (in memory, with fault injection for tests). Every failure is a FileSystemError; a bad
 * argument is an InvalidArgumentError thrown (or rejected) before anything is touched.
 *
 * Why handles have both synchronous and asynchronous I/O: measured on these machines, fs.readSync costs about
 * 1 µs plus the copy (3.9 GB/s in 4 KiB reads) while each fs.promises read costs about 50 µs whatever its
 * size. One promise per 4 KiB page fault is a hundred times too slow, so pagers page in and out clustered runs
 * of pages with the sync calls, and a pager that answers synchronously costs no promise at all. The async
 * calls remain for work that may block for long (fsync, truncate, very large transfers) and for file systems
 * whose storage is really asynchronous.
 */

export interface OpenOptions {
  /** Create the file (empty) if it does not exist; its parent directory must exist. Default false. */
  create?: boolean;
  /** Open for reading and writing; otherwise read only. Default false. */
  writable?: boolean;
  /** Cut the file to zero bytes on open; requires `writable`. Default false. */
  truncate?: boolean;
}

export interface FileSystem {
  /** Opens a regular file. A directory fails with EISDIR, a missing file (without `create`) with ENOENT. */
  open(path: string, options?: OpenOptions): Promise<FileHandle>;
  /** `open`, synchronously. */
  openSync(path: string, options?: OpenOptions): FileHandle;
  /** Removes a file (not a directory: EISDIR). Open handles keep working on the removed file's data. */
  remove(path: string): Promise<void>;
  /** Makes a fresh directory named `prefix` followed by random characters, and returns its path. */
  mkdtemp(prefix: string): Promise<string>;
  /** Makes a directory and any missing parents; an existing directory is fine, an existing file is EEXIST. */
  mkdir(path: string): Promise<void>;
  /** Removes a directory and everything under it. A missing path is ENOENT, a file ENOTDIR. */
  rmdir(path: string): Promise<void>;
  /** The canonical absolute path of an existing file or directory: equal for two spellings of one file. */
  realpath(path: string): Promise<string>;
  /** True when something exists at `path`; never fails for file system reasons. */
  exists(path: string): Promise<boolean>;
}

/**
 * An open file. Reads fill the buffer unless end of file comes first (the count is short only at EOF);
 * writes write everything or fail. `offset`/`length` select part of the buffer without making a subarray
 * (page-in/out paths allocate nothing). Positions are byte offsets in the file: non-negative safe integers.
 * Writing or truncating through a read-only handle fails with EBADF; any call after `close()` fails with
 * EBADF, except `close()` itself which may be repeated. Handles use positional I/O only (no file offset), so
 * sync and async calls on one handle never disturb each other; ordering overlapping calls is the Accessor's job.
 */
export interface FileHandle {
  /** The path the file was opened with. */
  readonly path: string;
  readonly writable: boolean;
  readonly closed: boolean;

  /** Reads into `buffer[offset, offset + length)` from file byte `position`; returns the bytes read (short only at EOF). */
  readSync(buffer: Uint8Array, position: number, offset?: number, length?: number): number;
  /** Writes `buffer[offset, offset + length)` at file byte `position`, extending the file if needed; returns `length`. */
  writeSync(buffer: Uint8Array, position: number, offset?: number, length?: number): number;
  /** The file's current size in bytes. */
  sizeSync(): number;

  read(buffer: Uint8Array, position: number, offset?: number, length?: number): Promise<number>;
  write(buffer: Uint8Array, position: number, offset?: number, length?: number): Promise<number>;
  size(): Promise<number>;
  /** Cuts or extends (with zeros) the file to `size` bytes. */
  truncate(size: number): Promise<void>;
  /** Flushes the file's data to stable storage (fsync). */
  sync(): Promise<void>;
  /** Waits for this handle's calls in flight, then closes it. Idempotent. */
  close(): Promise<void>;
}
