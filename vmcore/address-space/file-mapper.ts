import type { MemoryObject } from '../memory-object/memory-object.js';

/**
 * The container key of the instance's FileMapper. vmcore cannot open files (the file system depends on
 * vmcore, not the other way round), so `map({ file })` asks whatever is bound here; the file pager binds
 * itself: `vm.container.bind(FILE_MAPPER).toConstantValue(mapper)`.
 */
export const FILE_MAPPER: symbol = Symbol.for('spinvm.FileMapper');

/** Opens files for mapping. Bound in the instance's container under FILE_MAPPER. */
export interface FileMapper {
  /**
   * Opens `path` for mapping: for reading, and for writing too when `writable` is true. Answers a new
   * reference to the file's one shared memory object (one per file per instance, whoever opens it). A
   * mapper may answer `writable: false` when write access is refused; the address space then fails the
   * mapping with AccessDeniedError. Rejects if the file cannot be opened.
   */
  open(path: string, writable: boolean): Promise<MappableFile>;
}

/** One reference to an open file's shared memory object, held by the mappings made from one `map` call. */
export interface MappableFile {
  /**
   * The file's memory object, shared by every mapping of the file in every address space of the instance.
   * Its size should be the file's size rounded up to whole pages: the bytes past the end of the file in its
   * last page then read as zero, stay in memory when written, and are never written to the file.
   */
  readonly object: MemoryObject;
  /** The file's size in bytes when it was opened. Pages wholly past it fault with BusError. */
  readonly size: number;
  /** Whether this reference may write the file (granted for `open(path, true)` unless refused). */
  readonly writable: boolean;
  /** Writes the object's dirty pages to the file and makes them durable (flush, then fsync). */
  sync(): Promise<void>;
  /** Drops this reference; the last one closes the file. Called exactly once. */
  close(): Promise<void>;
}
