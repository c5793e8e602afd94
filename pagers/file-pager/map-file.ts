import { FileRegistry, NodeFileSystem, type FileLease, type FileSystem } from '../../fs/index.js';
import { checkOptions, checkPositive, InvalidArgumentError, TOKENS, type Vm } from '../../vmcore/index.js';
import { FilePager } from './file-pager.js';
import { MappedFile, OpenFile } from './mapped-file.js';
import { extendShared, refreshSize, refreshSizeSync, type SharedFile } from './shared-file.js';

export interface MapFileOptions {
  /** Map for writing: dirty pages are written back. Default false. */
  writable?: boolean;
  /**
   * The least size in bytes: a shorter file is first extended to it with zeros (as ftruncate does; needs
   * `writable`, and is ignored without). The mapping covers the whole file either way, and follows it as it
   * grows or shrinks.
   */
  size?: number;
  /** Create the file if missing (needs `writable` and `size`). Default false. */
  create?: boolean;
}

export interface OpenFileOptions {
  /** Open for writing too: pwrite and truncate. Default false. */
  writable?: boolean;
  /** Create the file, empty, if it is missing (needs `writable`). Default false. */
  create?: boolean;
}

const SHARED = Symbol('spinvm.FilePager.shared');
/** The instance's file registry, kept in its container: over the file system bound as TOKENS.FileSystem, else real files. */
function registryOf(vm: Vm): FileRegistry {
  if (vm.container.isBound(TOKENS.FileRegistry)) return vm.container.get<FileRegistry>(TOKENS.FileRegistry);
  const fs = vm.container.isBound(TOKENS.FileSystem) ? vm.container.get<FileSystem>(TOKENS.FileSystem) : new NodeFileSystem();
  const registry = new FileRegistry(fs, vm.pageSize);
  vm.container.bind<FileRegistry>(TOKENS.FileRegistry).toConstantValue(registry);
  return registry;
}

/**
 * Maps a file into a memory object paged by a FilePager (the same file mapped twice in one instance, even by
 * calls that overlap in time, shares one memory object, so each mapping sees the other's writes at once;
 * so do `openFile` handles and address spaces). The object covers the file rounded up to whole pages (an
 * empty file too: it maps with size 0, and grows). Missing files, directories, files without permission:
 * a FileSystemError naming the path and the cause.
 */
export async function mapFile(vm: Vm, path: string, options?: MapFileOptions): Promise<MappedFile> {
  const o = checkOptions<MapFileOptions>('options', options, ['writable', 'size', 'create']);
  if (typeof path !== 'string' || path.length === 0) throw new InvalidArgumentError('path', path, 'a file path');
  if (o.writable !== undefined && typeof o.writable !== 'boolean') throw new InvalidArgumentError('writable', o.writable, 'a boolean');
  if (o.size !== undefined) checkPositive('size', o.size);
  if (o.create && (!o.writable || o.size === undefined)) throw new InvalidArgumentError('create', o.create, 'used with writable: true and a size');
  const writable = o.writable ?? false;
  const { shared, path: canonical } = await share(vm, path, writable, o.create ?? false);
  try {
    if (writable && o.size !== undefined && o.size > shared.size) await extendShared(shared, o.size);
  } catch (err) {
    await release(shared);
    throw err;
  }
  return new MappedFile(shared, canonical, writable, release);
}

/**
 * Opens a file for pread, pwrite and truncate through its one set of pages: the pages every mapping of the
 * file in the instance uses, so a byte written here is seen at once by every mapping, and a byte a mapping
 * writes is what `pread` answers (Linux's page cache, shared by read/write and mmap).
 */
export async function openFile(vm: Vm, path: string, options?: OpenFileOptions): Promise<OpenFile> {
  const o = checkOptions<OpenFileOptions>('options', options, ['writable', 'create']);
  if (typeof path !== 'string' || path.length === 0) throw new InvalidArgumentError('path', path, 'a file path');
  if (o.writable !== undefined && typeof o.writable !== 'boolean') throw new InvalidArgumentError('writable', o.writable, 'a boolean');
  if (o.create !== undefined && typeof o.create !== 'boolean') throw new InvalidArgumentError('create', o.create, 'a boolean');
  if (o.create && !o.writable) throw new InvalidArgumentError('create', o.create, 'used with writable: true');
  const writable = o.writable ?? false;
  const { shared, path: canonical } = await share(vm, path, writable, o.create ?? false);
  return new OpenFile(shared, canonical, writable, release);
}

/** A new reference to the file's shared state (made now if no one holds it), its size checked again. */
async function share(vm: Vm, path: string, writable: boolean, create: boolean): Promise<{ shared: SharedFile; path: string }> {
  const lease = await registryOf(vm).acquire(path, { writable, create });
  let owned = false; // this lease became the shared file's
  try {
    for (;;) {
      const slot = lease.shared.get(SHARED) as Slot | undefined;
      if (slot === undefined) {
        // Published before any await, so a concurrent mapFile of the file waits for this one.
        const mine = {} as Slot;
        mine.ready = makeShared(vm, lease, mine);
        lease.shared.set(SHARED, mine);
        owned = true;
        try {
          return { shared: await mine.ready, path: lease.path };
        } catch (err) {
          forget(lease, mine);
          owned = false;
          throw err;
        }
      }
      let existing: SharedFile;
      try {
        existing = await slot.ready;
      } catch {
        forget(lease, slot); // its maker failed: make it here instead
        continue;
      }
      if (existing.dead || existing.object.isDestroyed) {
        forget(lease, slot);
        continue;
      }
      existing.mappings++;
      await lease.release(); // the shared object holds the file open through its own lease
      try {
        await refreshSize(existing); // the file may have grown since it was first opened
      } catch (err) {
        await release(existing);
        throw err;
      }
      return { shared: existing, path: lease.path };
    }
  } catch (err) {
    if (!owned) await lease.release();
    throw err;
  }
}

/** What `lease.shared` holds for a mapped file: its shared state, once made. */
interface Slot {
  ready: Promise<SharedFile>;
}

async function makeShared(vm: Vm, lease: FileLease, slot: Slot): Promise<SharedFile> {
  const size = await lease.accessor.size();
  // The pager stops at the file's size (no write extends the file); the object ends on a page boundary, so
  // the rest of the last page is memory that reads zeros at first, as POSIX mmap has it. An empty file
  // gets one page, so it can grow without a new object.
  const pager = new FilePager(lease.accessor, size, size, () => lease.accessor.writable);
  const object = vm.createMemoryObject({ size: Math.max(1, Math.ceil(size / vm.pageSize)) * vm.pageSize, pager, name: lease.path });
  const shared: SharedFile = {
    vm,
    object,
    pager,
    lease,
    size,
    slot,
    mappings: 1,
    dead: false,
    cancelShutdown: () => undefined,
    resizing: Promise.resolve(),
  };
  pager.sizeCheck = () => void refreshSizeSync(shared);
  try {
    shared.cancelShutdown = watchShutdown(vm, shared);
  } catch (err) {
    await object.destroy();
    throw err;
  }
  return shared;
}

/**
 * vm.destroy() with mappings still open: before objects are destroyed, write the dirty pages back and fsync
 * (a failure makes vm.destroy() reject); after every before-hook (address spaces still sync through this
 * lease there), close the file.
 */
function watchShutdown(vm: Vm, shared: SharedFile): () => void {
  const cancelBefore = vm.onBeforeShutdown(async () => {
    if (shared.object.isDestroyed || !shared.lease.accessor.writable) return;
    await shared.object.flush();
    await shared.lease.accessor.sync();
  });
  const cancelAfter = vm.onShutdown(() => {
    shared.dead = true;
    forget(shared.lease, shared.slot);
    return shared.lease.release();
  });
  return () => {
    cancelBefore();
    cancelAfter();
  };
}

/** Removes `slot` from the file's entry, if it is still the one there. */
function forget(lease: FileLease, slot: object): void {
  if (lease.shared.get(SHARED) === slot) lease.shared.delete(SHARED);
}

/** The last mapping of a file writes its dirty pages back, destroys the object and releases the file. */
async function release(shared: SharedFile): Promise<void> {
  shared.mappings--;
  if (shared.object.isDestroyed) {
    if (shared.mappings === 0) {
      shared.dead = true;
      forget(shared.lease, shared.slot);
      shared.cancelShutdown();
      await shared.lease.release();
    }
    return;
  }
  if (shared.lease.accessor.writable) await shared.object.flush();
  if (shared.mappings > 0 || shared.dead) return;
  shared.dead = true;
  forget(shared.lease, shared.slot);
  shared.cancelShutdown();
  await shared.object.destroy();
  await shared.lease.release();
}
