/**
 * Placing and changing mappings: mmap, munmap and mprotect. A mapping is a Region over a level: anonymous
 * memory a Shadow with nothing below; a shared file or object its Base; a private file or object a Shadow
 * over its Base (copy-on-write).
 */
import { InvalidArgumentError } from '../errors.js';
import type { MemoryObject } from '../memory-object/memory-object.js';
import { populate } from './advise.js';
import { checkMapOptions, isMemoryObject } from './checks.js';
import { AccessDeniedError, AddressInUseError, NoFileMapperError } from './errors.js';
import { TOKENS } from '../vm/tokens.js';
import type { FileMapper, MappableFile } from './file-mapper.js';
import { Base, release, Shadow, type Level } from './levels.js';
import { PROT, type Protection } from './prot.js';
import { Region, type Share } from './regions.js';
import type { SpaceState } from './state.js';
import { retire } from './sync.js';

export interface MapOptions {
  /** Map this memory object. The caller keeps it: unmapping never destroys it. */
  object?: MemoryObject;
  /** Map this file, opened through the FileMapper bound in the container under TOKENS.FileMapper. */
  file?: string;
  /** Map zero-filled memory. */
  anonymous?: boolean;
  /** Bytes; rounded up to whole pages, as mmap does. */
  length: number;
  /** Byte offset into the object or file, a multiple of the page size. Default 0; must be 0 for anonymous memory. */
  offset?: number;
  /** A multiple of the page size. A hint (used if that range is free) unless `fixed`. */
  address?: number;
  /**
   * Map exactly at `address`: `true` replaces whatever was mapped there (MAP_FIXED); `'noreplace'` fails with
   * AddressInUseError (EEXIST) instead if anything is (MAP_FIXED_NOREPLACE).
   */
  fixed?: boolean | 'noreplace';
  /** Fault every page in before answering (MAP_POPULATE); pages past the end of a file are left alone. */
  populate?: boolean;
  /** `['read', 'write']`, `'read'`, `'none'`, a Set, or a PROT mask. */
  prot: Protection;
  /** `'shared'`: writes go to the object or file, seen by every mapping of it. `'private'`: copy-on-write. */
  share: Share;
}

/** mmap: checks, opens the file if any, then places the mapping synchronously against the layout as it is then. */
export async function map(s: SpaceState, options: MapOptions): Promise<number> {
  const ps = s.pageSize;
  const o = checkMapOptions(ps, options);
  let mapper: FileMapper | undefined;
  if (o.file !== undefined) {
    if (!s.host.container.isBound(TOKENS.FileMapper)) throw new NoFileMapperError(o.file);
    mapper = s.host.container.get<FileMapper>(TOKENS.FileMapper);
  }

  const shared = o.share === 'shared';
  let level: Level;
  let page = 0;
  if (o.kind === 'anonymous') level = new Shadow(o.length / ps, undefined, 0, s.label(shared ? 'shared-anon' : 'anon'));
  else {
    const base =
      o.kind === 'object'
        ? new Base(o.object!, undefined, true, o.object!.name)
        : await openFile(mapper!, o.file!, shared, shared && (o.prot & PROT.WRITE) !== 0);
    if (shared) {
      level = base;
      page = o.offset / ps;
    } else level = new Shadow(o.length / ps, base, o.offset / ps, s.label('private'));
  }

  // After the open: place it now, synchronously, against the layout as it is.
  let start: number;
  try {
    s.checkAlive();
    start = o.fixed ? o.address! : s.regions.findFree(o.address, o.length);
    if (o.fixed === 'noreplace' && s.regions.overlaps(start, start + o.length)) throw new AddressInUseError(start, o.length);
  } catch (err) {
    const ends: Array<Promise<unknown>> = [];
    release(level, ends);
    await Promise.allSettled(ends);
    throw err;
  }
  const removed = o.fixed === true ? s.regions.cut(start, start + o.length) : [];
  s.regions.insert(new Region(start, start + o.length, o.prot, o.share, o.kind, level, page));
  await retire(s, removed);
  if (o.populate) await populate(s, start, start + o.length);
  return start;
}

/** munmap of the checked range `start .. end`: gone at once; the promise ends with the syncs and the freeing. */
export function unmap(s: SpaceState, start: number, end: number): Promise<void> {
  return retire(s, s.regions.cut(start, end));
}

/**
 * mprotect of the checked, mapped range `start .. end`. Refuses (AccessDeniedError, nothing changed) write
 * rights on a shared mapping of a file that could not be opened for writing.
 */
export function protect(s: SpaceState, start: number, end: number, prot: number): void {
  s.regions.each(start, end, (r) => {
    if (prot & PROT.WRITE && r.share === 'shared' && r.level instanceof Base && !r.level.writable) {
      throw new AccessDeniedError(r.level.label, 'cannot be opened for writing: a shared mapping of it cannot be given write rights (EACCES)');
    }
  });
  s.regions.protect(start, end, prot);
}

/**
 * Opens a file for a mapping. A shared mapping asks for write access whatever its rights now, as Linux
 * lets mprotect add write rights whenever the file could be opened for writing; the mapper answers
 * read-only when the file refuses it, and only a mapping that `needs` write rights then fails (EACCES).
 */
async function openFile(mapper: FileMapper, path: string, ask: boolean, needs: boolean): Promise<Base> {
  const file: MappableFile = await mapper.open(path, ask);
  if (typeof file !== 'object' || file === null || !isMemoryObject(file.object) || !Number.isSafeInteger(file.size) || file.size < 0) {
    throw new InvalidArgumentError('FileMapper.open answer', file, 'a MappableFile (object, size, writable, sync, close)');
  }
  if (needs && !file.writable) {
    await file.close();
    throw new AccessDeniedError(path, 'cannot be opened for writing: a shared mapping with write rights needs write access (EACCES)');
  }
  return new Base(file.object, file, ask && file.writable === true, path);
}
