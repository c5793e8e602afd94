import { closeSync, openSync, readSync, writeSync } from 'node:fs';

/**
 * The peers spinvm is measured against, loaded at run time so that a missing one (an optional native
 * addon that did not build, dev dependencies left out) makes its rows say so instead of failing the run.
 */

export type Loaded<T> = { ok: true; value: T } | { ok: false; reason: string };

/** memory-pager's surface as the bench uses it (the package ships no types). */
export interface MemoryPagerPage {
  offset: number;
  buffer: Uint8Array;
}
export interface MemoryPagerInstance {
  get(index: number, noAllocate?: boolean): MemoryPagerPage;
}
export type MemoryPagerClass = new (pageSize: number) => MemoryPagerInstance;

/** lru-cache's surface as the bench uses it. */
export interface LruCacheInstance<V> {
  get(key: number): V | undefined;
  set(key: number, value: V): unknown;
  readonly size: number;
  clear(): void;
}
export interface LruCacheOptions<V> {
  max: number;
  dispose?: (value: V, key: number, reason: string) => void;
}
export type LruCacheClass = new <V>(options: LruCacheOptions<V>) => LruCacheInstance<V>;

/** @riaskov/mmap-io's surface as the bench uses it. */
export interface MmapIo {
  map(size: number, protection: number, flags: number, fd: number, offset?: number, advise?: number): Uint8Array;
  readonly PROT_READ: number;
  readonly PROT_WRITE: number;
  readonly MAP_SHARED: number;
  readonly MAP_PRIVATE: number;
  readonly MADV_NORMAL: number;
  readonly MADV_SEQUENTIAL: number;
  readonly MADV_RANDOM: number;
}

export interface Peers {
  memoryPager: Loaded<MemoryPagerClass>;
  lruCache: Loaded<LruCacheClass>;
  mmap: Loaded<MmapIo>;
}

async function load<T>(specifier: string, pick: (module: Record<string, unknown>) => unknown, what: string): Promise<Loaded<T>> {
  try {
    // A computed specifier: the bench compiles and runs whether or not the package is installed.
    const module = (await import(specifier)) as Record<string, unknown>;
    const value = pick(module);
    if (value === undefined || value === null) return { ok: false, reason: `${specifier} loaded but has no ${what}` };
    return { ok: true, value: value as T };
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    return { ok: false, reason: `not loadable: ${message}` };
  }
}

export async function loadPeers(): Promise<Peers> {
  const [memoryPager, lruCache, mmap] = await Promise.all([
    load<MemoryPagerClass>('memory-pager', (m) => m.default, 'default export'),
    load<LruCacheClass>('lru-cache', (m) => m.LRUCache, 'LRUCache export'),
    load<MmapIo>('@riaskov/mmap-io', (m) => {
      const api = (m.default ?? m) as Partial<MmapIo>;
      return typeof api.map === 'function' ? api : undefined;
    }, 'map function'),
  ]);
  return { memoryPager, lruCache, mmap };
}

/**
 * What a user would write instead of spinvm for a file: an lru-cache of page-sized Buffers filled with
 * fs.readSync, with the same capacity as spinvm's pool. With `writeBack`, dirty pages are written with
 * fs.writeSync when the cache evicts them.
 */
export class LruBufferCache {
  readonly cache: LruCacheInstance<Entry>;
  hits = 0;
  misses = 0;
  writes = 0;

  constructor(
    LRUCache: LruCacheClass,
    private readonly fd: number,
    private readonly pageSize: number,
    capacity: number,
    writeBack = false,
  ) {
    this.cache = new LRUCache<Entry>({
      max: capacity,
      dispose: writeBack
        ? (entry, page) => {
            if (entry.dirty) {
              writeSync(this.fd, entry.buffer, 0, this.pageSize, page * this.pageSize);
              this.writes++;
            }
          }
        : undefined,
    });
  }

  /** The cached page, read on a miss. */
  page(page: number): Entry {
    let entry = this.cache.get(page);
    if (entry === undefined) {
      this.misses++;
      const buffer = Buffer.allocUnsafe(this.pageSize);
      const n = readSync(this.fd, buffer, 0, this.pageSize, page * this.pageSize);
      if (n < this.pageSize) buffer.fill(0, n);
      entry = { buffer, dirty: false };
      this.cache.set(page, entry);
    } else this.hits++;
    return entry;
  }

  get hitRatio(): number {
    return this.hits / Math.max(1, this.hits + this.misses);
  }
}

export interface Entry {
  buffer: Buffer;
  dirty: boolean;
}

/** Opens `path`, runs `fn` with its descriptor, closes it. */
export async function withFd<T>(path: string, flags: string, fn: (fd: number) => T | Promise<T>): Promise<T> {
  const fd = openSync(path, flags);
  try {
    return await fn(fd);
  } finally {
    closeSync(fd);
  }
}
