import { FileRegistry } from '../../fs/registry.js';
import type { FileSystem } from '../../fs/file-system.js';
import type { FileLease } from '../../fs/registry.js';
import { NodeFileSystem } from '../../fs/node-file-system.js';
import { InvalidArgumentError } from '../../vmcore/errors.js';
import { checkOptions, checkPositive } from '../../vmcore/validate.js';
import type { Vm } from '../../vmcore/vm/vm.js';
import { PAGER_TOKENS } from '../tokens.js';
import { FilePager } from './file-pager.js';
import { MappedFile, type SharedFile } from './mapped-file.js';

export interface MapFileOptions {
  /** Map for writing: dirty pages are written back. Default false. */
  writable?: boolean;
  /** Mapped size in bytes; default the file's size. Larger than the file (writable) extends it as pages are written. */
  size?: number;
  /** Create the file if missing (needs `writable` and `size`). Default false. */
  create?: boolean;
}

const SHARED = Symbol('spinvm.FilePager.shared');
const registries = new WeakMap<Vm, FileRegistry>();

/** The instance's file registry: over the file system bound as PAGER_TOKENS.FileSystem, else real files. */
function registryOf(vm: Vm): FileRegistry {
  let registry = registries.get(vm);
  if (!registry) {
    const fs = vm.container.isBound(PAGER_TOKENS.FileSystem) ? vm.container.get<FileSystem>(PAGER_TOKENS.FileSystem) : new NodeFileSystem();
    registry = new FileRegistry(fs, vm.pageSize);
    registries.set(vm, registry);
  }
  return registry;
}

/**
 * Maps a file into a memory object paged by a FilePager (the same file mapped twice in one instance, even by
 * calls that overlap in time, shares one memory object, so each mapping sees the other's writes at once).
 * The object covers the mapped size rounded up to whole pages. Missing files, directories, files without
 * permission: a FileSystemError naming the path and the cause.
 */
export async function mapFile(vm: Vm, path: string, options?: MapFileOptions): Promise<MappedFile> {
  const o = checkOptions<MapFileOptions>('options', options, ['writable', 'size', 'create']);
  if (typeof path !== 'string' || path.length === 0) throw new InvalidArgumentError('path', path, 'a file path');
  if (o.writable !== undefined && typeof o.writable !== 'boolean') throw new InvalidArgumentError('writable', o.writable, 'a boolean');
  if (o.size !== undefined) checkPositive('size', o.size);
  if (o.create && (!o.writable || o.size === undefined)) throw new InvalidArgumentError('create', o.create, 'used with writable: true and a size');
  const writable = o.writable ?? false;
  const lease = await registryOf(vm).acquire(path, { writable, create: o.create ?? false });
  let owned = false; // this lease became the shared file's
  try {
    for (;;) {
      const slot = lease.shared.get(SHARED) as Slot | undefined;
      if (slot === undefined) {
        // Published before any await, so a concurrent mapFile of the file waits for this one.
        const mine = {} as Slot;
        mine.ready = makeShared(vm, lease, o.size, mine);
        lease.shared.set(SHARED, mine);
        owned = true;
        try {
          return new MappedFile(await mine.ready, lease.path, writable, release);
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
        forget(lease, slot); // its maker failed: make it here instead (perhaps with a size it lacked)
        continue;
      }
      if (existing.dead || existing.object.isDestroyed) {
        forget(lease, slot);
        continue;
      }
      if (o.size !== undefined && o.size !== existing.size) {
        throw new InvalidArgumentError('size', o.size, `${existing.size}, the size ${lease.path} is already mapped with`);
      }
      existing.mappings++;
      await lease.release(); // the shared object holds the file open through its own lease
      return new MappedFile(existing, lease.path, writable, release);
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

async function makeShared(vm: Vm, lease: FileLease, requested: number | undefined, slot: Slot): Promise<SharedFile> {
  const fileSize = await lease.accessor.size();
  const size = requested ?? fileSize;
  if (size === 0) throw new InvalidArgumentError('size', size, `a positive size: ${lease.path} is empty, give { size } to map it`);
  // The pager stops at `size` (no write extends the file further); the object ends on a page boundary, so
  // the rest of the last page is memory that reads zeros at first, as POSIX mmap has it.
  const pager = new FilePager(lease.accessor, size, fileSize, () => lease.accessor.writable);
  const object = vm.createMemoryObject({ size: Math.ceil(size / vm.pageSize) * vm.pageSize, pager, name: lease.path });
  const shared: SharedFile = { object, pager, lease, size, slot, mappings: 1, dead: false, cancelShutdown: () => undefined };
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
