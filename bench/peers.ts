import { closeSync, openSync, readSync, writeSync } from 'node:fs';

/**
 * The peers spinvm is measured against, loaded at run time so that a missing one makes its rows say so
 * instead of failing the run. They are development dependencies of spinvm, never installed with it: where
 * spinvm was installed as a package, the bench names the missing ones and the command that adds them.
 */

export type Loaded<T> = { ok: true; value: T } | { ok: false; reason: string };

/** A peer package: its name and the range spinvm's devDependencies give it. */
export interface PeerPackage {
  readonly name: string;
  readonly range: string;
  /** What to know before installing it. */
  readonly note?: string;
}

/** The bench's peers, as package.json's devDependencies list them (a test holds the two together). */
export const PEER_PACKAGES = {
  memoryPager: { name: 'memory-pager', range: '^1.5.0' },
  lruCache: { name: 'lru-cache', range: '^11.5.3' },
  mmap: { name: '@riaskov/mmap-io', range: '^1.4.3', note: 'compiles a native addon with node-gyp' },
} as const satisfies Record<PeerName, PeerPackage>;

export type PeerName = 'memoryPager' | 'lruCache' | 'mmap';

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
  /** The peer packages that are not installed. */
  missing: PeerPackage[];
}

/** The command that installs `missing` for a run of the bench without adding them to the project's package.json. */
export function installCommand(missing: readonly PeerPackage[]): string {
  return `npm install --no-save ${missing.map((p) => `"${p.name}@${p.range}"`).join(' ')}`;
}

/** What the bench prints about missing peers: which, and how to add them; empty when none is missing. */
export function missingPeersMessage(missing: readonly PeerPackage[]): string {
  if (missing.length === 0) return '';
  const notes = missing
    .filter((p) => p.note)
    .map((p) => `; ${p.name} ${p.note}`)
    .join('');
  return `bench peers not installed: ${missing.map((p) => p.name).join(', ')} (their rows say 'not installed'; the rest runs)${notes}. To measure against them: ${installCommand(missing)}`;
}

async function load<T>(peer: PeerPackage, pick: (module: Record<string, unknown>) => unknown, what: string, missing: PeerPackage[]): Promise<Loaded<T>> {
  try {
    // A computed specifier: the bench compiles and runs whether or not the package is installed.
    const specifier: string = peer.name;
    const module = (await import(specifier)) as Record<string, unknown>;
    const value = pick(module);
    if (value === undefined || value === null) return { ok: false, reason: `${peer.name} loaded but has no ${what}` };
    return { ok: true, value: value as T };
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    const code = (err as { code?: string }).code;
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message.includes(`'${peer.name}'`)) {
      missing.push(peer);
      return { ok: false, reason: `not installed: ${installCommand([peer])}` };
    }
    return { ok: false, reason: `not loadable: ${message}` };
  }
}

/** Loads the peers; `packages` replaces their names (a test names packages that do not exist). */
export async function loadPeers(packages: Record<PeerName, PeerPackage> = PEER_PACKAGES): Promise<Peers> {
  const missing: PeerPackage[] = [];
  const [memoryPager, lruCache, mmap] = await Promise.all([
    load<MemoryPagerClass>(packages.memoryPager, (m) => m.default, 'default export', missing),
    load<LruCacheClass>(packages.lruCache, (m) => m.LRUCache, 'LRUCache export', missing),
    load<MmapIo>(
      packages.mmap,
      (m) => {
        const api = (m.default ?? m) as Partial<MmapIo>;
        return typeof api.map === 'function' ? api : undefined;
      },
      'map function',
      missing,
    ),
  ]);
  // In the order of PEER_PACKAGES, whatever order the imports failed in.
  const order: PeerPackage[] = Object.values(packages);
  missing.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  return { memoryPager, lruCache, mmap, missing };
}

/**
 * What a user would write instead of spinvm for a file: an lru-cache of page-sized Buffers filled with
 * fs.readSync, with the same capacity as spinvm's pool. With `writeBack`, dirty pages are written with
 * fs.writeSync when the cache evicts them. Written as a careful user would: the entry the cache evicts
 * (handed back by `dispose`) is kept and refilled by the next miss, so once the cache is full a miss
 * allocates nothing, as spinvm's reclaimed frames do not.
 */
export class LruBufferCache {
  readonly cache: LruCacheInstance<Entry>;
  hits = 0;
  misses = 0;
  writes = 0;
  /** Buffers allocated: the capacity, plus one, however many misses there are. */
  allocations = 0;
  /** The entry last evicted, to be refilled by the next miss. */
  private spare: Entry | undefined;

  constructor(
    LRUCache: LruCacheClass,
    private readonly fd: number,
    private readonly pageSize: number,
    capacity: number,
    writeBack = false,
  ) {
    this.cache = new LRUCache<Entry>({
      max: capacity,
      dispose: (entry, page, reason) => {
        if (writeBack && entry.dirty) {
          writeSync(this.fd, entry.buffer, 0, this.pageSize, page * this.pageSize);
          this.writes++;
        }
        // Only an eviction hands the entry back for reuse: on clear() or delete() it is dropped.
        if (reason === 'evict') this.spare = entry;
      },
    });
  }

  /** The cached page, read on a miss into the entry last evicted (a new one only while the cache fills). */
  page(page: number): Entry {
    let entry = this.cache.get(page);
    if (entry === undefined) {
      this.misses++;
      entry = this.spare;
      this.spare = undefined;
      if (entry === undefined) {
        entry = { buffer: Buffer.allocUnsafe(this.pageSize), dirty: false };
        this.allocations++;
      } else entry.dirty = false;
      const n = readSync(this.fd, entry.buffer, 0, this.pageSize, page * this.pageSize);
      if (n < this.pageSize) entry.buffer.fill(0, n);
      // set() evicts the least recently used entry (dispose keeps it as the next spare) before it stores this one.
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
