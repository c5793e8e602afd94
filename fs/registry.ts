import { InvalidArgumentError } from '../vmcore/index.js';
import { Accessor } from './accessor.js';
import { FileSystemError } from './errors.js';
import type { FileSystem } from './file-system.js';
import { checkFlags, checkPath } from './validate.js';

export interface AcquireOptions {
  /** The lease will write: the shared handle is (re)opened writable if it is not already. Default false. */
  writable?: boolean;
  /** Create the file (empty) if it is missing. Default false. */
  create?: boolean;
}

/**
 * One open file, shared by every lease on it: one descriptor and one accessor per file. `shared` is where
 * the pager layer hangs its per-file state, keyed by a string or symbol of its own (the file pager's page
 * mapper, pagers/file-pager/shared-file.ts: the file's one memory object); it lives exactly as long as the
 * entry, which ends when the last lease is released.
 */
export interface FileEntry {
  /** The canonical path (FileSystem.realpath): the file's identity. */
  readonly path: string;
  readonly accessor: Accessor;
  readonly shared: Map<string | symbol, unknown>;
  /** Leases not yet released. */
  readonly leases: number;
  /** `shared.get(key)`, first storing `make()` there if the key is absent. */
  attachment<T>(key: string | symbol, make: () => T): T;
}

/** A hold on one file; the file stays open until every lease on it is released. */
export interface FileLease {
  /** The canonical path. */
  readonly path: string;
  /** The file's shared Accessor; reading it after `release()` throws EBADF. */
  readonly accessor: Accessor;
  readonly entry: FileEntry;
  /** `entry.shared`. */
  readonly shared: Map<string | symbol, unknown>;
  /** What this lease asked for. The shared accessor may be writable because another lease asked. */
  readonly writable: boolean;
  readonly released: boolean;
  /** Gives the lease back; the last one closes the file (after its calls in flight). Idempotent. */
  release(): Promise<void>;
}

class Entry implements FileEntry {
  readonly shared = new Map<string | symbol, unknown>();
  leases = 0;
  /** Settles when the file is open (or failed to open). */
  ready: Promise<void> = Promise.resolve();
  upgrading: Promise<void> | undefined;
  private opened: Accessor | undefined;

  constructor(readonly path: string) {}

  get accessor(): Accessor {
    if (!this.opened) throw new FileSystemError('open', this.path, 'EBADF', { detail: 'the file is not open yet' });
    return this.opened;
  }

  set accessor(accessor: Accessor) {
    this.opened = accessor;
  }

  get isOpen(): boolean {
    return this.opened !== undefined;
  }

  attachment<T>(key: string | symbol, make: () => T): T {
    if (!this.shared.has(key)) this.shared.set(key, make());
    return this.shared.get(key) as T;
  }
}

class Lease implements FileLease {
  private releasing: Promise<void> | undefined;

  constructor(
    readonly entry: Entry,
    readonly writable: boolean,
    private readonly drop: (entry: Entry) => Promise<void>,
  ) {}

  get path(): string {
    return this.entry.path;
  }

  get accessor(): Accessor {
    if (this.releasing) throw new FileSystemError('open', this.entry.path, 'EBADF', { detail: 'the lease has been released' });
    return this.entry.accessor;
  }

  get shared(): Map<string | symbol, unknown> {
    return this.entry.shared;
  }

  get released(): boolean {
    return this.releasing !== undefined;
  }

  release(): Promise<void> {
    return (this.releasing ??= this.drop(this.entry));
  }
}

/**
 * Serves each file (by canonical path, so two spellings of one file meet) through a single Accessor,
 * reference-counted by leases.
 *
 * Writability: the file is opened writable if the first lease asks for it, read-only otherwise. A later
 * writable lease reopens it writable and moves the same Accessor to the new handle (Accessor.replaceHandle),
 * so pagers holding the Accessor are unaffected; once writable it stays writable until the file closes. If
 * the writable reopen fails (EACCES, EROFS), that acquire fails and the read-only leases carry on.
 *
 * A file whose last lease was released finishes closing (after its calls in flight) before it is opened
 * again, so a new Accessor never runs ahead of the old one's writes.
 */
export class FileRegistry {
  readonly pageSize: number;
  private readonly entries = new Map<string, Entry>();
  private readonly closing = new Map<string, Promise<void>>();

  constructor(
    readonly fs: FileSystem,
    pageSize = 4096,
  ) {
    if (typeof fs !== 'object' || fs === null || typeof (fs as FileSystem).open !== 'function') {
      throw new InvalidArgumentError('fs', fs, 'a FileSystem');
    }
    if (typeof pageSize !== 'number' || !Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > 2 ** 30) {
      throw new InvalidArgumentError('pageSize', pageSize, 'an integer from 1 to 2^30');
    }
    this.pageSize = pageSize;
  }

  /** Files open now. */
  get size(): number {
    return this.entries.size;
  }

  /** The open file with this canonical path, if any (no file system call: pass a realpath). */
  get(canonicalPath: string): FileEntry | undefined {
    const entry = this.entries.get(canonicalPath);
    return entry?.isOpen ? entry : undefined;
  }

  /** Canonical paths of the files open now. */
  paths(): string[] {
    return [...this.entries.keys()];
  }

  async acquire(path: string, options?: AcquireOptions): Promise<FileLease> {
    checkPath('path', path);
    const o = checkFlags('options', options, ['writable', 'create'] as const);
    const writable = o.writable === true;
    let canonical: string;
    try {
      canonical = await this.fs.realpath(path);
    } catch (error) {
      if (o.create !== true || !FileSystemError.is(error, 'ENOENT')) throw error;
      // Create it, then find its identity; the shared handle is opened below by canonical path.
      await (await this.fs.open(path, { create: true, writable })).close();
      canonical = await this.fs.realpath(path);
    }

    let entry = this.entries.get(canonical);
    if (!entry) {
      entry = new Entry(canonical);
      this.entries.set(canonical, entry);
      entry.ready = this.openEntry(entry, writable);
    }
    entry.leases++;
    try {
      await entry.ready;
      if (writable && !entry.accessor.writable) await this.upgrade(entry);
    } catch (error) {
      await this.drop(entry).catch(() => undefined);
      throw error;
    }
    return new Lease(entry, writable, this.dropper);
  }

  private readonly dropper = (entry: Entry): Promise<void> => this.drop(entry);

  private async openEntry(entry: Entry, writable: boolean): Promise<void> {
    const previous = this.closing.get(entry.path);
    if (previous) await previous;
    try {
      entry.accessor = new Accessor(await this.fs.open(entry.path, { writable }), this.pageSize);
    } catch (error) {
      // Forget the failed entry now so the next acquire tries again; its waiters each drop their count.
      if (this.entries.get(entry.path) === entry) this.entries.delete(entry.path);
      throw error;
    }
  }

  private upgrade(entry: Entry): Promise<void> {
    entry.upgrading ??= (async () => {
      try {
        const handle = await this.fs.open(entry.path, { writable: true });
        void entry.accessor.replaceHandle(handle); // the old handle closes once its calls in flight are done
      } finally {
        entry.upgrading = undefined;
      }
    })();
    return entry.upgrading;
  }

  private async drop(entry: Entry): Promise<void> {
    if (--entry.leases > 0) return;
    if (this.entries.get(entry.path) === entry) this.entries.delete(entry.path);
    if (!entry.isOpen) return;
    const closed = entry.accessor.close();
    const settled = closed.then(
      () => undefined,
      () => undefined,
    );
    this.closing.set(entry.path, settled);
    void settled.then(() => {
      if (this.closing.get(entry.path) === settled) this.closing.delete(entry.path);
    });
    await closed;
  }
}
