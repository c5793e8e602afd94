import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { NodeFileSystem, type FileHandle, type FileSystem } from '../../../fs/index.js';
import { InvalidArgumentError, Pager, ResultCode, type Access, type PagerContext } from '../../../vmcore/index.js';

export interface CompressingSwapOptions {
  /** zlib compression level, 0 (store) to 9 (smallest). Default 1: fast, and most of the gain. */
  level?: number;
  /** Keep compressed pages in a file made in this directory (removed at destroy) instead of in memory. */
  directory?: string;
  /** The file system for `directory`. Default: a NodeFileSystem (real files). */
  fs?: FileSystem;
}

export interface CompressingSwapStat {
  /** Pages held (compressed or, when deflate could not shrink them, raw). Zero pages are not held. */
  pages: number;
  /** Bytes those pages would take uncompressed. */
  uncompressedBytes: number;
  /** Bytes they take in the store. */
  storedBytes: number;
  /** uncompressedBytes / storedBytes, measured over what is held now (1 when nothing is). */
  ratio: number;
  /** Page-outs of all-zero pages: they cost nothing (a later page-in zero-fills). */
  zeroPages: number;
  /** Pages stored raw because deflate made them no smaller. */
  incompressible: number;
  pageIns: number;
  pageOuts: number;
  /** Bytes of the swap file (blocks in use and free), 0 for the in-memory store. */
  fileBytes: number;
}

/** Where compressed pages live. */
interface Store {
  get(page: number): Uint8Array | undefined;
  set(page: number, record: Uint8Array): void;
  delete(page: number): void;
  readonly fileBytes: number;
  close(): void | Promise<void>;
}

class MemoryStore implements Store {
  private readonly map = new Map<number, Uint8Array>();
  readonly fileBytes = 0;
  get(page: number): Uint8Array | undefined {
    return this.map.get(page);
  }
  set(page: number, record: Uint8Array): void {
    this.map.set(page, record);
  }
  delete(page: number): void {
    this.map.delete(page);
  }
  close(): void {
    this.map.clear();
  }
}

const BLOCK = 256;

/**
 * Compressed records in one file, in runs of 256-byte blocks: a rewritten page frees its old run, and new
 * runs go first-fit into freed space before the file grows. Synchronous I/O, as page faults want.
 */
class FileStore implements Store {
  private readonly index = new Map<number, { block: number; length: number }>();
  /** Free runs [block, count], sorted by block, never adjacent. */
  private free: Array<[number, number]> = [];
  private endBlock = 0;
  constructor(
    private readonly fs: FileSystem,
    private readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  static open(fs: FileSystem, directory: string, name: string): FileStore {
    const path = join(directory, `spinvm-zswap-${name.replace(/[^\w.-]/g, '_')}-${randomBytes(4).toString('hex')}.bin`);
    return new FileStore(fs, path, fs.openSync(path, { create: true, writable: true, truncate: true }));
  }

  get fileBytes(): number {
    return this.endBlock * BLOCK;
  }

  get(page: number): Uint8Array | undefined {
    const at = this.index.get(page);
    if (!at) return undefined;
    const record = new Uint8Array(at.length);
    if (this.handle.readSync(record, at.block * BLOCK) !== at.length) throw new Error(`swap file ${this.path} is shorter than its index says`);
    return record;
  }

  set(page: number, record: Uint8Array): void {
    const blocks = Math.ceil(record.length / BLOCK);
    const block = this.allocate(blocks);
    try {
      this.handle.writeSync(record, block * BLOCK);
    } catch (err) {
      this.release(block, blocks);
      throw err; // the old copy, if any, is still indexed
    }
    this.delete(page);
    this.index.set(page, { block, length: record.length });
  }

  delete(page: number): void {
    const at = this.index.get(page);
    if (!at) return;
    this.index.delete(page);
    this.release(at.block, Math.ceil(at.length / BLOCK));
  }

  async close(): Promise<void> {
    this.index.clear();
    await this.handle.close();
    await this.fs.remove(this.path);
  }

  private allocate(blocks: number): number {
    for (let i = 0; i < this.free.length; i++) {
      const [start, count] = this.free[i]!;
      if (count < blocks) continue;
      if (count === blocks) this.free.splice(i, 1);
      else this.free[i] = [start + blocks, count - blocks];
      return start;
    }
    const start = this.endBlock;
    this.endBlock += blocks;
    return start;
  }

  private release(block: number, blocks: number): void {
    let i = this.free.findIndex(([start]) => start > block);
    if (i < 0) i = this.free.length;
    this.free.splice(i, 0, [block, blocks]);
    // Merge with the neighbours on either side.
    const merge = (j: number): void => {
      const a = this.free[j];
      const b = this.free[j + 1];
      if (a && b && a[0] + a[1] === b[0]) this.free.splice(j, 2, [a[0], a[1] + b[1]]);
    };
    merge(i);
    merge(i - 1);
  }
}

const RAW = 0;
const DEFLATED = 1;

/**
 * A swap pager that compresses: each page-out is deflated (node:zlib, raw deflate) into an in-memory or
 * file-backed store, each page-in inflated. All-zero pages cost nothing. Pages deflate cannot shrink are
 * kept raw. `stat()` measures the compression ratio of what it holds. Not persistent: the store goes
 * with the pager. Synchronous throughout: every answer is a ResultCode, never a promise.
 */
export class CompressingSwapPager extends Pager {
  /** What it does, for the conformance kit (`spinvm/conformance`). */
  static readonly capabilities = { pageOut: true, persistent: false, readOnly: false, zeroFill: true, checksFrames: true, answersDestroyed: true };
  private readonly level: number;
  private readonly directory: string | undefined;
  private readonly fs: FileSystem | undefined;
  private store: Store | undefined;
  private destroyed = false;
  private storedBytes = 0;
  private counts = { zeroPages: 0, incompressible: 0, pageIns: 0, pageOuts: 0 };
  /** Stored record length per page, for the stored-bytes total. */
  private readonly lengths = new Map<number, number>();

  constructor(options: CompressingSwapOptions = {}) {
    super();
    const level = options.level ?? 1;
    if (!Number.isInteger(level) || level < 0 || level > 9) throw new InvalidArgumentError('options.level', level, 'an integer from 0 to 9');
    if (options.directory !== undefined && (typeof options.directory !== 'string' || options.directory === '')) {
      throw new InvalidArgumentError('options.directory', options.directory, 'a directory path');
    }
    this.level = level;
    this.directory = options.directory;
    this.fs = options.fs;
  }

  /** Any clean page can be had again (from the store, or as zeros): vmcore may drop it without asking. */
  override get refillsCleanPages(): boolean {
    return true;
  }

  override init(context: PagerContext): void {
    super.init(context);
    this.store = this.directory === undefined ? new MemoryStore() : FileStore.open(this.fs ?? new NodeFileSystem(), this.directory, context.name);
  }

  override pageIn(page: number, frame: Uint8Array, _access: Access): ResultCode {
    if (this.destroyed) return ResultCode.PagerDestroyed;
    this.checkFrame(frame);
    const record = this.store!.get(page);
    if (!record) frame.fill(0);
    else if (record[0] === RAW) frame.set(record.subarray(1));
    else {
      const bytes = inflateRawSync(record.subarray(1), { maxOutputLength: frame.length });
      if (bytes.length !== frame.length) throw new Error(`page ${page} inflated to ${bytes.length} bytes, not ${frame.length}: the store is corrupt`);
      frame.set(bytes);
    }
    this.counts.pageIns++;
    return ResultCode.Success;
  }

  override pageOut(page: number, frame: Uint8Array, dirty: boolean): ResultCode {
    if (this.destroyed) return ResultCode.PagerDestroyed;
    this.checkFrame(frame);
    // Unchanged since it came in: the store (or zero fill) already has it.
    if (!dirty) return ResultCode.AlreadyPagedOut;
    this.counts.pageOuts++;
    if (isZero(frame)) {
      this.counts.zeroPages++;
      this.forget(page);
      return ResultCode.Success;
    }
    const deflated = deflateRawSync(frame, { level: this.level });
    let record: Uint8Array;
    if (deflated.length < frame.length) {
      record = new Uint8Array(deflated.length + 1);
      record[0] = DEFLATED;
      record.set(deflated, 1);
    } else {
      this.counts.incompressible++;
      record = new Uint8Array(frame.length + 1);
      record[0] = RAW;
      record.set(frame, 1);
    }
    this.store!.set(page, record);
    this.storedBytes += record.length - (this.lengths.get(page) ?? 0);
    this.lengths.set(page, record.length);
    return ResultCode.Success;
  }

  override destroy(): void | Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    this.lengths.clear();
    this.storedBytes = 0;
    return this.store?.close();
  }

  stat(): CompressingSwapStat {
    const pages = this.lengths.size;
    const uncompressedBytes = pages * (this.store ? this.context.pageSize : 0);
    return {
      pages,
      uncompressedBytes,
      storedBytes: this.storedBytes,
      ratio: this.storedBytes === 0 ? 1 : uncompressedBytes / this.storedBytes,
      ...this.counts,
      fileBytes: this.store?.fileBytes ?? 0,
    };
  }

  private forget(page: number): void {
    const length = this.lengths.get(page);
    if (length === undefined) return;
    this.store!.delete(page);
    this.storedBytes -= length;
    this.lengths.delete(page);
  }
}

function isZero(frame: Uint8Array): boolean {
  // Eight bytes at a time where the frame is aligned for it (frames from the pool always are).
  if (frame.byteOffset % 8 === 0 && frame.length % 8 === 0) {
    const words = new BigUint64Array(frame.buffer, frame.byteOffset, frame.length / 8);
    for (let i = 0; i < words.length; i++) if (words[i] !== 0n) return false;
    return true;
  }
  for (let i = 0; i < frame.length; i++) if (frame[i] !== 0) return false;
  return true;
}
