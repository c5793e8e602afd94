/**
 * SPIN's cache object (departure's access map): which frame holds each resident page of one memory
 * object. `lookup` answers -1 for an absent page. Swappable through the container (`TOKENS.CacheFactory`).
 */
export interface Cache {
  lookup(page: number): number;
  update(page: number, frame: number): void;
  invalidate(page: number): void;
  iterate(visit: (page: number, frame: number) => void): void;
  readonly count: number;
  clear(): void;
}

/** Makes the cache of a new memory object; `pageCount` lets a cache size itself. */
export type CacheFactory = (pageCount: number) => Cache;
