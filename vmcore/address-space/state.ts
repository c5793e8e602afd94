import { DestroyedError } from '../errors.js';
import type { MemoryObject } from '../memory-object/memory-object.js';
import type { AddressSpaceHost } from './host.js';
import { RegionMap } from './regions.js';
import { Translator } from './translate.js';
import { TranslationCache } from './typed-access.js';

/** A page `lock` pinned: the object page it pinned (unlock and unmap unpin it). */
export interface PageLock {
  readonly object: MemoryObject;
  readonly page: number;
}

/**
 * The representation of one address space: what its parts share (as SPIN's MemoryObjectRep.i3 is to
 * MemoryObject.i3). The public class (address-space.ts) holds one and delegates; the trap, the copies, the
 * typed access, the mmap family, inspection take it, so each lives in a file of its own without import cycles.
 *
 * Invariants:
 * - Every change of the mappings (the region map calls it) or of this space's top shadows (a copy-up,
 *   dontneed, fork) calls `changed()`, which forgets the region look-up's last hit and the translation
 *   cache: a cached translation is never stale.
 * - `translator`'s record is read right after each translate, never across an await (see translate.ts).
 * - `locked` maps a page's address to the one pin this space holds on it; it moves with remap and is
 *   dropped (unpinned) by unlock, unmap and destroy.
 * - Once `destroyed`, every public call but destroy throws DestroyedError; a destroyed space has no regions
 *   and its translation cache is empty, and nothing maps into it again (map checks after its await).
 */
export class SpaceState {
  readonly pageSize: number;
  readonly regions: RegionMap;
  readonly translator = new Translator();
  readonly tlb = new TranslationCache();
  readonly locked = new Map<number, PageLock>();
  /** Small buffers for accesses that take the byte-by-byte path (1, 2, 4 and 8 bytes): allocated once. */
  readonly scratches: readonly Uint8Array[];
  destroyed = false;
  private labels = 0;

  constructor(
    readonly host: AddressSpaceHost,
    readonly name: string,
  ) {
    this.pageSize = host.pageSize;
    this.regions = new RegionMap(this.pageSize, () => this.changed());
    const scratch = new Uint8Array(8);
    this.scratches = [1, 2, 4, 8].map((n) => scratch.subarray(0, n));
  }

  /** The mappings or this space's top shadows changed: forget cached look-ups and translations. */
  changed(): void {
    this.regions.forget();
    this.tlb.flush();
  }

  /** A name for a new level of this space: `as-3:private-7`. */
  label(kind: string): string {
    return `${this.name}:${kind}-${this.labels++}`;
  }

  checkAlive(): void {
    if (this.destroyed) throw this.destroyedError();
  }

  destroyedError(): DestroyedError {
    return new DestroyedError(`address space ${this.name}`);
  }
}
