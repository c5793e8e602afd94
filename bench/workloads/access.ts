import type { Access, MemoryObject } from '../../vmcore/index.js';

/**
 * The fault of a bench loop's access, only when the page is absent. `request(page)` then `getUint(offset)`
 * on every access reports each hit to the page queue's policy twice (the request's lookup and the read's),
 * traffic the workload never made. So the loops ask `isResident` (which reports nothing) and call
 * `request` only for an absent page; the read that follows a fault is that fault's own reference, which
 * the default policy does not count as a reuse (see s3-adaptive-policy.ts). The other policies do count it;
 * the random workload's rows for them read an absent page with `readInto`, which reports no access (see
 * spinRandom): exact, but its promise and pin made the zipf 0.9 reads about 20% slower in an A/B here.
 */
export function faultIn(obj: MemoryObject, offset: number, page: number, access: Access): Promise<void> | undefined {
  return obj.isResident(offset, 4) ? undefined : obj.request(page, access);
}
