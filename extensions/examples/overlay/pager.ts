import { NodeFileSystem, type FileHandle, type FileSystem } from '../../../fs/index.js';
import { InvalidArgumentError, Pager, ResultCode, type Access, type PagerContext } from '../../../vmcore/index.js';

export interface OverlayOptions {
  /** The read-only base (a disk image): opened read-only, never written. Bytes past its end read as zeros. */
  base: string;
  /**
   * A file keeping the written pages, so they outlive the pager (made if missing; reopened with its pages
   * if present). Default: written pages are kept in memory and go with the pager.
   */
  overlay?: string;
  /** The file system of both files. Default: a NodeFileSystem (real files). */
  fs?: FileSystem;
}

export interface OverlayStat {
  /** Bytes of the base. */
  baseBytes: number;
  /** Pages that have been written (served from the overlay from then on). */
  writtenPages: number;
  /** Page-ins served from the base, from the overlay, and past the end of the base (zeros). */
  baseReads: number;
  overlayReads: number;
  zeroReads: number;
  overlayWrites: number;
}

/** Where written pages live. */
interface OverlayStore {
  has(page: number): boolean;
  read(page: number, frame: Uint8Array): void;
  write(page: number, frame: Uint8Array): void;
  delete(page: number): void;
  pages(): number[];
  close(): void | Promise<void>;
}

class MemoryOverlay implements OverlayStore {
  private readonly map = new Map<number, Uint8Array>();
  has(page: number): boolean {
    return this.map.has(page);
  }
  read(page: number, frame: Uint8Array): void {
    frame.set(this.map.get(page)!);
  }
  write(page: number, frame: Uint8Array): void {
    const kept = this.map.get(page);
    if (kept) kept.set(frame);
    else this.map.set(page, frame.slice());
  }
  delete(page: number): void {
    this.map.delete(page);
  }
  pages(): number[] {
    return [...this.map.keys()];
  }
  close(): void {
    this.map.clear();
  }
}

const MAGIC = 'SPINOVL1';
const HEADER = 16;
const DELETED = -1;

/**
 * Written pages in a journal file: a 16-byte header (magic, page size), then records of an 8-byte page
 * number followed by the page. A page written again is overwritten in place; opening the file rebuilds the
 * index from the records, so every page-out that answered Success is there after a crash. A record cut
 * short at the end (a crash mid-append) is ignored.
 */
class JournalOverlay implements OverlayStore {
  private readonly index = new Map<number, number>();
  private end: number;
  /** A record's page number, little-endian float64 (exact for every page number). */
  private readonly headerBytes = new Uint8Array(8);
  private readonly header = new DataView(this.headerBytes.buffer);

  private constructor(
    private readonly handle: FileHandle,
    private readonly pageSize: number,
  ) {
    this.end = HEADER;
  }

  static open(fs: FileSystem, path: string, pageSize: number): JournalOverlay {
    const handle = fs.openSync(path, { create: true, writable: true });
    try {
      const store = new JournalOverlay(handle, pageSize);
      store.load(path);
      return store;
    } catch (err) {
      void handle.close().catch(() => undefined);
      throw err;
    }
  }

  private load(path: string): void {
    const size = this.handle.sizeSync();
    const head = new Uint8Array(HEADER);
    const view = new DataView(head.buffer);
    if (size < HEADER) {
      head.set(new TextEncoder().encode(MAGIC));
      view.setUint32(8, this.pageSize, true);
      this.handle.writeSync(head, 0);
      return;
    }
    this.handle.readSync(head, 0);
    if (new TextDecoder().decode(head.subarray(0, 8)) !== MAGIC) throw new Error(`${path} is not an overlay file`);
    const pageSize = view.getUint32(8, true);
    if (pageSize !== this.pageSize) throw new InvalidArgumentError('pageSize', this.pageSize, `the overlay file's page size (${pageSize}) for ${path}`);
    const record = 8 + this.pageSize;
    let at = HEADER;
    for (; at + record <= size; at += record) {
      this.handle.readSync(this.headerBytes, at);
      const page = this.header.getFloat64(0, true);
      if (page !== DELETED) this.index.set(page, at);
    }
    this.end = at;
  }

  has(page: number): boolean {
    return this.index.has(page);
  }

  read(page: number, frame: Uint8Array): void {
    this.handle.readSync(frame, this.index.get(page)! + 8);
  }

  write(page: number, frame: Uint8Array): void {
    const at = this.index.get(page);
    if (at !== undefined) {
      this.handle.writeSync(frame, at + 8);
      return;
    }
    // The page first, then its number: a record is only found once it is complete.
    this.handle.writeSync(frame, this.end + 8);
    this.header.setFloat64(0, page, true);
    this.handle.writeSync(this.headerBytes, this.end);
    this.index.set(page, this.end);
    this.end += 8 + this.pageSize;
  }

  delete(page: number): void {
    const at = this.index.get(page);
    if (at === undefined) return;
    this.header.setFloat64(0, DELETED, true);
    this.handle.writeSync(this.headerBytes, at);
    this.index.delete(page);
  }

  pages(): number[] {
    return [...this.index.keys()];
  }

  close(): Promise<void> {
    this.index.clear();
    return this.handle.close();
  }
}

/**
 * Serves a read-only base (a disk image) and keeps every written page in its own store, the way emulators
 * run a disk image that must not change: the base is opened read-only and never written; a page-out goes
 * to the overlay; a page-in comes from the overlay if the page was written, else from the base (zeros past
 * its end). `discard()` drops written pages, back to the image. Synchronous I/O throughout.
 */
export class OverlayPager extends Pager {
  /**
   * What it does, for the conformance kit (`spinvm/conformance`): never-written pages read as the base
   * (give the kit `initialPage`); with an `overlay` file it is persistent as well.
   */
  static readonly capabilities = { pageOut: true, persistent: false, readOnly: false, zeroFill: false, checksFrames: true, answersDestroyed: true };
  private readonly options: OverlayOptions;
  private readonly fs: FileSystem;
  private base: FileHandle | undefined;
  private baseBytes = 0;
  private store: OverlayStore | undefined;
  private destroyed = false;
  private counts = { baseReads: 0, overlayReads: 0, zeroReads: 0, overlayWrites: 0 };

  constructor(options: OverlayOptions) {
    super();
    if (!options || typeof options.base !== 'string' || options.base === '')
      throw new InvalidArgumentError('options.base', options?.base, 'the path of the base file');
    if (options.overlay !== undefined && (typeof options.overlay !== 'string' || options.overlay === '')) {
      throw new InvalidArgumentError('options.overlay', options.overlay, 'the path of an overlay file, or absent');
    }
    this.options = options;
    this.fs = options.fs ?? new NodeFileSystem();
  }

  /** A clean page is in the overlay or the base already: vmcore may drop it without asking. */
  override get refillsCleanPages(): boolean {
    return true;
  }

  override init(context: PagerContext): void {
    super.init(context);
    const base = this.fs.openSync(this.options.base); // read-only: writing through it fails with EBADF
    try {
      this.baseBytes = base.sizeSync();
      this.store = this.options.overlay === undefined ? new MemoryOverlay() : JournalOverlay.open(this.fs, this.options.overlay, context.pageSize);
    } catch (err) {
      void base.close().catch(() => undefined);
      throw err;
    }
    this.base = base;
  }

  override pageIn(page: number, frame: Uint8Array, _access: Access): ResultCode {
    if (this.destroyed) return ResultCode.PagerDestroyed;
    this.checkFrame(frame);
    const store = this.store!;
    if (store.has(page)) {
      store.read(page, frame);
      this.counts.overlayReads++;
      return ResultCode.Success;
    }
    const position = page * frame.length;
    if (position >= this.baseBytes) {
      frame.fill(0);
      this.counts.zeroReads++;
      return ResultCode.Success;
    }
    const n = this.base!.readSync(frame, position);
    if (n < frame.length) frame.fill(0, n);
    this.counts.baseReads++;
    return ResultCode.Success;
  }

  override pageOut(page: number, frame: Uint8Array, dirty: boolean): ResultCode {
    if (this.destroyed) return ResultCode.PagerDestroyed;
    this.checkFrame(frame);
    if (!dirty) return ResultCode.AlreadyPagedOut; // the overlay or the base has it as it is
    this.store!.write(page, frame);
    this.counts.overlayWrites++;
    return ResultCode.Success;
  }

  /**
   * Drops written pages (all of them, or those given), so they read from the base again. Pages resident
   * in a memory object keep what they hold until they are evicted: discard before mapping, or destroy the
   * object first.
   */
  discard(pages?: readonly number[]): void {
    if (this.destroyed) return;
    for (const page of pages ?? this.store?.pages() ?? []) this.store!.delete(page);
  }

  /** The pages that have been written, in order. */
  writtenPages(): number[] {
    return (this.store?.pages() ?? []).sort((a, b) => a - b);
  }

  stat(): OverlayStat {
    return { baseBytes: this.baseBytes, writtenPages: this.store?.pages().length ?? 0, ...this.counts };
  }

  override async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await Promise.all([this.base?.close(), this.store?.close()]);
  }
}
