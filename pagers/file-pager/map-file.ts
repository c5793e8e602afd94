import { FileRegistry } from '../../fs/registry.js';
import type { FileSystem } from '../../fs/file-system.js';
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
 * Maps a file into a memory object paged by a FilePager (the same file mapped twice in one instance shares
 * one memory object, so each mapping sees the other's writes at once). Missing files, directories, files
 * without permission: a FileSystemError naming the path and the cause.
 */
export async function mapFile(vm: Vm, path: string, options?: MapFileOptions): Promise<MappedFile> {
  const o = checkOptions<MapFileOptions>('options', options, ['writable', 'size', 'create']);
  if (typeof path !== 'string' || path.length === 0) throw new InvalidArgumentError('path', path, 'a file path');
  if (o.writable !== undefined && typeof o.writable !== 'boolean') throw new InvalidArgumentError('writable', o.writable, 'a boolean');
  if (o.size !== undefined) checkPositive('size', o.size);
  if (o.create && (!o.writable || o.size === undefined)) throw new InvalidArgumentError('create', o.create, 'used with writable: true and a size');
  const writable = o.writable ?? false;
  const lease = await registryOf(vm).acquire(path, { writable, create: o.create ?? false });
  try {
    const existing = lease.shared.get(SHARED) as SharedFile | undefined;
    if (existing) {
      if (o.size !== undefined && o.size !== existing.object.size) {
        throw new InvalidArgumentError('size', o.size, `${existing.object.size}, the size ${lease.path} is already mapped with`);
      }
      existing.mappings++;
      await lease.release(); // the shared object holds the file open through its own lease
      return new MappedFile(existing, lease.path, writable, release);
    }
    const fileSize = await lease.accessor.size();
    const size = o.size ?? fileSize;
    if (size === 0) throw new InvalidArgumentError('size', size, `a positive size: ${lease.path} is empty, give { size } to map it`);
    const pager = new FilePager(lease.accessor, size, fileSize, () => lease.accessor.writable);
    const object = vm.createMemoryObject({ size, pager, name: lease.path });
    const shared: SharedFile = { object, pager, lease, mappings: 1 };
    lease.shared.set(SHARED, shared);
    return new MappedFile(shared, lease.path, writable, release);
  } catch (err) {
    if (!lease.shared.has(SHARED)) await lease.release();
    throw err;
  }
}

/** The last mapping of a file writes its dirty pages back, destroys the object and releases the file. */
async function release(shared: SharedFile): Promise<void> {
  shared.mappings--;
  if (shared.object.isDestroyed) {
    if (shared.mappings === 0) await shared.lease.release();
    return;
  }
  if (shared.lease.accessor.writable) await shared.object.flush();
  if (shared.mappings > 0) return;
  shared.lease.shared.delete(SHARED);
  await shared.object.destroy();
  await shared.lease.release();
}
