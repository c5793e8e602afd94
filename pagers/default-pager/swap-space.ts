import * as os from 'node:os';
import { join } from 'node:path';
import { FileSystemError, NodeFileSystem, type FileHandle, type FileSystem } from '../../fs/index.js';
import { DestroyedError, InvalidArgumentError } from '../../vmcore/index.js';
import { crc32 } from './checksum.js';
import { SwapIntegrityError, SwapSetupError } from './errors.js';

export interface SwapSpaceOptions {
  /** Bytes per slot: the page size of the pagers using it (a positive integer up to 2^30). */
  pageSize: number;
  /** The file system holding the swap files. Default: a NodeFileSystem (real files). */
  fs?: FileSystem;
  /**
   * An existing directory in which a fresh swap directory (`spinvm-swap-XXXXXX`) is made; it and its files
   * are removed by `close()`. Default: the system's temporary directory.
   */
  directory?: string;
  /** Swap files, 1 to 8; slots are spread round-robin over them. Default 2. */
  files?: number;
  /** Most bytes of swap (whole slots below it are used); past it page-outs answer DeviceFull. Default Infinity. */
  limit?: number;
}

export interface SwapSpaceStat {
  pageSize: number;
  files: number;
  /** The `limit` option in bytes (Infinity when unlimited). */
  limit: number;
  slotsInUse: number;
  bytesInUse: number;
  peakSlots: number;
  peakBytes: number;
  /** Slots the files span (every slot ever handed out); the files hold about this many pages. */
  fileSlots: number;
  reads: number;
  writes: number;
  integrityErrors: number;
}

/** Most slots: slot numbers live in a Uint32Array free list. */
export const MAX_SWAP_SLOTS = 2 ** 32 - 1;

/** File system reasons that mean "no room": the pager answers DeviceFull and vmcore keeps the page. */
const DEVICE_FULL = new Set(['ENOSPC', 'EFBIG', 'EDQUOT']);
const OPTION_KEYS = ['pageSize', 'fs', 'directory', 'files', 'limit'];
const INITIAL_SLOTS = 64;

/**
 * Swap space for SPIN's real default pager: slots of one page each, spread round-robin over 1 to 8 swap
 * files (slot s is in file s % files at byte floor(s / files) * pageSize), each slot with a CRC-32 of the
 * page written to it so a page read back is checked before anyone sees it. Freed slots are reused first,
 * so the files only grow to the peak number of slots in use. All I/O is synchronous (the handles'
 * readSync/writeSync): a page-in or page-out is one pread/pwrite and no promise.
 *
 * Pagers may keep a slot for a page that is back in memory (so a clean eviction costs no write); when slots
 * run out the space asks them to give such slots back (`addReclaimer`) before answering "full".
 */
export class SwapSpace {
  readonly pageSize: number;
  readonly fs: FileSystem;
  /** The swap directory this space made (removed by `close()`). */
  readonly directory: string;
  /** The swap files, in slot order (slot s is in `paths[s % paths.length]`). */
  readonly paths: readonly string[];
  readonly limit: number;

  private readonly handles: FileHandle[];
  private readonly fileCount: number;
  private readonly limitSlots: number;
  /** CRC-32 of the page last written to each slot. */
  private checksums = new Uint32Array(INITIAL_SLOTS);
  /** 1 while a slot is allocated: catches double frees and reads of free slots. */
  private allocated = new Uint8Array(INITIAL_SLOTS);
  private freeList = new Uint32Array(INITIAL_SLOTS);
  private freeCount = 0;
  /** Slots ever handed out: slots [0, made) exist, the rest are fresh. */
  private made = 0;
  /** 1 + the highest slot written successfully: the files' extent, in slots. */
  private extent = 0;
  /** Slots the device held when it last said "no space" (Infinity until then); only a hint. */
  private deviceSlots = Infinity;
  private inUse = 0;
  private peak = 0;
  private reads = 0;
  private writes = 0;
  private integrityErrors = 0;
  private readonly reclaimers = new Set<() => number>();
  private closing: Promise<void> | undefined;

  private constructor(fs: FileSystem, directory: string, paths: string[], handles: FileHandle[], pageSize: number, limit: number) {
    this.fs = fs;
    this.directory = directory;
    this.paths = Object.freeze(paths);
    this.handles = handles;
    this.fileCount = handles.length;
    this.pageSize = pageSize;
    this.limit = limit;
    // Slots are also bounded so that every slot's last byte stays below 2^53 in its file.
    const addressable = handles.length * Math.floor(Number.MAX_SAFE_INTEGER / pageSize);
    this.limitSlots = Math.min(MAX_SWAP_SLOTS, addressable, limit === Infinity ? Infinity : Math.floor(limit / pageSize));
  }

  /** Makes a fresh swap directory and its files. A directory that cannot be written fails with SwapSetupError. */
  static async create(options: SwapSpaceOptions): Promise<SwapSpace> {
    const o = checkSwapOptions(options);
    const fs = o.fs ?? new NodeFileSystem();
    const parent = o.directory ?? os.tmpdir();
    let directory: string;
    try {
      directory = await fs.mkdtemp(join(parent, 'spinvm-swap-'));
    } catch (err) {
      throw new SwapSetupError(parent, err);
    }
    const paths = Array.from({ length: o.files }, (_, i) => join(directory, `swap-${i}`));
    const handles: FileHandle[] = [];
    try {
      for (const path of paths) handles.push(await fs.open(path, { create: true, writable: true, truncate: true }));
    } catch (err) {
      await Promise.allSettled(handles.map((h) => h.close()));
      await fs.rmdir(directory).catch(() => undefined);
      throw new SwapSetupError(directory, err);
    }
    return new SwapSpace(fs, directory, paths, handles, o.pageSize, o.limit);
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  get slotsInUse(): number {
    return this.inUse;
  }

  /**
   * True when half the known capacity is in use: pagers should then free a page's slot when it comes back
   * in rather than keep it (Linux's vm_swap_full heuristic), so swap goes to pages that are out.
   */
  get crowded(): boolean {
    return this.inUse * 2 >= Math.min(this.limitSlots, this.deviceSlots);
  }

  /**
   * A free slot, or -1 when the limit is reached and no pager can give one back. Freed slots come first,
   * then fresh ones (round-robin over the files by construction).
   */
  allocate(): number {
    this.checkOpen();
    const soft = Math.min(this.limitSlots, this.deviceSlots);
    let slot = this.take(soft);
    if (slot < 0 && this.reclaimers.size > 0 && this.reclaim() > 0) slot = this.take(soft);
    // The device said "full" once; it may have room again, so try past that before giving up.
    if (slot < 0 && soft < this.limitSlots) slot = this.take(this.limitSlots);
    return slot;
  }

  /** Gives a slot back. */
  free(slot: number): void {
    this.checkSlot(slot);
    this.allocated[slot] = 0;
    this.inUse--;
    if (slot === this.made - 1 && slot >= this.extent) {
      this.made--; // never written (its write failed): do not hand out a position the device refused
      return;
    }
    if (this.freeCount === this.freeList.length) this.freeList = grow(this.freeList, this.freeList.length * 2);
    this.freeList[this.freeCount++] = slot;
  }

  /**
   * Writes one page to `slot` and records its checksum. Answers false when the file system has no room
   * (ENOSPC, EFBIG, EDQUOT); any other failure is thrown. After a failure the slot's contents are unknown.
   */
  writeSync(slot: number, frame: Uint8Array): boolean {
    this.checkSlot(slot);
    this.checkFrame(frame);
    const handle = this.handles[slot % this.fileCount]!;
    try {
      handle.writeSync(frame, Math.floor(slot / this.fileCount) * this.pageSize, 0, this.pageSize);
    } catch (err) {
      if (!(err instanceof FileSystemError) || !DEVICE_FULL.has(err.reason)) throw err;
      if (slot >= this.extent) this.deviceSlots = Math.min(this.deviceSlots, this.extent);
      return false;
    }
    this.checksums[slot] = crc32(frame);
    this.writes++;
    if (slot >= this.extent) {
      this.extent = slot + 1;
      if (this.extent > this.deviceSlots) this.deviceSlots = Infinity; // the device had room after all
    }
    return true;
  }

  /**
   * Reads `slot` into `frame` and checks it against the checksum written with it; throws SwapIntegrityError
   * (naming `object` and `page`, for the message) on a mismatch or a short file. `frame` then holds junk.
   */
  readSync(slot: number, frame: Uint8Array, object = '', page = -1): void {
    this.checkSlot(slot);
    this.checkFrame(frame);
    const file = slot % this.fileCount;
    const position = Math.floor(slot / this.fileCount) * this.pageSize;
    const n = this.handles[file]!.readSync(frame, position, 0, this.pageSize);
    this.reads++;
    let problem: string | undefined;
    if (n !== this.pageSize) problem = `the swap file ends inside the slot (${n} of ${this.pageSize} bytes read)`;
    else {
      const sum = crc32(frame);
      if (sum !== this.checksums[slot]) problem = `CRC-32 is ${hex(sum)}, ${hex(this.checksums[slot]!)} was written`;
    }
    if (problem !== undefined) {
      this.integrityErrors++;
      throw new SwapIntegrityError(this.paths[file]!, slot, position, object, page, problem);
    }
  }

  /**
   * Registers a function that frees slots its pager holds for pages that are also in memory, answering how
   * many it freed; it runs when the space is out of slots. Answers the function that removes it.
   */
  addReclaimer(reclaim: () => number): () => void {
    this.reclaimers.add(reclaim);
    return () => void this.reclaimers.delete(reclaim);
  }

  /** Asks every reclaimer to give slots back; answers how many were freed. */
  reclaim(): number {
    let freed = 0;
    for (const reclaim of this.reclaimers) freed += reclaim();
    return freed;
  }

  stat(): SwapSpaceStat {
    return {
      pageSize: this.pageSize,
      files: this.fileCount,
      limit: this.limit,
      slotsInUse: this.inUse,
      bytesInUse: this.inUse * this.pageSize,
      peakSlots: this.peak,
      peakBytes: this.peak * this.pageSize,
      fileSlots: this.made,
      reads: this.reads,
      writes: this.writes,
      integrityErrors: this.integrityErrors,
    };
  }

  /** Closes the files and removes the swap directory. Idempotent; later calls of anything else throw. */
  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  private async shutdown(): Promise<void> {
    this.reclaimers.clear();
    const closed = await Promise.allSettled(this.handles.map((h) => h.close()));
    await this.fs.rmdir(this.directory);
    const failed = closed.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private take(capacity: number): number {
    let slot: number;
    if (this.freeCount > 0) slot = this.freeList[--this.freeCount]!;
    else if (this.made < capacity) {
      slot = this.made++;
      if (slot >= this.allocated.length) {
        const size = Math.min(MAX_SWAP_SLOTS, this.allocated.length * 2);
        this.allocated = grow(this.allocated, size);
        this.checksums = grow(this.checksums, size);
      }
    } else return -1;
    this.allocated[slot] = 1;
    if (++this.inUse > this.peak) this.peak = this.inUse;
    return slot;
  }

  private checkSlot(slot: number): void {
    this.checkOpen();
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.made || this.allocated[slot] !== 1) {
      throw new InvalidArgumentError('slot', slot, 'a slot allocated from this swap space and not freed');
    }
  }

  private checkFrame(frame: Uint8Array): void {
    if (!(frame instanceof Uint8Array) || frame.length !== this.pageSize) {
      throw new InvalidArgumentError('frame', frame, `a Uint8Array of exactly one page (${this.pageSize} bytes)`);
    }
  }

  private checkOpen(): void {
    if (this.closing) throw new DestroyedError(`swap space ${this.directory}`);
  }
}

function grow<T extends Uint8Array | Uint32Array>(array: T, size: number): T {
  const bigger = new (array.constructor as new (n: number) => T)(size);
  bigger.set(array);
  return bigger;
}

function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}

function checkSwapOptions(options: unknown): { pageSize: number; fs: FileSystem | undefined; directory: string | undefined; files: number; limit: number } {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError('options', options, 'an options object with a pageSize');
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!OPTION_KEYS.includes(key)) throw new InvalidArgumentError(`options.${key}`, o[key], `absent (known options: ${OPTION_KEYS.join(', ')})`);
  }
  const { pageSize, fs, directory, files = 2, limit = Infinity } = o;
  if (typeof pageSize !== 'number' || !Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > 2 ** 30) {
    throw new InvalidArgumentError('options.pageSize', pageSize, 'an integer from 1 to 2^30');
  }
  if (
    fs !== undefined &&
    (typeof fs !== 'object' || fs === null || typeof (fs as FileSystem).mkdtemp !== 'function' || typeof (fs as FileSystem).open !== 'function')
  ) {
    throw new InvalidArgumentError('options.fs', fs, 'a FileSystem');
  }
  if (directory !== undefined && (typeof directory !== 'string' || directory.length === 0 || directory.includes('\0'))) {
    throw new InvalidArgumentError('options.directory', directory, 'a non-empty path without NUL characters');
  }
  if (typeof files !== 'number' || !Number.isInteger(files) || files < 1 || files > 8) {
    throw new InvalidArgumentError('options.files', files, 'an integer from 1 to 8');
  }
  if (typeof limit !== 'number' || !(limit === Infinity || (Number.isSafeInteger(limit) && limit >= 0))) {
    throw new InvalidArgumentError('options.limit', limit, 'a non-negative integer number of bytes, or Infinity');
  }
  return { pageSize, fs: fs as FileSystem | undefined, directory: directory as string | undefined, files, limit };
}
