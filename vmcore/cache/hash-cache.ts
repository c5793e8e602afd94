import type { Cache } from './cache.js';

/** SPIN's default cache: a hash table from page to frame. */
export class HashCache implements Cache {
  private readonly map = new Map<number, number>();

  lookup(page: number): number {
    const frame = this.map.get(page);
    return frame === undefined ? -1 : frame;
  }

  update(page: number, frame: number): void {
    this.map.set(page, frame);
  }

  invalidate(page: number): void {
    this.map.delete(page);
  }

  iterate(visit: (page: number, frame: number) => void): void {
    for (const [page, frame] of this.map) visit(page, frame);
  }

  get count(): number {
    return this.map.size;
  }

  clear(): void {
    this.map.clear();
  }
}
