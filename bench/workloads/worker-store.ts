// The backing store of the `worker` workload's fault round trip, shared by the synchronous pager on the owning
// thread (worker.ts) and synckit's worker (worker-synckit.ts), so that both do the same work for a read.
import { XorShift128 } from '../rng.js';

/** What both sides make the store from. */
export interface StoreShape {
  pages: number;
  pageSize: number;
  seed: number;
}

/** The store's bytes: pseudo-random from the seed. */
export function makeStore(shape: StoreShape): Uint8Array {
  const store = new Uint8Array(shape.pages * shape.pageSize);
  new XorShift128(shape.seed).fill(store);
  return store;
}

/** Where in page `page` the bench reads its 4-byte word: aligned, and not the same offset in every page. */
export function pageByte(page: number, pageSize: number): number {
  return ((page * 17) % (pageSize / 4)) * 4;
}

/** A page-in as the synchronous pager does it: the page's bytes copied into `frame`. */
export function fillPage(store: Uint8Array, pageSize: number, page: number, frame: Uint8Array): void {
  frame.set(store.subarray(page * pageSize, (page + 1) * pageSize));
}
