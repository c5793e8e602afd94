/**
 * How an address space reaches a file's pages, in the seeds' words (departure's paging page):
 *
 * - The page mapper: "Each PageMapper is responsible for a particular file, and where multiple Pager
 *   objects provide access to a file for different clients, these will all share the same PageMapper",
 *   whose role is "supplying populated pages of content from the given file". In spinvm that is the file's
 *   one memory object, shared by every mapping of the file in every address space of the instance; the
 *   file pager keeps it (SharedFile, pagers/file-pager/shared-file.ts). A FileMapper finds it for a path,
 *   and each MappableFile it answers is one reference to it.
 * - The access map: "The PageMapper relies on the AccessMap to discover existing pages for any accessed
 *   region of a file": the memory object's Cache (vmcore/cache/cache.ts), page to frame. An address space
 *   has none of its own: its translation cache (typed-access.ts) remembers where an address led, not pages.
 */
import type { MemoryObject } from '../memory-object/memory-object.js';

/**
 * Opens files for mapping. vmcore cannot open files (the file system depends on vmcore, not the other way
 * round), so `map({ file })` asks whatever is bound in the instance's container under TOKENS.FileMapper;
 * the file pager binds itself there (`useFilePager`).
 */
export interface FileMapper {
  /**
   * Opens `path` for mapping: for reading, and for writing too when `writable` is true. Answers a new
   * reference to the file's one shared memory object (one per file per instance, whoever opens it). A
   * mapper answers `writable: false` when write access is refused (permissions, a read-only file system):
   * the address space asks for it for every shared mapping, as a file that can be written may be given
   * write rights later (mprotect), and answers AccessDeniedError (EACCES) only when a mapping needs them
   * and the file was refused. Rejects if the file cannot be opened.
   */
  open(path: string, writable: boolean): Promise<MappableFile>;
}

/** One reference to an open file's shared memory object, held by the mappings made from one `map` call. */
export interface MappableFile {
  /**
   * The file's memory object, shared by every mapping of the file in every address space of the instance.
   * It should cover at least the file's size rounded up to whole pages (it may be larger, for growth): the
   * bytes past the end of the file in its last page then read as zero, stay in memory when written, and
   * are never written to the file.
   */
  readonly object: MemoryObject;
  /**
   * The file's size in bytes, read on every check: pages wholly past it fault with BusError. A mapper whose
   * files change size answers the current size (growing `object` first, so it covers it).
   */
  readonly size: number;
  /**
   * Optional: checks the file's real size now (one cheap, synchronous call) and takes it on, growing
   * `object` if needed; answers it. The address space calls it when an access would be a BusError, so
   * growth made by anyone (another process, a plain write) is seen. Without it the size is `size`.
   */
  refreshSize?(): number;
  /** Whether this reference may write the file (granted for `open(path, true)` unless refused). */
  readonly writable: boolean;
  /** Writes the object's dirty pages to the file and makes them durable (flush, then fsync). */
  sync(): Promise<void>;
  /** Drops this reference; the last one closes the file. Called exactly once. */
  close(): Promise<void>;
}
