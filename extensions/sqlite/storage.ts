import { resolve } from 'node:path';
import { NodeFileSystem, type FileSystem } from '../../fs/index.js';
import { mapFile, openFile } from '../../pagers/index.js';
import { TOKENS, type MaybePromise, type Pager, type Vm } from '../../vmcore/index.js';
import { MappedStore, ObjectStore, type SqliteFileStore } from './store.js';

/**
 * The bytes of one memory object of an in-memory file (a chunk): a multiple of every page size up to it,
 * small enough that making and destroying one (a journal's, every transaction) is cheap.
 */
export const CHUNK_BYTES = 4 << 20;

/** Where a VFS finds SQLite's files by name. */
export interface SqliteStorage {
  /** The file called `name`; made empty when missing and `create`; undefined when missing otherwise. */
  open(name: string, create: boolean, writable: boolean): MaybePromise<SqliteFileStore | undefined>;
  exists(name: string): MaybePromise<boolean>;
  /** Removes the file; answers whether it was there. Only called when no connection has it open. */
  delete(name: string): MaybePromise<boolean>;
  /** The VFS is closed: give back everything the files hold. */
  close(): MaybePromise<void>;
}

/** A storage that also holds SQLite's nameless files, under names it makes up. */
export interface TemporaryStorage extends SqliteStorage {
  /** A name for a nameless file of SQLite's, unlike any real one. */
  temporaryName(): string;
}

/** The pager of each in-memory file: a factory (a pager serves one object), or a pager's name in the container. */
export type SqlitePagerChoice = string | ((file: string) => Pager);

/**
 * Files in anonymous memory objects, kept by name while the VFS lives (as wa-sqlite's MemoryVFS keeps its
 * ArrayBuffers), each paged by `pager` (default: the instance's default pager, so swap once
 * `useDefaultPager` ran). SQLite's temporary files (no name) live here too, whatever the storage.
 */
export class MemoryStorage implements TemporaryStorage {
  private readonly files = new Map<string, ObjectStore>();
  private temps = 0;

  constructor(
    private readonly vm: Vm,
    private readonly capacity: number,
    private readonly pager: SqlitePagerChoice | undefined,
  ) {}

  open(name: string, create: boolean): ObjectStore | undefined {
    let file = this.files.get(name);
    if (!file && create) {
      file = this.make(name);
      this.files.set(name, file);
    }
    return file;
  }

  /** A name for a nameless file of SQLite's (a temporary table, a statement journal), unlike any real one. */
  temporaryName(): string {
    return `\0temporary ${++this.temps}`;
  }

  exists(name: string): boolean {
    return this.files.has(name);
  }

  async delete(name: string): Promise<boolean> {
    const file = this.files.get(name);
    if (!file) return false;
    this.files.delete(name);
    await file.destroy();
    return true;
  }

  async close(): Promise<void> {
    const files = [...this.files.values()];
    this.files.clear();
    for (const file of files) await file.destroy(); // harmless for objects vm.destroy() took already
  }

  private make(name: string): ObjectStore {
    const { vm, capacity, pager } = this;
    const chunkBytes = Math.max(CHUNK_BYTES, vm.pageSize);
    return new ObjectStore(name, capacity, chunkBytes, (chunk) =>
      vm.createMemoryObject({ size: chunkBytes, pager: typeof pager === 'function' ? pager(name) : pager, name: `sqlite ${name} [${chunk}]` }),
    );
  }
}

/**
 * Real files in `directory`, each through the file pager (`mapFile`): the database is an ordinary SQLite file
 * that native SQLite opens once the VFS has closed it, and its journal a real journal beside it.
 */
export class DirectoryStorage implements SqliteStorage {
  private readonly fs: FileSystem;

  constructor(
    private readonly vm: Vm,
    private readonly directory: string,
  ) {
    this.fs = vm.container.isBound(TOKENS.FileSystem) ? vm.container.get<FileSystem>(TOKENS.FileSystem) : new NodeFileSystem();
  }

  async open(name: string, create: boolean, writable: boolean): Promise<SqliteFileStore | undefined> {
    const path = this.path(name);
    if (!(await this.fs.exists(path))) {
      if (!create) return undefined;
      await (await openFile(this.vm, path, { writable: true, create: true })).close();
    }
    return new MappedStore(await mapFile(this.vm, path, { writable }));
  }

  exists(name: string): Promise<boolean> {
    return this.fs.exists(this.path(name));
  }

  async delete(name: string): Promise<boolean> {
    const path = this.path(name);
    if (!(await this.fs.exists(path))) return false;
    await this.fs.remove(path);
    return true;
  }

  close(): void {
    // Each file was closed with its last connection; the files stay.
  }

  private path(name: string): string {
    return resolve(this.directory, name);
  }
}
